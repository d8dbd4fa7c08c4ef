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
        try await database.schema(LoginFailure.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("throttle_key", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await DatabaseIndex.create("login_failures_key_idx", on: LoginFailure.schema, columns: ["throttle_key", "created_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(LoginFailure.schema).delete()
        try await database.schema(OneTimeToken.schema).delete()
    }
}
