import Fluent
import Foundation

/// A preview image of a model. Its renditions live in storage under `models/<id>-<rendition>` (see `ImageRenditionFiles.models`).
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
