import Fluent

/// The outbox (`OutboxEmail`): emails written in the same transaction as their cause, so a crash loses none.
struct CreateOutboxEmails: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(OutboxEmail.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
            .field("template", .string, .required)
            .field("to_address", .string, .required)
            .field("subject", .string, .required)
            .field("text_body", .string, .required)
            .field("html_body", .string, .required)
            .field("status", .string, .required)
            .field("sent_at", .datetime)
            .field("created_at", .datetime)
            .create()
        try await DatabaseIndex.create("outbox_emails_user_idx", on: OutboxEmail.schema, columns: ["user_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(OutboxEmail.schema).delete()
    }
}
