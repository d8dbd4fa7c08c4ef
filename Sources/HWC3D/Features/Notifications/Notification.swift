import Fluent
import Foundation

/// What a notification is about. Each type has a default for in-app and email (`NotificationPreferences`).
enum NotificationType: String, Codable, CaseIterable, Sendable {
    case follow
    case modelLike = "model_like"
    case modelComment = "model_comment"
    case commentReply = "comment_reply"
    case purchase, sale
    case modelApproved = "model_approved"
    case modelRejected = "model_rejected"
    case communityPost = "community_post"
    case postReaction = "post_reaction"
    case postComment = "post_comment"
    case supportReply = "support_reply"
    case bountySubmission = "bounty_submission"
    case bountyAwarded = "bounty_awarded"
    case payoutPaid = "payout_paid"
    case refundDecided = "refund_decided"
    case system

    /// Repeated events of these types on one target within `Notifier.groupWindow` fold into one notification
    /// ("Ana and 14 others liked Chair").
    var groups: Bool {
        switch self {
        case .follow, .modelLike, .modelComment, .commentReply, .postReaction, .postComment: true
        default: false
        }
    }

    /// Types whose email is a transactional message the feature sends itself (receipts, payouts, reviews): the
    /// notification adds no second email, and the email preference cannot turn those off.
    var hasOwnEmail: Bool {
        switch self {
        case .purchase, .sale, .modelApproved, .modelRejected, .payoutPaid, .refundDecided: true
        default: false
        }
    }

    var defaultInApp: Bool { self != .communityPost }

    var defaultEmail: Bool {
        switch self {
        case .follow, .modelComment, .commentReply, .postComment, .supportReply, .bountySubmission, .bountyAwarded, .system: true
        default: false
        }
    }
}

/// One notification for one user: the latest actor and how many distinct actors there were (grouped types), a
/// snapshot of what it is about (`subject`, `detail`, `link`), and when it was read. `updated_at` moves when a
/// grouped event joins, so the list shows it again at the top.
final class UserNotification: Model, @unchecked Sendable {
    static let schema = "notifications"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "type") var type: String
    @OptionalField(key: "target_type") var targetType: String?
    @OptionalField(key: "target_id") var targetID: UUID?
    @OptionalField(key: "actor_id") var actorID: UUID?
    @Field(key: "actor_count") var actorCount: Int
    @Field(key: "subject") var subject: String
    @OptionalField(key: "detail") var detail: String?
    @Field(key: "link") var link: String
    @OptionalField(key: "read_at") var readAt: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// The distinct actors of a grouped notification: who is already counted, so a like, unlike and like again counts once.
final class NotificationActor: Model, @unchecked Sendable {
    static let schema = "notification_actors"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "notification_id") var notificationID: UUID
    @Field(key: "actor_id") var actorID: UUID
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// A user's choice for one type; absent rows mean the type's defaults.
final class NotificationPreference: Model, @unchecked Sendable {
    static let schema = "notification_preferences"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "type") var type: String
    @Field(key: "in_app") var inApp: Bool
    @Field(key: "email") var email: Bool
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}
