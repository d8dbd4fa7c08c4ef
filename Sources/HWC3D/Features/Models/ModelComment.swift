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

struct CreateModelComments: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ModelComment.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("author_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("parent_id", .uuid, .references(ModelComment.schema, .id, onDelete: .cascade))
            .field("body", .string, .required)
            .field("created_at", .datetime, .required)
            .field("edited_at", .datetime)
            .field("deleted_at", .datetime)
            .create()
        // A page of top-level comments is read by (model, parent null, created_at); its replies by parent.
        try await DatabaseIndex.create("model_comments_model_idx", on: ModelComment.schema, columns: ["model_id", "parent_id", "created_at"], in: database)
        try await DatabaseIndex.create("model_comments_parent_idx", on: ModelComment.schema, columns: ["parent_id", "created_at"], in: database)
        try await DatabaseIndex.create("model_comments_author_idx", on: ModelComment.schema, columns: ["author_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ModelComment.schema).delete()
    }
}
