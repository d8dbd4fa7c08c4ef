import Fluent

/// Shares of posts (`PostShare`): one counted per user per post.
struct CreatePostShares: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PostShare.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("post_id", .uuid, .required, .references(CommunityPost.schema, .id, onDelete: .cascade))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .unique(on: "post_id", "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PostShare.schema).delete()
    }
}
