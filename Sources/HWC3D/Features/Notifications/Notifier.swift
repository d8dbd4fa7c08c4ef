import Fluent
import Foundation
import SQLKit

/// Something that happened that a user should hear about, described by the feature where it happened.
struct NotificationEvent: Sendable {
    let type: NotificationType
    let recipient: UUID
    /// Who did it; nil for the platform's own events (a review, a payout).
    let actor: UUID?
    /// What it is about, for grouping and for the reader's link: `model`, `post`, `comment`, `user`, ...
    let targetType: String?
    let targetID: UUID?
    /// A snapshot of the target's name as the reader knew it ("Oak chair").
    let subject: String
    /// More words where the type needs them (a rejection's reason, an amount).
    let detail: String?
    /// Where the frontend shows it: a path on the site (`/models/oak-chair`).
    let link: String

    init(
        _ type: NotificationType, to recipient: UUID, actor: UUID?, target: (type: String, id: UUID)?, subject: String,
        detail: String? = nil, link: String
    ) {
        self.type = type
        self.recipient = recipient
        self.actor = actor
        targetType = target?.type
        targetID = target?.id
        self.subject = subject
        self.detail = detail
        self.link = link
    }
}

/// Writes notifications in the transaction of the event that causes them (callers pass their transaction), so a
/// rolled-back like notifies nobody and a committed sale cannot lose its notification. No notification to
/// yourself, none to suspended or erased accounts, none of a type the recipient turned off.
///
/// No storms: an actor already counted on the same type and target within `groupWindow` changes nothing (like,
/// unlike, like again notifies once), and for grouped types a new actor joins the unread notification of that
/// target instead of adding one ("Ana and 14 others liked Chair"); only the first event of a group sends email.
enum Notifier {
    static let groupWindow: TimeInterval = 24 * 3600

    static func notify(_ event: NotificationEvent, on database: any Database, now: Date = Date()) async throws {
        if let actor = event.actor, actor == event.recipient { return }
        guard try await UserDirectory.isActive(event.recipient, on: database) else { return }
        let choice = try await NotificationPreferences.choice(of: event.recipient, for: event.type, on: database)
        let emails = choice.email && !event.type.hasOwnEmail
        guard choice.inApp || emails else { return }
        let sql = database.sql

        if let actor = event.actor, let targetID = event.targetID {
            let recent = try await sql.raw("""
                SELECT n.id, n.read_at, a.id AS counted
                FROM notifications n LEFT JOIN notification_actors a ON a.notification_id = n.id AND a.actor_id = \(bind: actor)
                WHERE n.user_id = \(bind: event.recipient) AND n.type = \(bind: event.type.rawValue) AND n.target_id = \(bind: targetID)
                  AND n.created_at > \(bind: now.addingTimeInterval(-groupWindow))
                ORDER BY n.created_at DESC
                """).all()
            if try recent.contains(where: { try $0.decode(column: "counted", as: UUID?.self) != nil }) { return }
            if event.type.groups, let open = try recent.first(where: { try $0.decode(column: "read_at", as: Date?.self) == nil }) {
                let id = try open.decode(column: "id", as: UUID.self)
                try await addActor(actor, to: id, on: database, now: now)
                try await sql.raw("""
                    UPDATE notifications SET actor_id = \(bind: actor), actor_count = actor_count + 1, subject = \(bind: event.subject),
                        updated_at = \(bind: now)
                    WHERE id = \(bind: id)
                    """).run()
                try await NotificationFeed.published(id, to: event.recipient, on: database, now: now)
                return
            }
        }

        var notificationID: UUID?
        if choice.inApp {
            let id = UUID.v7(now: now)
            try await sql.raw("""
                INSERT INTO notifications (id, user_id, type, target_type, target_id, actor_id, actor_count, subject, detail, link,
                    created_at, updated_at)
                VALUES (\(bind: id), \(bind: event.recipient), \(bind: event.type.rawValue), \(bind: event.targetType), \(bind: event.targetID),
                    \(bind: event.actor), \(bind: event.actor == nil ? 0 : 1), \(bind: event.subject), \(bind: event.detail), \(bind: event.link),
                    \(bind: now), \(bind: now))
                """).run()
            if let actor = event.actor { try await addActor(actor, to: id, on: database, now: now) }
            try await NotificationFeed.published(id, to: event.recipient, on: database, now: now)
            notificationID = id
        }
        if emails {
            try await JobQueue.insert(NotificationEmailJob.kind, payload: NotificationEmailJob.Payload(event, notificationID: notificationID), on: database)
        }
    }

    /// The same event to many recipients of a type that is off by default (`community_post`): only those who
    /// turned it on hear of it, found in one statement per batch.
    static func notifyOptedIn(_ recipients: [UUID], event: (UUID) -> NotificationEvent, on database: any Database, now: Date = Date()) async throws {
        guard let type = recipients.first.map({ event($0).type }) else { return }
        let sql = database.sql
        for start in stride(from: 0, to: recipients.count, by: 500) {
            let batch = Array(recipients[start..<min(start + 500, recipients.count)])
            let rows = try await sql.raw("""
                SELECT user_id FROM notification_preferences
                WHERE type = \(bind: type.rawValue) AND (in_app OR email) AND \(sql.idMatches("user_id", anyOf: batch))
                """).all()
            for row in rows { try await notify(event(try row.decode(column: "user_id", as: UUID.self)), on: database, now: now) }
        }
    }

    private static func addActor(_ actor: UUID, to notificationID: UUID, on database: any Database, now: Date) async throws {
        let sql = database.sql
        try await sql.raw("""
            INSERT INTO notification_actors (id, notification_id, actor_id, created_at)
            VALUES (\(bind: UUID.v7(now: now)), \(bind: notificationID), \(bind: actor), \(bind: now))
            ON CONFLICT (notification_id, actor_id) DO NOTHING
            """).run()
    }
}
