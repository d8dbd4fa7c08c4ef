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
