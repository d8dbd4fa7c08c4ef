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

    /// Whether `buyerID` holds an active purchase of `modelID`: what the download route asks.
    static func owns(buyerID: UUID, modelID: UUID, on database: any Database) async throws -> Bool {
        try await Purchase.query(on: database)
            .filter(\.$buyer.$id == buyerID).filter(\.$model.$id == modelID).filter(\.$status == Status.active.rawValue)
            .count() > 0
    }
}

struct CreatePurchases: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Purchase.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("buyer_id", .uuid, .required, .references(User.schema, .id))
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id))
            .field("transaction_id", .uuid, .required, .references(PaymentTransaction.schema, .id))
            .field("transaction_item_id", .uuid, .required, .references(TransactionItem.schema, .id))
            .field("price_cents", .int64, .required)
            .field("currency", .string, .required)
            .field("test_mode", .bool, .required)
            .field("status", .string, .required)
            .field("created_at", .datetime, .required)
            .field("refunded_at", .datetime)
            .unique(on: "transaction_item_id")
            .create()
        let sql = database as! any SQLDatabase
        // Both dialects take a partial unique index; refunded purchases stay as history beside a new one.
        try await sql.raw("CREATE UNIQUE INDEX purchases_active_unique ON purchases (buyer_id, model_id) WHERE status = 'active'").run()
        try await DatabaseIndex.create("purchases_buyer_idx", on: Purchase.schema, columns: ["buyer_id", "created_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Purchase.schema).delete()
    }
}
