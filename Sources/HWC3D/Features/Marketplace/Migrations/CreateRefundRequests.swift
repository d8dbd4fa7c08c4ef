import Fluent
import SQLKit

/// Buyers' requests to get a purchase's price back (`RefundRequestRecord`), decided by an admin.
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
        let sql = database.sql
        // One open request per purchase, enforced where races cannot get past it.
        try await sql.raw("CREATE UNIQUE INDEX refund_requests_pending_unique ON refund_requests (purchase_id) WHERE status = 'pending'").run()
        try await DatabaseIndex.create("refund_requests_status_idx", on: RefundRequestRecord.schema, columns: ["status", "created_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(RefundRequestRecord.schema).delete()
    }
}
