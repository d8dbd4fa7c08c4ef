import Fluent

/// The shape fingerprint of each analysed file (`ModelFileFingerprint`), kept so a later upload can be compared with
/// it. `bucket` is the fingerprint's coarse key, indexed, so a comparison shortlists a few candidates instead of
/// reading every published model's; `version` lets a changed descriptor ignore old rows until they are recomputed.
struct CreateModelFileFingerprints: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ModelFileFingerprint.schema)
            .field("file_id", .uuid, .identifier(auto: false), .references(ModelFileRecord.schema, .id, onDelete: .cascade))
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("owner_id", .uuid, .required)
            .field("version", .int, .required)
            .field("bucket", .int64, .required)
            .field("shape", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await DatabaseIndex.create("model_file_fingerprints_bucket_idx", on: ModelFileFingerprint.schema, columns: ["version", "bucket"], in: database)
        try await DatabaseIndex.create("model_file_fingerprints_model_idx", on: ModelFileFingerprint.schema, columns: ["model_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ModelFileFingerprint.schema).delete()
    }
}
