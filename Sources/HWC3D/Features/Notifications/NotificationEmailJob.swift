import Fluent
import Foundation
import Logging

/// The email of a notification, queued by `Notifier` in the event's transaction and composed here, out of it:
/// the recipient's address and the actor's name as they are now, the preference checked again (an unsubscribe
/// between the event and the job wins), an HTML and a text part, and a one-click unsubscribe link for the type.
struct NotificationEmailJob: JobHandler {
    static let kind = "notification_email"

    struct Payload: Codable {
        let notificationID: UUID?
        let type: String
        let recipient: UUID
        let actor: UUID?
        let subject: String
        let detail: String?
        let link: String

        init(_ event: NotificationEvent, notificationID: UUID?) {
            self.notificationID = notificationID
            type = event.type.rawValue
            recipient = event.recipient
            actor = event.actor
            subject = event.subject
            detail = event.detail
            link = event.link
        }
    }

    let mailer: Mailer
    let settings: Settings

    func run(payload: String, database: any Database, logger: Logger) async throws {
        let job = try JSONDecoder().decode(Payload.self, from: Data(payload.utf8))
        guard let type = NotificationType(rawValue: job.type),
            try await NotificationPreferences.choice(of: job.recipient, for: type, on: database).email,
            try await UserDirectory.isActive(job.recipient, on: database),
            let recipient = try await UserDirectory.recipient(job.recipient, on: database)
        else { return }
        var actorName: String?
        if let actor = job.actor { actorName = try await UserDirectory.recipient(actor, on: database)?.displayName }
        let sentence = NotificationText.sentence(type: type, actor: actorName, others: 0, subject: job.subject, detail: job.detail)
        let unsubscribe = UnsubscribeToken(secret: settings.jwtSecret).link(userID: job.recipient, type: type, settings: settings)
        try await database.transaction { tx in
            try await mailer.queue(
                .notification(name: recipient.displayName, sentence: sentence, link: settings.frontendURL + job.link, unsubscribe: unsubscribe),
                to: recipient.email, userID: job.recipient, on: tx)
        }
    }
}
