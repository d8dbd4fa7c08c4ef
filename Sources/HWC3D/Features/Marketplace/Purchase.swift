import Fluent
import Foundation
import SQLKit

/// A buyer's right to download a model, granted by a completed payment and revoked by a refund. At most one
/// active purchase per buyer and model (a partial unique index), so a race cannot sell a model twice.
final class Purchase: Model, @unchecked Sendable {
    static let schema = "purchases"

    enum Status: String, Codable, Sendable {
        case active, refunded
    }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "buyer_id") var buyer: User
    @Parent(key: "model_id") var model: ModelAsset
    @Parent(key: "transaction_id") var transaction: PaymentTransaction
    @Parent(key: "transaction_item_id") var item: TransactionItem
    @Field(key: "price_cents") var priceCents: Int
    @Field(key: "currency") var currency: String
    @Field(key: "test_mode") var testMode: Bool
    @Field(key: "status") var status: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "refunded_at") var refundedAt: Date?

    init() {}

    var isActive: Bool { status == Status.active.rawValue }

    /// The buyer's purchases that grant their model (not refunded): the one place that rule is written for Fluent;
    /// `PurchaseSQL.isOwned` is the same rule for one-statement reads.
    static func active(of buyerID: UUID, on database: any Database) -> QueryBuilder<Purchase> {
        Purchase.query(on: database).filter(\.$buyer.$id == buyerID).filter(\.$status == Status.active.rawValue)
    }

    /// Whether `buyerID` holds an active purchase of `modelID`: what the download route asks.
    static func owns(buyerID: UUID, modelID: UUID, on database: any Database) async throws -> Bool {
        try await active(of: buyerID, on: database).filter(\.$model.$id == modelID).count() > 0
    }
}
