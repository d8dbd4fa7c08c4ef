import Fluent
import SQLKit

/// The sold models of each checkout (`TransactionItem`), every price split into fee and earning.
///
/// Split off `CreateTransactions`, which created this table too in databases migrated before the split: there the
/// table and its indexes exist already, hence `ignoreExisting()` and `IF NOT EXISTS`.
struct CreateTransactionItems: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(TransactionItem.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("transaction_id", .uuid, .required, .references(PaymentTransaction.schema, .id, onDelete: .cascade))
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id))
            .field("seller_id", .uuid, .required, .references(User.schema, .id))
            .field("title", .string, .required)
            .field("price_cents", .int64, .required)
            .field("fee_cents", .int64, .required)
            .field("earning_cents", .int64, .required)
            .field("refunded_at", .datetime)
            .ignoreExisting()
            .create()
        try await database.sql.raw("CREATE INDEX IF NOT EXISTS transaction_items_transaction_idx ON transaction_items (transaction_id)").run()
        try await database.sql.raw("CREATE INDEX IF NOT EXISTS transaction_items_seller_idx ON transaction_items (seller_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(TransactionItem.schema).delete()
    }
}
