import Fluent
import Foundation
import Logging
import SQLKit

/// An email the application decided to send, written in the same transaction as the change that caused it;
/// the `send_email` job delivers it. A crash between the two loses nothing.
final class OutboxEmail: Model, @unchecked Sendable {
    static let schema = "outbox_emails"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @OptionalField(key: "user_id") var userID: UUID?
    @Field(key: "template") var template: String
    @Field(key: "to_address") var toAddress: String
    @Field(key: "subject") var subject: String
    @Field(key: "text_body") var textBody: String
    @Field(key: "html_body") var htmlBody: String
    @Field(key: "status") var status: String
    @OptionalField(key: "sent_at") var sentAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

/// Sends email: `queue` writes the outbox row and its job on the caller's database (pass the transaction).
struct Mailer: Sendable {
    let from: String
    let jobs: JobQueue

    func queue(_ template: MailTemplate, to address: String, userID: UUID?, on database: any Database) async throws {
        let rendered = template.render()
        let id = UUID.v7()
        // A plain INSERT (no reflection over the record's fields): a sale queues two of these.
        try await database.preparedRun("""
            INSERT INTO outbox_emails (id, user_id, template, to_address, subject, text_body, html_body, status, created_at)
            VALUES (\(bind: id), \(bind: userID), \(bind: template.name), \(bind: address), \(bind: rendered.subject),
                    \(bind: rendered.text), \(bind: rendered.html), 'pending', \(bind: Date()))
            """)
        try await jobs.enqueue(SendEmailJob.kind, payload: SendEmailJob.Payload(emailID: id), on: database)
    }
}

/// Delivers one outbox email through the configured transport. Safe to repeat: a sent email is not sent again.
struct SendEmailJob: JobHandler {
    static let kind = "send_email"
    struct Payload: Codable { let emailID: UUID }

    let from: String
    let transport: any MailTransport

    func run(payload: String, database: any Database, logger: Logger) async throws {
        let decoded = try JSONDecoder().decode(Payload.self, from: Data(payload.utf8))
        guard let email = try await database.preparedFirst("""
            SELECT template, to_address, subject, text_body, html_body, status FROM outbox_emails WHERE id = \(bind: decoded.emailID)
            """),
            try email.decode(column: "status", as: String.self) != "sent"
        else { return }
        let host = MailMessage.bareAddress(from).split(separator: "@").last.map(String.init) ?? "hwc3d.local"
        let message = MailMessage(
            from: from, to: try email.decode(column: "to_address", as: String.self), subject: try email.decode(column: "subject", as: String.self),
            text: try email.decode(column: "text_body", as: String.self), html: try email.decode(column: "html_body", as: String.self),
            messageID: "\(decoded.emailID.uuidString.lowercased())@\(host)")
        try await transport.send(message)
        try await database.preparedRun("UPDATE outbox_emails SET status = 'sent', sent_at = \(bind: Date()) WHERE id = \(bind: decoded.emailID)")
        let template = try email.decode(column: "template", as: String.self)
        logger.info("email sent", metadata: ["template": "\(template)"])
    }
}

/// What the rest of the server may ask of the outbox besides queueing mail.
enum Outbox {
    /// Emails not delivered yet (the `/metrics` gauge).
    static func pendingCount(on database: any Database) async throws -> Int {
        try await OutboxEmail.query(on: database).filter(\.$status == "pending").count()
    }
}
