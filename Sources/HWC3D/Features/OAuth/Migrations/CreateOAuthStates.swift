import Fluent

/// Sign-ins started at `/authorize` and not yet finished (`OAuthState`): the hashed state and its PKCE verifier.
///
/// Split off `CreateOAuthAccounts`, which created this table too in databases migrated before the split: there the
/// table and its indexes exist already, hence `ignoreExisting()` and `IF NOT EXISTS`.
struct CreateOAuthStates: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(OAuthState.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("state_hash", .string, .required)
            .field("provider", .string, .required)
            .field("code_verifier", .string, .required)
            .field("redirect_path", .string)
            .field("link_user_id", .uuid)
            .field("expires_at", .datetime, .required)
            .field("created_at", .datetime)
            .unique(on: "state_hash")
            .ignoreExisting()
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(OAuthState.schema).delete()
    }
}
