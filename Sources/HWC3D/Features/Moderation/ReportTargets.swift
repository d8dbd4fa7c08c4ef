import Fluent
import Foundation
import HWC3DAPI

/// The kinds of things people can report.
enum ReportTargetType: String, CaseIterable, Sendable {
    case model, comment, post
    case postComment = "post_comment"
    case user, community
}

/// Something reported, as it is now, for the moderators.
struct ReportedContent: Sendable {
    var exists: Bool
    var removed: Bool
    var title: String?
    var text: String?
    var authorID: UUID?
    var link: String?

    static let gone = ReportedContent(exists: false, removed: true)
}

/// What moderation needs from the feature that owns a kind of content; each feature implements it for its own
/// (`ModelReports`, `ModelCommentReports`, `PostReports`, `PostCommentReports`, `UserReports`, `CommunityReports`).
protocol ReportableContent: Sendable {
    /// Whether `viewer` can see it now (a report on anything else is 404, like the thing itself).
    func isVisible(_ id: UUID, to viewer: Caller, on database: any Database) async throws -> Bool
    /// As it is now, whatever its state.
    func snapshot(_ id: UUID, on database: any Database) async throws -> ReportedContent
    /// Takes it away, inside the decision's transaction.
    func remove(_ id: UUID, reason: String, admin: AdminCaller, services: AppServices, on database: any Database) async throws
}

enum ReportTargets {
    static func implementation(for type: ReportTargetType) -> any ReportableContent {
        switch type {
        case .model: ModelReports()
        case .comment: ModelCommentReports()
        case .post: PostReports()
        case .postComment: PostCommentReports()
        case .user: UserReports()
        case .community: CommunityReports()
        }
    }
}
