import Fluent
import SQLKit

/// Buyers' rights to download models (`Purchase`), at most one active per buyer and model.
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
        let sql = database.sql
        // Both dialects take a partial unique index; refunded purchases stay as history beside a new one.
        try await sql.raw("CREATE UNIQUE INDEX purchases_active_unique ON purchases (buyer_id, model_id) WHERE status = 'active'").run()
        try await DatabaseIndex.create("purchases_buyer_idx", on: Purchase.schema, columns: ["buyer_id", "created_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Purchase.schema).delete()
    }
}
