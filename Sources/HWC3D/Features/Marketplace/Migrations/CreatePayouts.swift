import Fluent

/// Sellers' requests to be paid their available balance (`Payout`).
///
/// Until `CreatePayoutMethods` was split off, this also created `payout_methods`.
struct CreatePayouts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Payout.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("seller_id", .uuid, .required, .references(User.schema, .id))
            .field("amount_cents", .int64, .required)
            .field("currency", .string, .required)
            .field("status", .string, .required)
            .field("method", .string, .required)
            .field("destination", .string, .required)
            .field("provider", .string)
            .field("provider_reference", .string)
            .field("note", .string)
            .field("decided_by", .uuid)
            .field("decided_at", .datetime)
            .field("created_at", .datetime, .required)
            .create()
        try await DatabaseIndex.create("payouts_seller_idx", on: Payout.schema, columns: ["seller_id", "created_at"], in: database)
        try await DatabaseIndex.create("payouts_status_idx", on: Payout.schema, columns: ["status", "created_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(Payout.schema).delete()
    }
}
