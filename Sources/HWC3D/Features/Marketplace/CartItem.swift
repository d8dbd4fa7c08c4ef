import Fluent
import Foundation

/// A model in a buyer's cart, with the price it had when added so the cart can say when it changed. Checkout
/// charges the price at checkout, never this one.
final class CartItem: Model, @unchecked Sendable {
    static let schema = "cart_items"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Parent(key: "model_id") var model: ModelAsset
    @Field(key: "price_when_added_cents") var priceWhenAddedCents: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}
