import Fluent

/// Users' likes of models (`ModelLike`), one row each; `models.like_count` mirrors their number.
struct CreateModelLikes: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ModelLike.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .unique(on: "model_id", "user_id")
            .create()
        // "Who liked" lists a model's likes newest first; a user's own likes ("liked models") go by user.
        try await DatabaseIndex.create("model_likes_model_idx", on: ModelLike.schema, columns: ["model_id", "created_at"], in: database)
        try await DatabaseIndex.create("model_likes_user_idx", on: ModelLike.schema, columns: ["user_id", "created_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ModelLike.schema).delete()
    }
}
