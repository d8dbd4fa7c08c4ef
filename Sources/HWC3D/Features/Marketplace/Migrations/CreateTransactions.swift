import Fluent

/// Checkouts (`PaymentTransaction`): the buyer, the provider's payment, and the amounts and fees captured at checkout.
///
/// Until `CreateTransactionItems` was split off, this also created `transaction_items`.
struct CreateTransactions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PaymentTransaction.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("buyer_id", .uuid, .required, .references(User.schema, .id))
            .field("provider", .string, .required)
            .field("provider_reference", .string)
            .field("capture_reference", .string)
            .field("client_secret", .string)
            .field("approval_url", .string)
            .field("status", .string, .required)
            .field("amount_cents", .int64, .required)
            .field("fee_cents", .int64, .required)
            .field("refunded_cents", .int64, .required)
            .field("currency", .string, .required)
            .field("test_mode", .bool, .required)
            .field("cart_fingerprint", .string, .required)
            .field("failure_reason", .string)
            .field("paid_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime)
            .create()
        try await DatabaseIndex.create("transactions_buyer_idx", on: PaymentTransaction.schema, columns: ["buyer_id", "created_at"], in: database)
        try await DatabaseIndex.create("transactions_reference_idx", on: PaymentTransaction.schema, columns: ["provider", "provider_reference"], in: database)
        try await DatabaseIndex.create("transactions_capture_idx", on: PaymentTransaction.schema, columns: ["provider", "capture_reference"], in: database)
        try await DatabaseIndex.create("transactions_created_idx", on: PaymentTransaction.schema, columns: ["created_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PaymentTransaction.schema).delete()
    }
}
