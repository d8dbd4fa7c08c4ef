import Fluent
import Foundation

/// An account. Email and username are unique without regard to case (`email` is stored lower-cased,
/// `username_key` is the lower-cased username), counters are kept in the row so profiles are one read.
final class User: Model, @unchecked Sendable {
    static let schema = "users"

    enum Status: String, Codable, CaseIterable { case active, suspended, deleted }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "email") var email: String
    @Field(key: "username") var username: String
    @Field(key: "username_key") var usernameKey: String
    @OptionalField(key: "password_hash") var passwordHash: String?
    @Field(key: "display_name") var displayName: String
    @OptionalField(key: "bio") var bio: String?
    @OptionalField(key: "location") var location: String?
    @OptionalField(key: "website") var website: String?
    @Field(key: "social_links") var socialLinks: [String: String]
    @Field(key: "skills") var skills: [String]
    @OptionalField(key: "avatar_key") var avatarKey: String?
    @OptionalField(key: "banner_key") var bannerKey: String?
    @OptionalField(key: "email_verified_at") var emailVerifiedAt: Date?
    @Field(key: "is_creator") var isCreator: Bool
    @Enum(key: "status") var status: Status
    @OptionalField(key: "username_changed_at") var usernameChangedAt: Date?
    @OptionalField(key: "last_login_at") var lastLoginAt: Date?
    @Field(key: "followers_count") var followersCount: Int
    @Field(key: "following_count") var followingCount: Int
    @Field(key: "models_count") var modelsCount: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(email: String, username: String, passwordHash: String?, displayName: String) {
        self.id = .v7()
        self.email = email.lowercased()
        self.username = username
        self.usernameKey = username.lowercased()
        self.passwordHash = passwordHash
        self.displayName = displayName
        self.socialLinks = [:]
        self.skills = []
        self.isCreator = false
        self.status = .active
        self.followersCount = 0
        self.followingCount = 0
        self.modelsCount = 0
    }

    var isEmailVerified: Bool { emailVerifiedAt != nil }
}

extension User {
    /// The users with these ids, keyed by id: one query for the people a list of rows names.
    static func byID(_ ids: [UUID], on database: any Database) async throws -> [UUID: User] {
        guard !ids.isEmpty else { return [:] }
        let users = try await User.query(on: database).filter(\.$id ~~ Array(Set(ids))).all()
        return Dictionary(users.compactMap { user in user.id.map { ($0, user) } }, uniquingKeysWith: { first, _ in first })
    }
}
