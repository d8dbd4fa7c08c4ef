import Fluent
import Foundation
import Logging
import SQLKit

/// What happens when a provider confirms that a payment succeeded — from a verified webhook or from our own
/// server-to-server capture, never from the client. In one database transaction: the transaction becomes
/// `succeeded` (only from `pending`, or from `canceled` when a superseded payment was completed anyway), the
/// buyer gets a purchase per item, the ledger records the sale, the cart loses the items, and the receipt and
/// sale emails are queued. A second confirmation finds the transaction already succeeded and changes nothing.
struct PaymentCompletion {
    let services: AppServices
    var logger: Logger = Logger(label: "hwc3d.payments")

    enum Result: Equatable {
        case completed
        case alreadyCompleted
        /// The provider reported another amount or currency than the transaction's: nothing is granted.
        case amountMismatch
        case notPayable(PaymentTransaction.Status)
    }

    func complete(
        transactionID: UUID, amountCents: Int, currency: String, captureReference: String, on db: any Database, now: Date = Date()
    ) async throws -> Result {
        guard let transaction = try await TransactionRows.transaction(transactionID, on: db) else { return .notPayable(.failed) }
        switch transaction.lifecycle {
        case .succeeded, .refunded, .partiallyRefunded: return .alreadyCompleted
        case .pending, .canceled, .failed: break
        }
        guard amountCents == transaction.amountCents, currency.uppercased() == transaction.currency else {
            logger.error("payment amount differs from the transaction; not granted", metadata: [
                "transaction": "\(transactionID)", "expected": "\(transaction.amountCents) \(transaction.currency)",
                "reported": "\(amountCents) \(currency)",
            ])
            return .amountMismatch
        }
        // The conditional update is the gate: of two confirmations racing, one moves the row and the other stops.
        let moved = try await db.prepared("""
            UPDATE transactions SET status = 'succeeded', paid_at = \(bind: now), capture_reference = \(bind: captureReference),
                failure_reason = NULL, updated_at = \(bind: now)
            WHERE id = \(bind: transactionID) AND status IN ('pending', 'canceled', 'failed') RETURNING id
            """)
        guard !moved.isEmpty else { return .alreadyCompleted }
        transaction.status = PaymentTransaction.Status.succeeded.rawValue
        transaction.paidAt = now
        transaction.captureReference = captureReference

        let items = try await TransactionRows.items(of: [transactionID], on: db)
        // No seller locks here (issue 11): a sale only adds a held earning to each seller's balance and reads none,
        // so it cannot make a payout or a reversal take money that is not there. Those read the balance under the
        // seller's lock and see every sale committed before them. Locking sellers here queued every capture behind
        // the busiest sellers' other captures: at 32 buyers this lock held 97% of PostgreSQL's statement time
        // (mean wait 66 ms, up to 2.7 s).
        let settings = try await MarketplaceSettings.load(on: db)
        for item in items {
            // A model the buyer meanwhile owns through another payment is not granted twice; the sale still
            // stands in the ledger (the money was taken) and shows in the admin's transaction view.
            let inserted = try await db.prepared("""
                INSERT INTO purchases (id, buyer_id, model_id, transaction_id, transaction_item_id, price_cents, currency, test_mode, status, created_at)
                VALUES (\(bind: UUID.v7(now: now)), \(bind: transaction.$buyer.id), \(bind: item.$model.id), \(bind: transactionID),
                        \(bind: item.requireID()), \(bind: item.priceCents), \(bind: transaction.currency), \(bind: transaction.testMode), 'active', \(bind: now))
                ON CONFLICT DO NOTHING RETURNING id
                """)
            if inserted.isEmpty {
                logger.warning("buyer already owned a paid model", metadata: ["transaction": "\(transactionID)", "model": "\(item.$model.id)"])
            }
            try await ModelSales.recordSale(of: item.$model.id, on: db, at: now)
        }
        try await Ledger.recordSale(transaction, items: items, holdingPeriodDays: settings.holdingPeriodDays, on: db, now: now)
        try await db.preparedRun("""
            DELETE FROM cart_items WHERE user_id = \(bind: transaction.$buyer.id) AND \(db.sql.idMatches("model_id", anyOf: items.map { $0.$model.id }))
            """)
        try await queueEmails(transaction, items: items, settings: settings, on: db, now: now)
        for item in items {
            let model = (type: "model", id: item.$model.id)
            try await Notifier.notify(.init(
                .purchase, to: transaction.$buyer.id, actor: nil, target: model, subject: item.title, link: "/library"), on: db, now: now)
            try await Notifier.notify(.init(
                .sale, to: item.$seller.id, actor: transaction.$buyer.id, target: model, subject: item.title,
                link: "/dashboard/sales"), on: db, now: now)
        }
        return .completed
    }

    private func queueEmails(_ transaction: PaymentTransaction, items: [TransactionItem], settings: MarketplaceSettings, on db: any Database, now: Date) async throws {
        let frontend = services.settings.frontendURL
        let lines = items.map { MailTemplate.MoneyLine(label: $0.title, cents: $0.priceCents) }
        if let buyer = try await UserDirectory.recipient(transaction.$buyer.id, on: db) {
            try await services.mailer.queue(
                .purchaseReceipt(
                    name: buyer.displayName, reference: try transaction.requireID().uuidString.lowercased(), lines: lines,
                    totalCents: transaction.amountCents, currency: transaction.currency, testMode: transaction.testMode,
                    link: "\(frontend)/library"),
                to: buyer.email, userID: buyer.id, on: db)
        }
        let bySeller = Dictionary(grouping: items, by: { $0.$seller.id })
        for (sellerID, sold) in bySeller.sorted(by: { $0.key.uuidString < $1.key.uuidString }) {
            guard let seller = try await UserDirectory.recipient(sellerID, on: db) else { continue }
            try await services.mailer.queue(
                .saleNotice(
                    name: seller.displayName,
                    lines: sold.map { MailTemplate.MoneyLine(label: $0.title, cents: $0.earningCents) },
                    currency: transaction.currency, testMode: transaction.testMode,
                    availableOn: UTCDay.string(UTCDay.adding(days: settings.holdingPeriodDays, to: now)),
                    link: "\(frontend)/dashboard/sales"),
                to: seller.email, userID: seller.id, on: db)
        }
    }
}
