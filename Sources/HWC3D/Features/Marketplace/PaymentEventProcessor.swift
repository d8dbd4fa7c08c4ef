import Fluent
import Foundation
import Logging
import SQLKit

/// Acts on a verified provider event exactly once. The event's row and its effects commit together: a
/// delivery that fails half-way leaves no row, and the provider's retry does the work; a delivery seen before
/// finds its row and changes nothing. Events arriving out of order only move transactions along allowed steps
/// (a late "failed" cannot undo a success).
struct PaymentEventProcessor {
    let services: AppServices
    let database: any Database
    var logger: Logger = Logger(label: "hwc3d.payments")

    enum Outcome: String {
        case processed, duplicate, ignored
        case unknownTransaction = "unknown_transaction"
    }

    func process(_ event: PaymentEvent, now: Date = Date()) async throws -> Outcome {
        try await database.transaction { db in
            let sql = db.sql
            let rowID = UUID.v7(now: now)
            let inserted = try await sql.raw("""
                INSERT INTO webhook_events (id, provider, event_id, type, outcome, received_at)
                VALUES (\(bind: rowID), \(bind: event.provider.rawValue), \(bind: event.eventID), \(bind: event.type), 'received', \(bind: now))
                ON CONFLICT (provider, event_id) DO NOTHING RETURNING id
                """).all()
            guard !inserted.isEmpty else { return .duplicate }

            let (outcome, detail, transactionID) = try await apply(event, on: db, now: now)
            try await sql.raw("""
                UPDATE webhook_events SET outcome = \(bind: detail ?? outcome.rawValue), transaction_id = \(bind: transactionID) WHERE id = \(bind: rowID)
                """).run()
            return outcome
        }
    }

    private func apply(_ event: PaymentEvent, on db: any Database, now: Date) async throws -> (Outcome, String?, UUID?) {
        if case .ignored = event.kind { return (.ignored, nil, nil) }
        guard let transaction = try await findTransaction(for: event, on: db) else {
            logger.info("provider event for a transaction this server does not know", metadata: ["event": "\(event.eventID)", "type": "\(event.type)"])
            return (.unknownTransaction, nil, nil)
        }
        let transactionID = try transaction.requireID()
        switch event.kind {
        case .ignored:
            return (.ignored, nil, transactionID)
        case .paymentSucceeded(let amount, let currency, let captureReference):
            let result = try await PaymentCompletion(services: services).complete(
                transactionID: transactionID, amountCents: amount, currency: currency, captureReference: captureReference, on: db, now: now)
            switch result {
            case .completed: return (.processed, nil, transactionID)
            case .alreadyCompleted: return (.processed, "already_completed", transactionID)
            case .amountMismatch: return (.processed, "amount_mismatch", transactionID)
            case .notPayable: return (.processed, "not_payable", transactionID)
            }
        case .paymentFailed(let reason):
            let moved = try await Self.markFailed(transactionID, reason: reason, on: db)
            return (.processed, moved ? nil : "not_pending", transactionID)
        case .refunded(let refundReference, let amount, let cumulative):
            if let refundReference, try await RefundRequestRecord.query(on: db)
                .filter(\.$providerReference == refundReference).count() > 0 {
                return (.processed, "refund_known", transactionID)
            }
            // What the provider refunded that we have not recorded yet.
            let unrecorded = cumulative.map { $0 - transaction.refundedCents } ?? amount
            return try await reconcileProviderRefund(transaction, unrecordedCents: unrecorded, reason: "Refunded at \(event.provider.rawValue)", on: db, now: now)
        case .disputeOpened(_, let amount):
            // The provider has already taken the disputed money back from the platform.
            return try await reconcileProviderRefund(transaction, unrecordedCents: min(amount, transaction.amountCents - transaction.refundedCents),
                                                     reason: "Disputed at \(event.provider.rawValue)", on: db, now: now)
        case .disputeClosed(_, let won):
            logger.notice("dispute closed", metadata: ["transaction": "\(transactionID)", "won": "\(won)"])
            return (.processed, won ? "dispute_won" : "dispute_lost", transactionID)
        }
    }

    /// A refund or dispute the provider reports that no approved refund request explains. A request awaiting its
    /// database step (approved at the provider a moment ago) explains it; a full refund of what remains revokes
    /// every remaining item; anything else is left for an admin, with the event recorded.
    private func reconcileProviderRefund(
        _ transaction: PaymentTransaction, unrecordedCents: Int, reason: String, on db: any Database, now: Date
    ) async throws -> (Outcome, String?, UUID?) {
        let transactionID = try transaction.requireID()
        guard unrecordedCents > 0 else { return (.processed, "refund_known", transactionID) }
        let inFlight = try await RefundRequestRecord.query(on: db)
            .filter(\.$transaction.$id == transactionID).filter(\.$status == RefundRequestRecord.Status.pending.rawValue).all()
            .reduce(0) { $0 + $1.amountCents }
        if inFlight >= unrecordedCents { return (.processed, "refund_in_flight", transactionID) }
        let remaining = transaction.amountCents - transaction.refundedCents
        guard unrecordedCents == remaining, [.succeeded, .partiallyRefunded].contains(transaction.lifecycle) else {
            logger.error("provider refund does not match the transaction; needs an admin", metadata: [
                "transaction": "\(transactionID)", "unrecorded": "\(unrecordedCents)", "remaining": "\(remaining)",
            ])
            return (.processed, "needs_review", transactionID)
        }
        let items = try await TransactionItem.query(on: db).filter(\.$transaction.$id == transactionID).filter(\.$refundedAt == nil).all()
        for item in items {
            try await RefundService.refundItem(item, of: transaction, refundRequestID: nil, services: services, on: db, now: now)
        }
        logger.notice("\(reason): remaining items refunded", metadata: ["transaction": "\(transactionID)"])
        return (.processed, "refunded_at_provider", transactionID)
    }

    private func findTransaction(for event: PaymentEvent, on db: any Database) async throws -> PaymentTransaction? {
        let provider = event.provider.rawValue
        if let id = event.transactionID, let transaction = try await PaymentTransaction.find(id, on: db), transaction.provider == provider {
            // Metadata is ours, but the event must also be about this transaction's payment when both say.
            if let reference = event.reference, let own = transaction.providerReference, reference != own { return nil }
            return transaction
        }
        if let reference = event.reference, let transaction = try await PaymentTransaction.query(on: db)
            .filter(\.$provider == provider).filter(\.$providerReference == reference).first() {
            return transaction
        }
        if let capture = event.captureReference {
            return try await PaymentTransaction.query(on: db).filter(\.$provider == provider).filter(\.$captureReference == capture).first()
        }
        return nil
    }

    /// Marks a pending transaction failed; anything already decided stays as it is.
    @discardableResult
    static func markFailed(_ transactionID: UUID, reason: String, on db: any Database) async throws -> Bool {
        let sql = db.sql
        let moved = try await sql.raw("""
            UPDATE transactions SET status = 'failed', failure_reason = \(bind: String(reason.prefix(500))), updated_at = \(bind: Date())
            WHERE id = \(bind: transactionID) AND status = 'pending' RETURNING id
            """).all()
        return !moved.isEmpty
    }
}
