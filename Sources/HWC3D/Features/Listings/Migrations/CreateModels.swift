import Fluent

/// The catalogue's models (`ModelAsset`), with counters and file figures in the row so cards and search read one table.
struct CreateModels: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ModelAsset.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("owner_id", .uuid, .required, .references(User.schema, .id))
            .field("slug", .string, .required)
            .field("title", .string, .required)
            .field("description", .string, .required)
            .field("category_id", .uuid, .references(Category.schema, .id, onDelete: .setNull))
            .field("license", .string, .required)
            .field("price_cents", .int, .required)
            .field("currency", .string, .required)
            .field("status", .string, .required)
            .field("visibility", .string, .required)
            .field("featured", .bool, .required, .sql(.default(false)))
            .field("tags_text", .string, .required)
            .field("formats", .string, .required)
            .field("vertex_count", .int, .required, .sql(.default(0)))
            .field("triangle_count", .int, .required, .sql(.default(0)))
            .field("animated", .bool, .required, .sql(.default(false)))
            .field("rigged", .bool, .required, .sql(.default(false)))
            .field("view_count", .int, .required, .sql(.default(0)))
            .field("download_count", .int, .required, .sql(.default(0)))
            .field("like_count", .int, .required, .sql(.default(0)))
            .field("comment_count", .int, .required, .sql(.default(0)))
            .field("sales_count", .int, .required, .sql(.default(0)))
            .field("cover_image_id", .uuid)
            .field("rejection_reason", .string)
            .field("takedown_reason", .string)
            .field("submitted_at", .datetime)
            .field("published_at", .datetime)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .field("deleted_at", .datetime)
            .unique(on: "slug")
            .create()
        try await DatabaseIndex.create("models_owner_idx", on: ModelAsset.schema, columns: ["owner_id", "created_at"], in: database)
        try await DatabaseIndex.create("models_listing_idx", on: ModelAsset.schema, columns: ["status", "visibility", "published_at"], in: database)
        try await DatabaseIndex.create("models_category_idx", on: ModelAsset.schema, columns: ["category_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ModelAsset.schema).delete()
    }
}
