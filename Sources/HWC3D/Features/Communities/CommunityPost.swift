import Fluent
import Foundation

/// A post in a community: title, markdown as written and its sanitised HTML, an optional attached model. The
/// reaction counters (one per type and their total), `comment_count` and `share_count` move with their rows in
/// one transaction, and `hot_rank` with them (`PostRanking`). Deleting sets `deleted_at`.
final class CommunityPost: Model, @unchecked Sendable {
    static let schema = "community_posts"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "community_id") var communityID: UUID
    @Field(key: "author_id") var authorID: UUID
    @Field(key: "title") var title: String
    @Field(key: "body") var body: String
    @Field(key: "body_html") var bodyHTML: String
    /// JSON array of `UploadedImages.Attached`, in order (`UpdateCommunityPostsAddImages`).
    @Field(key: "images") var images: String
    @OptionalField(key: "model_id") var modelID: UUID?
    @OptionalField(key: "pinned_at") var pinnedAt: Date?
    @Field(key: "like_count") var likeCount: Int
    @Field(key: "love_count") var loveCount: Int
    @Field(key: "fire_count") var fireCount: Int
    @Field(key: "wow_count") var wowCount: Int
    @Field(key: "laugh_count") var laughCount: Int
    @Field(key: "reaction_count") var reactionCount: Int
    @Field(key: "comment_count") var commentCount: Int
    @Field(key: "share_count") var shareCount: Int
    @Field(key: "hot_rank") var hotRank: Double
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "edited_at") var editedAt: Date?
    @OptionalField(key: "deleted_at") var deletedAt: Date?

    init() {}
}

/// One user's reaction to one post; a new type replaces the old.
final class PostReaction: Model, @unchecked Sendable {
    static let schema = "post_reactions"

    enum Kind: String, Codable, CaseIterable, Sendable {
        case like, love, fire, wow, laugh

        /// The post's counter of this type.
        var counterColumn: String { rawValue + "_count" }
    }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "post_id") var postID: UUID
    @Field(key: "user_id") var userID: UUID
    @Enum(key: "type") var kind: Kind
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// A comment on a post, or a reply to one (one level). Deleting sets `deleted_at`; a deleted comment with visible
/// replies shows as a placeholder.
final class PostComment: Model, @unchecked Sendable {
    static let schema = "post_comments"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "post_id") var postID: UUID
    @Field(key: "author_id") var authorID: UUID
    @OptionalField(key: "parent_id") var parentID: UUID?
    @Field(key: "body") var body: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "edited_at") var editedAt: Date?
    @OptionalField(key: "deleted_at") var deletedAt: Date?

    init() {}
}

/// A recorded share of a post; `share_count` counts users, not clicks.
final class PostShare: Model, @unchecked Sendable {
    static let schema = "post_shares"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "post_id") var postID: UUID
    @Field(key: "user_id") var userID: UUID
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
