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

struct CreateCartItems: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CartItem.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("price_when_added_cents", .int64, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "user_id", "model_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CartItem.schema).delete()
    }
}
