import Fluent

/// Uploaded images (`UploadedImage`), found by owner (the quota) and by what holds them.
struct CreateUploadedImages: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UploadedImage.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("owner_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("width", .int, .required)
            .field("height", .int, .required)
            .field("size_bytes", .int64, .required)
            .field("attached_kind", .string)
            .field("attached_id", .uuid)
            .field("created_at", .datetime, .required)
            .create()
        try await DatabaseIndex.create("uploaded_images_owner_idx", on: UploadedImage.schema, columns: ["owner_id"], in: database)
        try await DatabaseIndex.create(
            "uploaded_images_attached_idx", on: UploadedImage.schema, columns: ["attached_kind", "attached_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UploadedImage.schema).delete()
    }
}
