import Fluent
import Foundation
import SQLKit

/// A `models` row decoded straight into a `ModelAsset`, column by column. Fluent's own hydration walks the model's
/// fields by reflection and builds its query by reflection too; on the model page those two were about a third of
/// the server's CPU (issue 11's profile). The model it returns counts as loaded, so `update(on:)` writes it back.
enum ModelRow {
    /// Every column of `models` under `alias`, for a statement that reads a model with other features' columns.
    static func columns(_ alias: String) -> SQLQueryString { "\(unsafeRaw: alias).*" }

    static func model(from row: any SQLRow) throws -> ModelAsset {
        let model = ModelAsset()
        model.id = try row.decode(column: "id", as: UUID.self)
        model.$owner.id = try row.decode(column: "owner_id", as: UUID.self)
        model.slug = try row.decode(column: "slug", as: String.self)
        model.title = try row.decode(column: "title", as: String.self)
        model.description = try row.decode(column: "description", as: String.self)
        model.$category.id = try row.decode(column: "category_id", as: UUID?.self)
        model.license = try row.decode(column: "license", as: String.self)
        model.priceCents = try row.decode(column: "price_cents", as: Int.self)
        model.currency = try row.decode(column: "currency", as: String.self)
        model.status = try row.decode(column: "status", as: String.self)
        model.visibility = try row.decode(column: "visibility", as: String.self)
        model.featured = try row.decode(column: "featured", as: Bool.self)
        model.tagsText = try row.decode(column: "tags_text", as: String.self)
        model.formats = try row.decode(column: "formats", as: String.self)
        model.vertexCount = try row.decode(column: "vertex_count", as: Int.self)
        model.triangleCount = try row.decode(column: "triangle_count", as: Int.self)
        model.animated = try row.decode(column: "animated", as: Bool.self)
        model.rigged = try row.decode(column: "rigged", as: Bool.self)
        model.viewCount = try row.decode(column: "view_count", as: Int.self)
        model.downloadCount = try row.decode(column: "download_count", as: Int.self)
        model.likeCount = try row.decode(column: "like_count", as: Int.self)
        model.commentCount = try row.decode(column: "comment_count", as: Int.self)
        model.salesCount = try row.decode(column: "sales_count", as: Int.self)
        model.coverImageID = try row.decode(column: "cover_image_id", as: UUID?.self)
        model.rejectionReason = try row.decode(column: "rejection_reason", as: String?.self)
        model.takedownReason = try row.decode(column: "takedown_reason", as: String?.self)
        model.submittedAt = try row.decode(column: "submitted_at", as: Date?.self)
        model.publishedAt = try row.decode(column: "published_at", as: Date?.self)
        model.createdAt = try row.decode(column: "created_at", as: Date?.self)
        model.updatedAt = try row.decode(column: "updated_at", as: Date?.self)
        model.deletedAt = try row.decode(column: "deleted_at", as: Date?.self)
        model.$id.exists = true
        return model
    }
}
