import Fluent

/// Comments on posts and replies to them (`PostComment`).
struct CreatePostComments: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PostComment.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("post_id", .uuid, .required, .references(CommunityPost.schema, .id, onDelete: .cascade))
            .field("author_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("parent_id", .uuid, .references(PostComment.schema, .id, onDelete: .cascade))
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .field("edited_at", .datetime)
            .field("deleted_at", .datetime)
            .create()
        // A page of top-level comments by (post, parent null, created_at); their replies by parent.
        try await DatabaseIndex.create("post_comments_post_idx", on: PostComment.schema, columns: ["post_id", "parent_id", "created_at"], in: database)
        try await DatabaseIndex.create("post_comments_parent_idx", on: PostComment.schema, columns: ["parent_id", "created_at"], in: database)
        try await DatabaseIndex.create("post_comments_author_idx", on: PostComment.schema, columns: ["author_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PostComment.schema).delete()
    }
}
