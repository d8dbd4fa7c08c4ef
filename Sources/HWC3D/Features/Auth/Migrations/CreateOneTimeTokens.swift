import Fluent

/// Single-use secrets sent by email and admin sign-in challenges (`OneTimeToken`), stored only as hashes.
///
/// Until `CreateLoginFailures` was split off, this also created `login_failures`.
struct CreateOneTimeTokens: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(OneTimeToken.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("purpose", .string, .required)
            .field("token_hash", .string, .required)
            .field("code_hash", .string)
            .field("attempts", .int, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(OneTimeToken.schema).delete()
    }
}
