import Fluent
import Foundation

/// A 3D model listed in the catalogue. Called `ModelAsset` because `Model` is Fluent's protocol. Counters and the
/// figures of its largest analysed file live in the row, so cards and search read one table.
final class ModelAsset: Model, @unchecked Sendable {
    static let schema = "models"

    enum Status: String, Codable, CaseIterable, Sendable {
        case draft, pendingReview = "pending_review", published, rejected, archived, takenDown = "taken_down"
    }
    enum Visibility: String, Codable, CaseIterable, Sendable { case `public`, unlisted, `private` }
    enum License: String, Codable, CaseIterable, Sendable {
        case cc0, ccBy = "cc-by", ccBySa = "cc-by-sa", ccByNc = "cc-by-nc", standard, editorial
    }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "owner_id") var owner: User
    @Field(key: "slug") var slug: String
    @Field(key: "title") var title: String
    @Field(key: "description") var description: String
    @OptionalParent(key: "category_id") var category: Category?
    @Field(key: "license") var license: String
    @Field(key: "price_cents") var priceCents: Int
    @Field(key: "currency") var currency: String
    @Field(key: "status") var status: String
    @Field(key: "visibility") var visibility: String
    @Field(key: "featured") var featured: Bool
    /// Tags as the model shows them, space-separated; the `model_tags` join table is what filters use.
    @Field(key: "tags_text") var tagsText: String
    /// Formats of its files, comma-separated and sorted, for cards.
    @Field(key: "formats") var formats: String
    @Field(key: "vertex_count") var vertexCount: Int
    @Field(key: "triangle_count") var triangleCount: Int
    @Field(key: "animated") var animated: Bool
    @Field(key: "rigged") var rigged: Bool
    /// From the main file's quality report (`ModelFileFigures`); nil until one has been analysed with it.
    @OptionalField(key: "manifold") var manifold: Bool?
    @OptionalField(key: "has_uv") var hasUV: Bool?
    @OptionalField(key: "textured") var textured: Bool?
    /// Largest real-world dimension in metres; nil also when the file's units are unknown (OBJ).
    @OptionalField(key: "size_m") var sizeMetres: Double?
    @Field(key: "view_count") var viewCount: Int
    @Field(key: "download_count") var downloadCount: Int
    @Field(key: "like_count") var likeCount: Int
    @Field(key: "comment_count") var commentCount: Int
    @Field(key: "sales_count") var salesCount: Int
    @OptionalField(key: "cover_image_id") var coverImageID: UUID?
    @OptionalField(key: "rejection_reason") var rejectionReason: String?
    @OptionalField(key: "takedown_reason") var takedownReason: String?
    @OptionalField(key: "submitted_at") var submittedAt: Date?
    @OptionalField(key: "published_at") var publishedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    /// Owner's soft delete: gone from the catalogue, kept for buyers and the ledger.
    @OptionalField(key: "deleted_at") var deletedAt: Date?

    init() {}

    init(ownerID: UUID, slug: String, title: String) {
        self.id = .v7()
        self.$owner.id = ownerID
        self.slug = slug
        self.title = title
        self.description = ""
        self.license = License.standard.rawValue
        self.priceCents = 0
        self.currency = "USD"
        self.status = Status.draft.rawValue
        self.visibility = Visibility.public.rawValue
        self.featured = false
        self.tagsText = ""
        self.formats = ""
        self.vertexCount = 0
        self.triangleCount = 0
        self.animated = false
        self.rigged = false
        self.viewCount = 0
        self.downloadCount = 0
        self.likeCount = 0
        self.commentCount = 0
        self.salesCount = 0
    }

    var lifecycle: Status { Status(rawValue: status) ?? .draft }
    var access: Visibility { Visibility(rawValue: visibility) ?? .private }

    /// Reachable by anyone who has its link.
    var isPubliclyReachable: Bool { lifecycle == .published && access != .private && deletedAt == nil }
}
