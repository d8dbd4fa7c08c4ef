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
