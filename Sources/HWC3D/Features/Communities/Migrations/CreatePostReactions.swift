import Fluent

/// Reactions to posts (`PostReaction`): one per user per post.
struct CreatePostReactions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PostReaction.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("post_id", .uuid, .required, .references(CommunityPost.schema, .id, onDelete: .cascade))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("type", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "post_id", "user_id")
            .create()
        try await DatabaseIndex.create("post_reactions_user_idx", on: PostReaction.schema, columns: ["user_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PostReaction.schema).delete()
    }
}
