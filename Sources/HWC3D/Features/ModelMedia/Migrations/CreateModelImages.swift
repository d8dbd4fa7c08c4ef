import Fluent

/// The preview images of models (`ModelImageRecord`); their renditions live in storage.
struct CreateModelImages: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ModelImageRecord.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("owner_id", .uuid, .required)
            .field("position", .int, .required)
            .field("width", .int, .required)
            .field("height", .int, .required)
            .field("size_bytes", .int64, .required)
            .field("created_at", .datetime)
            .create()
        try await DatabaseIndex.create("model_images_model_idx", on: ModelImageRecord.schema, columns: ["model_id", "position"], in: database)
        try await DatabaseIndex.create("model_images_owner_idx", on: ModelImageRecord.schema, columns: ["owner_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ModelImageRecord.schema).delete()
    }
}
