import Fluent

/// The double-entry ledger every balance is derived from (`LedgerEntry`); rows are only ever inserted.
struct CreateLedgerEntries: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(LedgerEntry.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("group_id", .uuid, .required)
            .field("account", .string, .required)
            .field("user_id", .uuid)
            .field("kind", .string, .required)
            .field("amount_cents", .int64, .required)
            .field("currency", .string, .required)
            .field("transaction_id", .uuid)
            .field("transaction_item_id", .uuid)
            .field("refund_request_id", .uuid)
            .field("payout_id", .uuid)
            .field("test_mode", .bool, .required)
            .field("available_at", .datetime, .required)
            .field("day", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        // Balances read one seller's entries; admin views read one transaction's; revenue reads by day.
        try await DatabaseIndex.create("ledger_entries_account_user_idx", on: LedgerEntry.schema, columns: ["account", "user_id", "available_at"], in: database)
        try await DatabaseIndex.create("ledger_entries_transaction_idx", on: LedgerEntry.schema, columns: ["transaction_id"], in: database)
        try await DatabaseIndex.create("ledger_entries_group_idx", on: LedgerEntry.schema, columns: ["group_id"], in: database)
        try await DatabaseIndex.create("ledger_entries_day_idx", on: LedgerEntry.schema, columns: ["day"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(LedgerEntry.schema).delete()
    }
}
