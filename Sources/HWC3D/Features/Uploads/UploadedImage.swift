import Fluent
import Foundation

/// A picture uploaded on its own (`POST /uploads/images`) to be attached to something else: a post today, a
/// support ticket later. Until attached it belongs to nobody but its uploader and is removed after
/// `UploadedImages.unattachedLifetime`; once attached, it lives as long as what holds it. Renditions live under
/// `uploads/` (`ImageRenditionFiles.uploads`).
final class UploadedImage: Model, @unchecked Sendable {
    static let schema = "uploaded_images"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "owner_id") var ownerID: UUID
    @Field(key: "width") var width: Int
    @Field(key: "height") var height: Int
    /// Bytes of every stored rendition together, counted against the owner's storage quota.
    @Field(key: "size_bytes") var sizeBytes: Int64
    /// What holds the image (`post`), with `attached_id`; both nil while it waits to be attached.
    @OptionalField(key: "attached_kind") var attachedKind: String?
    @OptionalField(key: "attached_id") var attachedID: UUID?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
