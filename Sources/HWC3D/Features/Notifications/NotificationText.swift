import Foundation

/// The sentence a notification reads as, from its type, its latest actor and how many others, and its snapshot.
/// Written at read time, so an actor's new display name shows everywhere.
enum NotificationText {
    static func sentence(type: NotificationType, actor: String?, others: Int, subject: String, detail: String?) -> String {
        let who: String = {
            guard let actor else { return "Someone" }
            switch others {
            case ..<1: return actor
            case 1: return "\(actor) and 1 other"
            default: return "\(actor) and \(others) others"
            }
        }()
        switch type {
        case .follow: return "\(who) started following you"
        case .modelLike: return "\(who) liked \(subject)"
        case .modelComment: return "\(who) commented on \(subject)"
        case .commentReply: return "\(who) replied to your comment on \(subject)"
        case .purchase: return "You bought \(subject)"
        case .sale: return "\(who) bought \(subject)"
        case .modelApproved: return "\(subject) was approved and is now published"
        case .modelRejected: return "\(subject) was not approved" + (detail.map { ": \($0)" } ?? "")
        case .communityPost: return "\(who) posted \(subject)" + (detail.map { " in \($0)" } ?? "")
        case .postReaction: return "\(who) reacted to \(subject)"
        case .postComment: return "\(who) commented on \(subject)"
        case .supportReply: return "Support replied to \(subject)"
        case .bountySubmission: return "\(who) submitted to \(subject)"
        case .bountyAwarded: return "Your submission to \(subject) won the bounty"
        case .payoutPaid: return "Your payout of \(detail ?? subject) was sent"
        case .refundDecided: return "Your refund for \(subject) was \(detail ?? "decided")"
        case .system: return detail.map { "\(subject): \($0)" } ?? subject
        }
    }
}
