import Fluent

/// The uploaded 3D files of models (`ModelFileRecord`), with the analysis the background job wrote.
struct CreateModelFiles: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ModelFileRecord.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("owner_id", .uuid, .required)
            .field("original_filename", .string, .required)
            .field("storage_key", .string, .required)
            .field("format", .string, .required)
            .field("packaging", .string, .required)
            .field("size_bytes", .int64, .required)
            .field("sha256", .string, .required)
            .field("analysis_status", .string, .required)
            .field("analysis_error", .string)
            .field("analysis", .string)
            .field("analysis_duration_ms", .int)
            .field("analysed_at", .datetime)
            .field("created_at", .datetime)
            .create()
        try await DatabaseIndex.create("model_files_model_idx", on: ModelFileRecord.schema, columns: ["model_id", "format"], in: database)
        try await DatabaseIndex.create("model_files_owner_idx", on: ModelFileRecord.schema, columns: ["owner_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ModelFileRecord.schema).delete()
    }
}
