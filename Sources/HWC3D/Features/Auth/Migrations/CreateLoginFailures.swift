import Fluent
import SQLKit

/// Failed sign-ins (`LoginFailure`), kept in the database so every instance counts the same attempts.
///
/// Split off `CreateOneTimeTokens`, which created this table too in databases migrated before the split: there the
/// table and its indexes exist already, hence `ignoreExisting()` and `IF NOT EXISTS`.
struct CreateLoginFailures: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(LoginFailure.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("throttle_key", .string, .required)
            .field("created_at", .datetime, .required)
            .ignoreExisting()
            .create()
        try await database.sql.raw("CREATE INDEX IF NOT EXISTS login_failures_key_idx ON login_failures (throttle_key, created_at)").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(LoginFailure.schema).delete()
    }
}
