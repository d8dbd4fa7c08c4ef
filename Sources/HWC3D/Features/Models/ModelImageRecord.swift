import Fluent
import Foundation

/// A preview image of a model. Its renditions live in storage under `models/<id>-<rendition>` (see `ModelImageRenditions`).
final class ModelImageRecord: Model, @unchecked Sendable {
    static let schema = "model_images"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "model_id") var model: ModelAsset
    @Field(key: "owner_id") var ownerID: UUID
    @Field(key: "position") var position: Int
    @Field(key: "width") var width: Int
    @Field(key: "height") var height: Int
    /// Bytes of every stored rendition together, counted against the owner's quota.
    @Field(key: "size_bytes") var sizeBytes: Int64
    /// Rendered by HWC3D from the model's geometry, not uploaded (column added by `UpdateModelImagesAddGenerated`).
    @Field(key: "generated") var generated: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(id: UUID, modelID: UUID, ownerID: UUID, position: Int, width: Int, height: Int, sizeBytes: Int64) {
        self.id = id
        self.$model.id = modelID
        self.ownerID = ownerID
        self.position = position
        self.width = width
        self.height = height
        self.sizeBytes = sizeBytes
        self.generated = false
    }
}

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
