import Fluent
import Foundation
import SQLKit

/// A buyer's request to get one purchase's price back, decided by an admin with `finance.write`.
final class RefundRequestRecord: Model, @unchecked Sendable {
    static let schema = "refund_requests"

    enum Status: String, Codable, Sendable {
        case pending, approved, rejected
    }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "purchase_id") var purchase: Purchase
    @Parent(key: "transaction_id") var transaction: PaymentTransaction
    @Parent(key: "transaction_item_id") var item: TransactionItem
    @Parent(key: "buyer_id") var buyer: User
    @Field(key: "amount_cents") var amountCents: Int
    @Field(key: "currency") var currency: String
    @Field(key: "reason") var reason: String
    @Field(key: "status") var status: String
    @OptionalField(key: "decision_note") var decisionNote: String?
    @OptionalField(key: "decided_by") var decidedBy: UUID?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "provider_reference") var providerReference: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

struct CreateRefundRequests: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(RefundRequestRecord.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("purchase_id", .uuid, .required, .references(Purchase.schema, .id))
            .field("transaction_id", .uuid, .required, .references(PaymentTransaction.schema, .id))
            .field("transaction_item_id", .uuid, .required, .references(TransactionItem.schema, .id))
            .field("buyer_id", .uuid, .required, .references(User.schema, .id))
            .field("amount_cents", .int64, .required)
            .field("currency", .string, .required)
            .field("reason", .string, .required)
            .field("status", .string, .required)
            .field("decision_note", .string)
            .field("decided_by", .uuid)
            .field("decided_at", .datetime)
            .field("provider_reference", .string)
            .field("created_at", .datetime, .required)
            .create()
        let sql = database as! any SQLDatabase
        // One open request per purchase, enforced where races cannot get past it.
        try await sql.raw("CREATE UNIQUE INDEX refund_requests_pending_unique ON refund_requests (purchase_id) WHERE status = 'pending'").run()
        try await DatabaseIndex.create("refund_requests_status_idx", on: RefundRequestRecord.schema, columns: ["status", "created_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(RefundRequestRecord.schema).delete()
    }
}
