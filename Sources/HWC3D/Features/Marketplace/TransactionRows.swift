import Fluent
import Foundation
import SQLKit

/// `transactions` and `transaction_items` rows decoded column by column, for the reads on the purchase path
/// (checkout, capture, completion, the views of a transaction). Fluent's own hydration walks each model's fields
/// by reflection and builds its statement by reflection too: in issue 11's checkout profile, Fluent's reflection and
/// SQL building were about a third of the server's CPU. What these return is for reading: every field counts as
/// set, so `update(on:)` on it would write back all of them; a path that changes a transaction reads it with Fluent.
enum TransactionRows {
    static func transaction(_ id: UUID, on database: any Database) async throws -> PaymentTransaction? {
        guard let row = try await database.preparedFirst("SELECT * FROM transactions WHERE id = \(bind: id)") else { return nil }
        return try transaction(from: row)
    }

    /// The buyer's transactions still waiting for their payment (at most a few: a new checkout supersedes them).
    static func pending(of buyerID: UUID, on database: any Database) async throws -> [PaymentTransaction] {
        try await database.prepared("""
            SELECT * FROM transactions WHERE buyer_id = \(bind: buyerID) AND status = \(bind: PaymentTransaction.Status.pending.rawValue)
            """).map(transaction(from:))
    }

    /// The items of the given transactions, in id order (the order they were created in).
    static func items(of transactionIDs: [UUID], on database: any Database) async throws -> [TransactionItem] {
        guard !transactionIDs.isEmpty else { return [] }
        return try await database.prepared("""
            SELECT * FROM transaction_items WHERE \(database.sql.idMatches("transaction_id", anyOf: Array(Set(transactionIDs)))) ORDER BY id
            """).map(item(from:))
    }

    static func transaction(from row: any SQLRow) throws -> PaymentTransaction {
        let transaction = PaymentTransaction()
        transaction.id = try row.decode(column: "id", as: UUID.self)
        transaction.$buyer.id = try row.decode(column: "buyer_id", as: UUID.self)
        transaction.provider = try row.decode(column: "provider", as: String.self)
        transaction.providerReference = try row.decode(column: "provider_reference", as: String?.self)
        transaction.captureReference = try row.decode(column: "capture_reference", as: String?.self)
        transaction.clientSecret = try row.decode(column: "client_secret", as: String?.self)
        transaction.approvalURL = try row.decode(column: "approval_url", as: String?.self)
        transaction.status = try row.decode(column: "status", as: String.self)
        transaction.amountCents = try row.decode(column: "amount_cents", as: Int.self)
        transaction.feeCents = try row.decode(column: "fee_cents", as: Int.self)
        transaction.refundedCents = try row.decode(column: "refunded_cents", as: Int.self)
        transaction.currency = try row.decode(column: "currency", as: String.self)
        transaction.testMode = try row.decode(column: "test_mode", as: Bool.self)
        transaction.cartFingerprint = try row.decode(column: "cart_fingerprint", as: String.self)
        transaction.failureReason = try row.decode(column: "failure_reason", as: String?.self)
        transaction.paidAt = try row.decode(column: "paid_at", as: Date?.self)
        transaction.createdAt = try row.decode(column: "created_at", as: Date?.self)
        transaction.updatedAt = try row.decode(column: "updated_at", as: Date?.self)
        transaction.$id.exists = true
        return transaction
    }

    static func item(from row: any SQLRow) throws -> TransactionItem {
        let item = TransactionItem()
        item.id = try row.decode(column: "id", as: UUID.self)
        item.$transaction.id = try row.decode(column: "transaction_id", as: UUID.self)
        item.$model.id = try row.decode(column: "model_id", as: UUID.self)
        item.$seller.id = try row.decode(column: "seller_id", as: UUID.self)
        item.title = try row.decode(column: "title", as: String.self)
        item.priceCents = try row.decode(column: "price_cents", as: Int.self)
        item.feeCents = try row.decode(column: "fee_cents", as: Int.self)
        item.earningCents = try row.decode(column: "earning_cents", as: Int.self)
        item.refundedAt = try row.decode(column: "refunded_at", as: Date?.self)
        item.$id.exists = true
        return item
    }
}
