import Fluent

/// Marks gallery images HWC3D rendered from a model's geometry (`RenderModelPreviewJob`), so clients can tell them
/// from the creator's own pictures. Existing rows, all uploads, read false.
struct UpdateModelImagesAddGenerated: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ModelImageRecord.schema)
            .field("generated", .bool, .required, .sql(.default(false)))
            .update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ModelImageRecord.schema).deleteField("generated").update()
    }
}
