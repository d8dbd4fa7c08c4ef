import Fluent

/// Every verified provider event (`WebhookEvent`), so a repeated delivery is recognised and changes nothing.
struct CreateWebhookEvents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(WebhookEvent.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("provider", .string, .required)
            .field("event_id", .string, .required)
            .field("type", .string, .required)
            .field("transaction_id", .uuid)
            .field("outcome", .string, .required)
            .field("received_at", .datetime, .required)
            .unique(on: "provider", "event_id")
            .create()
        try await DatabaseIndex.create("webhook_events_transaction_idx", on: WebhookEvent.schema, columns: ["transaction_id"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(WebhookEvent.schema).delete()
    }
}
