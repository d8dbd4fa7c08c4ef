import Fluent
import SQLKit

/// Refresh tokens (`RefreshToken`), stored only as their SHA-256; a rotated token presented again revokes its session.
///
/// Split off `CreateAuthSessions`, which created this table too in databases migrated before the split: there the
/// table and its indexes exist already, hence `ignoreExisting()` and `IF NOT EXISTS`.
struct CreateRefreshTokens: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(RefreshToken.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("session_id", .uuid, .required, .references(AuthSession.schema, .id, onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "token_hash")
            .ignoreExisting()
            .create()
        try await database.sql.raw("CREATE INDEX IF NOT EXISTS refresh_tokens_session_idx ON refresh_tokens (session_id)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(RefreshToken.schema).delete()
    }
}
