import Fluent

/// `Idempotency-Key` claims of money-moving POSTs (`IdempotencyKey`), with the answer a retry gets again.
struct CreateIdempotencyKeys: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(IdempotencyKey.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("scope", .string, .required)
            .field("key", .string, .required)
            .field("request_hash", .string, .required)
            .field("resource_id", .uuid)
            .field("response_status", .int)
            .field("response_body", .string)
            .field("locked_until", .datetime, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "user_id", "scope", "key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(IdempotencyKey.schema).delete()
    }
}
