import Fluent
import Foundation
import Logging

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
        let email = OutboxEmail()
        email.id = .v7()
        email.userID = userID
        email.template = template.name
        email.toAddress = address
        email.subject = rendered.subject
        email.textBody = rendered.text
        email.htmlBody = rendered.html
        email.status = "pending"
        try await email.create(on: database)
        try await jobs.enqueue(SendEmailJob.kind, payload: SendEmailJob.Payload(emailID: email.id!), on: database)
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
        guard let email = try await OutboxEmail.find(decoded.emailID, on: database) else { return }
        guard email.status != "sent" else { return }
        let host = MailMessage.bareAddress(from).split(separator: "@").last.map(String.init) ?? "hwc3d.local"
        let message = MailMessage(
            from: from, to: email.toAddress, subject: email.subject, text: email.textBody, html: email.htmlBody,
            messageID: "\(email.id!.uuidString.lowercased())@\(host)")
        try await transport.send(message)
        email.status = "sent"
        email.sentAt = Date()
        try await email.update(on: database)
        logger.info("email sent", metadata: ["template": "\(email.template)"])
    }
}

/// What the rest of the server may ask of the outbox besides queueing mail.
enum Outbox {
    /// Emails not delivered yet (the `/metrics` gauge).
    static func pendingCount(on database: any Database) async throws -> Int {
        try await OutboxEmail.query(on: database).filter(\.$status == "pending").count()
    }
}
