import Fluent
import Foundation

/// Every verified provider event, recorded with what it did, so a repeated delivery is recognised and changes
/// nothing. The row commits in the same database transaction as the event's effects.
final class WebhookEvent: Model, @unchecked Sendable {
    static let schema = "webhook_events"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "provider") var provider: String
    @Field(key: "event_id") var eventID: String
    @Field(key: "type") var type: String
    @OptionalField(key: "transaction_id") var transactionID: UUID?
    @Field(key: "outcome") var outcome: String
    @Field(key: "received_at") var receivedAt: Date

    init() {}
}

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
