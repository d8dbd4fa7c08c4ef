import Fluent
import Foundation
import Logging
import SQLKit

/// Refund requests: buyers ask within the refund window, admins with `finance.write` decide. Approval refunds
/// through the provider first (keyed by the request id, so a retried approval cannot refund twice), then
/// records everything in one database transaction.
struct RefundService {
    let services: AppServices
    let database: any Database
    var logger: Logger = Logger(label: "hwc3d.refunds")

    func request(purchaseID: UUID, reason raw: String, buyer: Caller, now: Date = Date()) async throws -> RefundRequestRecord {
        let reason = try TextInput.clean(raw, field: "reason", shape: .multiLine, length: 10...2000)
        guard let purchase = try await Purchase.find(purchaseID, on: database), purchase.$buyer.id == buyer.userID else {
            throw Problem.notFound("The purchase")
        }
        guard purchase.isActive else {
            throw Problem.conflict("already-refunded", "Already refunded", detail: "This purchase was refunded already.")
        }
        let settings = try await MarketplaceSettings.load(on: database)
        let windowEnd = UTCDay.adding(days: settings.refundWindowDays, to: purchase.createdAt)
        guard now <= windowEnd else {
            throw Problem.conflict(
                "refund-window-closed", "Refund window closed",
                detail: "Refunds can be requested within \(settings.refundWindowDays) days of the purchase; this one was on \(UTCDay.string(purchase.createdAt)).")
        }
        let request = RefundRequestRecord()
        request.id = .v7(now: now)
        request.$purchase.id = purchaseID
        request.$transaction.id = purchase.$transaction.id
        request.$item.id = purchase.$item.id
        request.$buyer.id = buyer.userID
        request.amountCents = purchase.priceCents
        request.currency = purchase.currency
        request.reason = reason
        request.status = RefundRequestRecord.Status.pending.rawValue
        request.createdAt = now
        do {
            try await request.create(on: database)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw Problem.conflict("refund-already-requested", "Refund already requested", detail: "A refund request for this purchase is waiting for a decision.")
        }
        return request
    }

    func approve(requestID: UUID, note: String?, admin: AdminCaller, now: Date = Date()) async throws -> RefundRequestRecord {
        let note = try Self.validNote(note, required: false)
        guard let request = try await RefundRequestRecord.find(requestID, on: database) else { throw Problem.notFound("The refund request") }
        try Self.requirePending(request)
        guard let transaction = try await PaymentTransaction.find(request.$transaction.id, on: database),
            let item = try await TransactionItem.find(request.$item.id, on: database)
        else { throw ProblemMiddleware.internalError }
        guard item.refundedAt == nil, transaction.refundedCents + request.amountCents <= transaction.amountCents else {
            throw Problem.conflict("already-refunded", "Already refunded", detail: "This purchase was refunded already.")
        }
        guard let gateway = services.payments.provider(transaction.providerName) else {
            throw CheckoutService.providerUnavailable(transaction.providerName)
        }
        let providerRefund: ProviderRefund
        do {
            providerRefund = try await gateway.refund(RefundRequestToProvider(
                captureReference: transaction.captureReference ?? transaction.providerReference ?? "",
                amountCents: request.amountCents, currency: request.currency,
                idempotencyKey: "refund-\(requestID.uuidString.lowercased())", note: "Refund of \(item.title)"))
        } catch let error as PaymentProviderError {
            logger.warning("provider refused a refund", metadata: ["request": "\(requestID)", "error": "\(error)"])
            if error.retryable { throw CheckoutService.providerUnavailable(error.provider) }
            throw Problem.conflict("refund-failed", "Refund failed", detail: "The payment provider refused the refund; the request stays pending.")
        }

        return try await database.transaction { db in
            let sql = db.sql
            let moved = try await sql.raw("""
                UPDATE refund_requests SET status = 'approved', decision_note = \(bind: note), decided_by = \(bind: admin.caller.userID),
                    decided_at = \(bind: now), provider_reference = \(bind: providerRefund.reference)
                WHERE id = \(bind: requestID) AND status = 'pending' RETURNING id
                """).all()
            guard !moved.isEmpty else {
                throw Problem.conflict("refund-already-decided", "Already decided", detail: "Another admin decided this request a moment ago.")
            }
            guard let transaction = try await PaymentTransaction.find(request.$transaction.id, on: db),
                let item = try await TransactionItem.find(request.$item.id, on: db), item.refundedAt == nil
            else {
                throw Problem.conflict("already-refunded", "Already refunded", detail: "This purchase was refunded already.")
            }
            let reversal = try await Self.refundItem(item, of: transaction, refundRequestID: requestID, services: services, on: db, now: now)
            try await AdminAudit.record(
                admin: admin, action: "refund.approve", targetType: "refund_request", targetID: requestID.uuidString.lowercased(),
                before: #"{"status":"pending"}"#,
                after: #"{"status":"approved","amount_cents":\#(request.amountCents),"from_seller_cents":\#(reversal.fromSellerCents),"absorbed_cents":\#(reversal.absorbedByPlatformCents)}"#,
                on: db)
            if let buyer = try await UserDirectory.recipient(request.$buyer.id, on: db) {
                try await services.mailer.queue(
                    .refundApproved(name: buyer.displayName, title: item.title, amountCents: request.amountCents, currency: request.currency, testMode: transaction.testMode),
                    to: buyer.email, userID: buyer.id, on: db)
            }
            try await Notifier.notify(.init(
                .refundDecided, to: request.$buyer.id, actor: nil, target: ("refund_request", requestID), subject: item.title,
                detail: "approved", link: "/library"), on: db, now: now)
            return try await RefundRequestRecord.find(requestID, on: db) ?? request
        }
    }

