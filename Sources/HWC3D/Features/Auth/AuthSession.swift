import Fluent
import Foundation

/// A signed-in device: the family of refresh tokens that descend from one sign-in. Revoking the session ends
/// every token of the family and every access token that names it.
final class AuthSession: Model, @unchecked Sendable {
    static let schema = "auth_sessions"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "user_id") var user: User
    /// Sessions opened through admin sign-in with a second factor; only these reach `/admin`.
    @Field(key: "is_admin") var isAdmin: Bool
    @OptionalField(key: "user_agent") var userAgent: String?
    @OptionalField(key: "ip") var ip: String?
    @Field(key: "last_used_at") var lastUsedAt: Date
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "revoke_reason") var revokeReason: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(userID: UUID, isAdmin: Bool, userAgent: String?, ip: String?, expiresAt: Date, now: Date) {
        self.id = .v7()
        self.$user.id = userID
        self.isAdmin = isAdmin
        self.userAgent = userAgent.map { String($0.prefix(300)) }
        self.ip = ip
        self.lastUsedAt = now
        self.expiresAt = expiresAt
    }

    func isActive(at now: Date) -> Bool { revokedAt == nil && expiresAt > now }
}

/// One refresh token of a session, stored only as its SHA-256. `used_at` marks a rotated token: presenting it
/// again is the signature of a stolen token, and revokes the session.
final class RefreshToken: Model, @unchecked Sendable {
    static let schema = "refresh_tokens"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "session_id") var session: AuthSession
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(sessionID: UUID, tokenHash: String, expiresAt: Date) {
        self.id = .v7()
        self.$session.id = sessionID
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
    }
}
