import Fluent
import Foundation

/// A community: a place with members, moderators and posts. Public ones are read by anyone; a private one shows
/// its name and description to all and everything else to its members only. The counters and `last_activity_at`
/// move in the same transaction as the change they count. Deleting sets `deleted_at`: the slug stays taken and
/// reports keep what they point at.
final class Community: Model, @unchecked Sendable {
    static let schema = "communities"

    enum Visibility: String, Codable, CaseIterable, Sendable { case `public`, `private` }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "slug") var slug: String
    @Field(key: "name") var name: String
    @Field(key: "description") var description: String
    @OptionalField(key: "rules") var rules: String?
    @OptionalField(key: "rules_html") var rulesHTML: String?
    @Enum(key: "visibility") var visibility: Visibility
    @OptionalField(key: "category_id") var categoryID: UUID?
    @Field(key: "owner_id") var ownerID: UUID
    @Field(key: "member_count") var memberCount: Int
    @Field(key: "post_count") var postCount: Int
    @OptionalField(key: "last_activity_at") var lastActivityAt: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date
    @OptionalField(key: "verified_at") var verifiedAt: Date?
    @OptionalField(key: "suspended_at") var suspendedAt: Date?
    @OptionalField(key: "deleted_at") var deletedAt: Date?

    init() {}
}

/// A user's place in a community: a member with a role, a pending request to join a private one, or a ban
/// (kept so the user cannot rejoin). One row per community and user.
final class CommunityMember: Model, @unchecked Sendable {
    static let schema = "community_members"

    enum Role: String, Codable, CaseIterable, Sendable {
        case owner, moderator, member

        /// Owner first in member lists.
        var rank: Int { switch self { case .owner: 0; case .moderator: 1; case .member: 2 } }
    }

    enum Status: String, Codable, CaseIterable, Sendable { case active, pending, banned }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "community_id") var communityID: UUID
    @Field(key: "user_id") var userID: UUID
    @Enum(key: "role") var role: Role
    @Enum(key: "status") var status: Status
    @Field(key: "requested_at") var requestedAt: Date
    @OptionalField(key: "joined_at") var joinedAt: Date?

    init() {}
}
