import Fluent
import Foundation

/// Single-use secrets sent by email (verification and reset links) and admin sign-in challenges. Only hashes are
/// stored; `used_at` makes each one work once.
final class OneTimeToken: Model, @unchecked Sendable {
    static let schema = "one_time_tokens"

    enum Purpose: String, Codable, CaseIterable {
        case verifyEmail = "verify_email"
        case resetPassword = "reset_password"
        case adminResetPassword = "admin_reset_password"
        /// An admin's password step passed; the challenge waits for the second factor.
        case adminChallenge = "admin_challenge"
    }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "purpose") var purpose: String
    @Field(key: "token_hash") var tokenHash: String
    /// For admin challenges answered by email: the hash of the 6-digit code sent.
    @OptionalField(key: "code_hash") var codeHash: String?
    @Field(key: "attempts") var attempts: Int
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(userID: UUID, purpose: Purpose, tokenHash: String, expiresAt: Date) {
        self.id = .v7()
        self.$user.id = userID
        self.purpose = purpose.rawValue
        self.tokenHash = tokenHash
        self.attempts = 0
        self.expiresAt = expiresAt
    }
}

/// Failed sign-ins, kept in the database so every instance counts the same attempts.
final class LoginFailure: Model, @unchecked Sendable {
    static let schema = "login_failures"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "throttle_key") var throttleKey: String
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(key: String, at: Date) {
        self.id = .v7()
        self.throttleKey = key
        self.createdAt = at
    }
}
