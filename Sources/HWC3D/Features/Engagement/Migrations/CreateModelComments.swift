import Fluent

/// Comments on models and replies to them (`ModelComment`).
struct CreateModelComments: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ModelComment.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("author_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("parent_id", .uuid, .references(ModelComment.schema, .id, onDelete: .cascade))
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .field("edited_at", .datetime)
            .field("deleted_at", .datetime)
            .create()
        // A page of top-level comments is read by (model, parent null, created_at); its replies by parent.
        try await DatabaseIndex.create("model_comments_model_idx", on: ModelComment.schema, columns: ["model_id", "parent_id", "created_at"], in: database)
        try await DatabaseIndex.create("model_comments_parent_idx", on: ModelComment.schema, columns: ["parent_id", "created_at"], in: database)
        try await DatabaseIndex.create("model_comments_author_idx", on: ModelComment.schema, columns: ["author_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ModelComment.schema).delete()
    }
}
