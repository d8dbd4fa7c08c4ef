import Fluent

/// Posts (`CommunityPost`), with their counters and hot rank in the row so a page of posts is one read.
struct CreateCommunityPosts: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(CommunityPost.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("community_id", .uuid, .required, .references(Community.schema, .id, onDelete: .cascade))
            .field("author_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("title", .string, .required)
            .field("body", .string, .required)
            .field("body_html", .string, .required)
            .field("model_id", .uuid, .references(ModelAsset.schema, .id, onDelete: .setNull))
            .field("pinned_at", .datetime)
            .field("like_count", .int, .required, .sql(.default(0)))
            .field("love_count", .int, .required, .sql(.default(0)))
            .field("fire_count", .int, .required, .sql(.default(0)))
            .field("wow_count", .int, .required, .sql(.default(0)))
            .field("laugh_count", .int, .required, .sql(.default(0)))
            .field("reaction_count", .int, .required, .sql(.default(0)))
            .field("comment_count", .int, .required, .sql(.default(0)))
            .field("share_count", .int, .required, .sql(.default(0)))
            .field("hot_rank", .double, .required)
            .field("created_at", .datetime, .required)
            .field("edited_at", .datetime)
            .field("deleted_at", .datetime)
            .create()
        // One index per sort of a community's posts, and an author's posts.
        try await DatabaseIndex.create("community_posts_new_idx", on: CommunityPost.schema, columns: ["community_id", "created_at", "id"], in: database)
        try await DatabaseIndex.create("community_posts_hot_idx", on: CommunityPost.schema, columns: ["community_id", "hot_rank", "id"], in: database)
        try await DatabaseIndex.create("community_posts_top_idx", on: CommunityPost.schema, columns: ["community_id", "reaction_count", "id"], in: database)
        try await DatabaseIndex.create("community_posts_pinned_idx", on: CommunityPost.schema, columns: ["community_id", "pinned_at"], in: database)
        try await DatabaseIndex.create("community_posts_author_idx", on: CommunityPost.schema, columns: ["author_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(CommunityPost.schema).delete()
    }
}
