import Fluent

/// External sign-in identities (`OAuthAccount`): one per user and provider, and one user per provider identity.
///
/// Until `CreateOAuthStates` was split off, this also created `oauth_states`.
struct CreateOAuthAccounts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(OAuthAccount.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("provider", .string, .required)
            .field("provider_user_id", .string, .required)
            .field("email", .string)
            .field("created_at", .datetime)
            .unique(on: "provider", "provider_user_id")
            .unique(on: "user_id", "provider")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(OAuthAccount.schema).delete()
    }
}
