import Fluent
import Foundation

final class OAuthAccount: Model, @unchecked Sendable {
    static let schema = "oauth_accounts"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "provider") var provider: String
    @Field(key: "provider_user_id") var providerUserID: String
    @OptionalField(key: "email") var email: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(userID: UUID, provider: String, providerUserID: String, email: String?) {
        self.id = .v7()
        self.$user.id = userID
        self.provider = provider
        self.providerUserID = providerUserID
        self.email = email
    }
}

/// A sign-in started at `/authorize` and not yet finished: the state (hashed) and the PKCE verifier it needs.
final class OAuthState: Model, @unchecked Sendable {
    static let schema = "oauth_states"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "state_hash") var stateHash: String
    @Field(key: "provider") var provider: String
    @Field(key: "code_verifier") var codeVerifier: String
    @OptionalField(key: "redirect_path") var redirectPath: String?
    /// Set when a signed-in user links another provider to the account.
    @OptionalField(key: "link_user_id") var linkUserID: UUID?
    @Field(key: "expires_at") var expiresAt: Date
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

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
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(OAuthState.schema).delete()
        try await database.schema(OAuthAccount.schema).delete()
    }
}