    func reject(requestID: UUID, note: String?, admin: AdminCaller, now: Date = Date()) async throws -> RefundRequestRecord {
        let note = try Self.validNote(note, required: true) ?? ""
        return try await database.transaction { db in
            guard let request = try await RefundRequestRecord.find(requestID, on: db) else { throw Problem.notFound("The refund request") }
            try Self.requirePending(request)
            let sql = db.sql
            let moved = try await sql.raw("""
                UPDATE refund_requests SET status = 'rejected', decision_note = \(bind: note), decided_by = \(bind: admin.caller.userID), decided_at = \(bind: now)
                WHERE id = \(bind: requestID) AND status = 'pending' RETURNING id
                """).all()
            guard !moved.isEmpty else {
                throw Problem.conflict("refund-already-decided", "Already decided", detail: "Another admin decided this request a moment ago.")
            }
            try await AdminAudit.record(
                admin: admin, action: "refund.reject", targetType: "refund_request", targetID: requestID.uuidString.lowercased(),
                before: #"{"status":"pending"}"#, after: #"{"status":"rejected"}"#, on: db)
            let item = try await TransactionItem.find(request.$item.id, on: db)
            if let buyer = try await UserDirectory.recipient(request.$buyer.id, on: db) {
                try await services.mailer.queue(.refundRejected(name: buyer.displayName, title: item?.title ?? "your purchase", note: note),
                                                to: buyer.email, userID: buyer.id, on: db)
            }
            try await Notifier.notify(.init(
                .refundDecided, to: request.$buyer.id, actor: nil, target: ("refund_request", requestID),
                subject: item?.title ?? "your purchase", detail: "not approved", link: "/library"), on: db, now: now)
            return try await RefundRequestRecord.find(requestID, on: db) ?? request
        }
    }

    /// Refunds one sold item inside the caller's database transaction: the buyer loses access, the item and the
    /// transaction record it, the ledger reverses the sale, and the seller is told.
    @discardableResult
    static func refundItem(
        _ item: TransactionItem, of transaction: PaymentTransaction, refundRequestID: UUID?, services: AppServices, on db: any Database, now: Date
    ) async throws -> Ledger.Reversal {
        let sql = db.sql
        let itemID = try item.requireID()
        let transactionID = try transaction.requireID()
        let marked = try await sql.raw("""
            UPDATE transaction_items SET refunded_at = \(bind: now) WHERE id = \(bind: itemID) AND refunded_at IS NULL RETURNING id
            """).all()
        guard !marked.isEmpty else { return Ledger.Reversal(fromSellerCents: 0, absorbedByPlatformCents: 0) }
        try await sql.raw("""
            UPDATE purchases SET status = 'refunded', refunded_at = \(bind: now) WHERE transaction_item_id = \(bind: itemID) AND status = 'active'
            """).run()
        // Only ever up to the amount paid: the condition makes a refund beyond it change nothing and fail loudly.
        let updated = try await sql.raw("""
            UPDATE transactions SET refunded_cents = refunded_cents + \(bind: item.priceCents),
                status = CASE WHEN refunded_cents + \(bind: item.priceCents) >= amount_cents THEN 'refunded' ELSE 'partially_refunded' END,
                updated_at = \(bind: now)
            WHERE id = \(bind: transactionID) AND refunded_cents + \(bind: item.priceCents) <= amount_cents RETURNING id
            """).all()
        guard !updated.isEmpty else {
            throw Problem.conflict("refund-exceeds-payment", "Refund exceeds payment", detail: "This refund would return more than was paid.")
        }
        transaction.refundedCents += item.priceCents
        try await RowLock.user(item.$seller.id, on: db)
        let reversal = try await Ledger.reverseItem(item, of: transaction, refundRequestID: refundRequestID, on: db, now: now)
        if let seller = try await UserDirectory.recipient(item.$seller.id, on: db) {
            try await services.mailer.queue(
                .saleRefunded(name: seller.displayName, title: item.title, earningCents: item.earningCents, currency: transaction.currency, testMode: transaction.testMode),
                to: seller.email, userID: seller.id, on: db)
        }
        return reversal
    }

    static func requirePending(_ request: RefundRequestRecord) throws {
        guard request.status == RefundRequestRecord.Status.pending.rawValue else {
            throw Problem.conflict("refund-already-decided", "Already decided", detail: "This refund request was \(request.status) already.")
        }
    }

    static func validNote(_ raw: String?, required: Bool) throws -> String? {
        let note = try TextInput.clean(raw ?? "", field: "note", shape: .multiLine, length: 0...2000)
        if note.isEmpty {
            if required { throw Problem.validation(field: "note", "is required: tell the requester why") }
            return nil
        }
        guard note.count >= 3 else { throw Problem.validation(field: "note", "must be 3 to 2000 characters") }
        return note
    }
}
