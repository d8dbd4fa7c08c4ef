import Fluent

/// Signed-in devices (`AuthSession`): the refresh tokens of one sign-in, so one revocation ends them all.
///
/// Until `CreateRefreshTokens` was split off, this also created `refresh_tokens`.
struct CreateAuthSessions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(AuthSession.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("is_admin", .bool, .required)
            .field("user_agent", .string)
            .field("ip", .string)
            .field("last_used_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .field("revoke_reason", .string)
            .field("created_at", .datetime)
            .create()
        try await DatabaseIndex.create("auth_sessions_user_idx", on: AuthSession.schema, columns: ["user_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AuthSession.schema).delete()
    }
}
