import Fluent

/// A file whose shape (or bytes) matches a file of another creator's published model, found when the file was
/// analysed (`LikelyCopyRecord`, `LikelyCopies`). While a model has any, it is held for review: approving it takes the moderator's
/// explicit word. Both sides cascade, so a deleted file or model takes its matches with it.
struct CreateLikelyCopies: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(LikelyCopyRecord.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("file_id", .uuid, .required, .references(ModelFileRecord.schema, .id, onDelete: .cascade))
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("original_file_id", .uuid, .required, .references(ModelFileRecord.schema, .id, onDelete: .cascade))
            .field("original_model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("distance", .double, .required)
            .field("found_at", .datetime, .required)
            .unique(on: "file_id", "original_file_id")
            .create()
        try await DatabaseIndex.create("model_file_likely_copies_model_idx", on: LikelyCopyRecord.schema, columns: ["model_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(LikelyCopyRecord.schema).delete()
    }
}
