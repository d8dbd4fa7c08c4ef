import Fluent

/// Memberships, requests and bans (`CommunityMember`): one row per community and user.
struct CreateCommunityMembers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CommunityMember.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("community_id", .uuid, .required, .references(Community.schema, .id, onDelete: .cascade))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("role", .string, .required)
            .field("status", .string, .required)
            .field("requested_at", .datetime, .required)
            .field("joined_at", .datetime)
            .unique(on: "community_id", "user_id")
            .create()
        // A member list by status and role; a user's communities (the feed).
        try await DatabaseIndex.create("community_members_list_idx", on: CommunityMember.schema, columns: ["community_id", "status", "role", "requested_at"], in: database)
        try await DatabaseIndex.create("community_members_user_idx", on: CommunityMember.schema, columns: ["user_id", "status"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CommunityMember.schema).delete()
    }
}
