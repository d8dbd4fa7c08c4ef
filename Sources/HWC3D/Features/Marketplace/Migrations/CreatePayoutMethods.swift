import Fluent

/// Where each seller wants to be paid (`PayoutMethodRecord`), one row per seller.
///
/// Split off `CreatePayouts`, which created this table too in databases migrated before the split: there the
/// table and its indexes exist already, hence `ignoreExisting()` and `IF NOT EXISTS`.
struct CreatePayoutMethods: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PayoutMethodRecord.schema)
            .field(.id, .uuid, .identifier(auto: false), .references(User.schema, .id, onDelete: .cascade))
            .field("type", .string, .required)
            .field("destination", .string, .required)
            .field("updated_at", .datetime, .required)
            .ignoreExisting()
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PayoutMethodRecord.schema).delete()
    }
}
