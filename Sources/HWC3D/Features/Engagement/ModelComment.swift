import Fluent
import Foundation

/// A comment on a model, or a reply to one (one level: `parent_id` always names a top-level comment).
/// Deleting sets `deleted_at` and keeps the text for moderation and reports; readers never see it again. A
/// deleted top-level comment that still has visible replies is shown as a placeholder, otherwise not at all.
final class ModelComment: Model, @unchecked Sendable {
    static let schema = "model_comments"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "model_id") var model: ModelAsset
    @Parent(key: "author_id") var author: User
    @OptionalField(key: "parent_id") var parentID: UUID?
    @Field(key: "body") var body: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "edited_at") var editedAt: Date?
    @OptionalField(key: "deleted_at") var deletedAt: Date?

    init() {}
}
