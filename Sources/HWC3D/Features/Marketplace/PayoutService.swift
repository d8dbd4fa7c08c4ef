import Fluent
import Foundation
import Logging
import SQLKit

/// Payout methods and payouts. A request reserves the amount in the ledger under the seller's lock, so two
/// requests can never claim the same money; an approval pays through the provider of the seller's method
/// (keyed by the payout id, so a retried approval cannot pay twice); a rejection releases the reservation.
struct PayoutService {
    let services: AppServices
    let database: any Database
    var logger: Logger = Logger(label: "hwc3d.payouts")

    func setMethod(type: String, stripeAccountID: String?, paypalEmail: String?, seller: Caller, now: Date = Date()) async throws -> PayoutMethodRecord {
        guard let kind = PayoutMethodRecord.Kind(rawValue: type) else {
            throw Problem.validation(field: "type", "must be stripe_connect or paypal")
        }
        let destination: String
        switch kind {
        case .stripeConnect:
            let account = stripeAccountID?.trimmingCharacters(in: .whitespaces) ?? ""
            guard account.hasPrefix("acct_"), (6...64).contains(account.count),
                account.dropFirst(5).allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
            else { throw Problem.validation(field: "stripe_account_id", "must be a Stripe Connect account id like acct_1A2b3C4d") }
            destination = account
        case .paypal:
            let email = paypalEmail?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            guard AccountRules.emailErrors(email).isEmpty else {
                throw Problem.validation(field: "paypal_email", "must be an email address")
            }
            destination = email
        }
        let record = try await PayoutMethodRecord.find(seller.userID, on: database) ?? {
            let fresh = PayoutMethodRecord()
            fresh.id = seller.userID
            return fresh
        }()
        record.type = kind.rawValue
        record.destination = destination
        record.updatedAt = now
        try await record.save(on: database)
        return record
    }

    func request(amountCents: Int?, seller: Caller) async throws -> Payout {
        if let amountCents, amountCents <= 0 { throw Problem.validation(field: "amount_cents", "must be a positive number of cents") }
        return try await database.transaction { db in
            try await RowLock.user(seller.userID, on: db)
            // Read the clock after the lock: the balance must include what the previous holder just wrote.
            let now = Date()
            guard let method = try await PayoutMethodRecord.find(seller.userID, on: db) else {
                throw Problem.conflict("payout-method-required", "No payout method", detail: "Set a payout method (PUT /payouts/method) first.")
            }
            let settings = try await MarketplaceSettings.load(on: db)
            let balance = try await Ledger.balance(sellerID: seller.userID, on: db, now: now)
            let amount = amountCents ?? balance.availableCents
            guard amount >= settings.payoutMinimumCents else {
                throw Problem.validation(
                    field: "amount_cents",
                    "must be at least the payout minimum of \(DecimalAmount.string(cents: settings.payoutMinimumCents)) \(services.settings.payments.currency)")
            }
            guard amount <= balance.availableCents else {
                throw Problem.conflict(
                    "insufficient-balance", "Insufficient balance",
                    detail: "You can request up to \(DecimalAmount.string(cents: balance.availableCents)) \(services.settings.payments.currency) now.")
            }
            let payout = Payout()
            payout.id = .v7(now: now)
            payout.$seller.id = seller.userID
            payout.amountCents = amount
            payout.currency = services.settings.payments.currency
            payout.status = Payout.Status.pending.rawValue
            payout.method = method.type
            payout.destination = method.destination
            payout.createdAt = now
            try await payout.create(on: db)
            try await Ledger.reservePayout(payout, testMode: false, on: db, now: now)
            return payout
        }
    }

    /// Which provider pays a method: the real one when configured, otherwise the sandbox (test money) if enabled.
    func provider(for payout: Payout) -> (any PaymentProvider)? {
        let real: PaymentProviderName = payout.method == PayoutMethodRecord.Kind.paypal.rawValue ? .paypal : .stripe
        return services.payments.provider(real) ?? services.payments.provider(.sandbox)
    }

    func approve(payoutID: UUID, note: String?, admin: AdminCaller, now: Date = Date()) async throws -> Payout {
        let note = try RefundService.validNote(note, required: false)
        guard let payout = try await Payout.find(payoutID, on: database) else { throw Problem.notFound("The payout") }
        try Self.requirePending(payout)
        guard let gateway = provider(for: payout) else {
            throw Problem.conflict("provider-unavailable", "No provider for this method", detail: "No configured provider can pay a \(payout.method) payout.")
        }
        let destination: PayoutDestination = payout.method == PayoutMethodRecord.Kind.paypal.rawValue
            ? .paypalEmail(payout.destination) : .stripeAccount(payout.destination)
        let paid: ProviderPayout
        do {
            paid = try await gateway.payout(PayoutRequestToProvider(
                destination: destination, amountCents: payout.amountCents, currency: payout.currency,
                idempotencyKey: "payout-\(payoutID.uuidString.lowercased())", note: "HWC3D payout"))
        } catch let error as PaymentProviderError {
            logger.warning("provider refused a payout", metadata: ["payout": "\(payoutID)", "error": "\(error)"])
            if error.retryable { throw CheckoutService.providerUnavailable(error.provider) }
            _ = try await decide(payout, to: .failed, note: "The provider refused the payout: \(error.message)", providerName: gateway.name,
                                 reference: nil, admin: admin, now: now)
            throw Problem.conflict("payout-failed", "Payout failed", detail: "The provider refused the payout; the amount is back in the seller's balance.")
        }
        return try await decide(payout, to: .paid, note: note, providerName: gateway.name, reference: paid.reference, admin: admin, now: now)
    }

    func reject(payoutID: UUID, note: String?, admin: AdminCaller, now: Date = Date()) async throws -> Payout {
        let note = try RefundService.validNote(note, required: true)
        guard let payout = try await Payout.find(payoutID, on: database) else { throw Problem.notFound("The payout") }
        try Self.requirePending(payout)
        return try await decide(payout, to: .rejected, note: note, providerName: nil, reference: nil, admin: admin, now: now)
    }

    private func decide(
        _ payout: Payout, to status: Payout.Status, note: String?, providerName: PaymentProviderName?, reference: String?,
        admin: AdminCaller, now: Date
    ) async throws -> Payout {
        let payoutID = try payout.requireID()
        return try await database.transaction { db in
            let sql = db.sql
            let moved = try await sql.raw("""
                UPDATE payouts SET status = \(bind: status.rawValue), note = \(bind: note), decided_by = \(bind: admin.caller.userID),
                    decided_at = \(bind: now), provider = \(bind: providerName?.rawValue), provider_reference = \(bind: reference)
                WHERE id = \(bind: payoutID) AND status = 'pending' RETURNING id
                """).all()
            guard !moved.isEmpty else {
                throw Problem.conflict("payout-already-decided", "Already decided", detail: "Another admin decided this payout a moment ago.")
            }
            if status != .paid {
                try await RowLock.user(payout.$seller.id, on: db)
                try await Ledger.releasePayout(payout, testMode: false, on: db, now: now)
            }
            try await AdminAudit.record(
                admin: admin, action: "payout.\(status == .paid ? "approve" : status.rawValue == "failed" ? "fail" : "reject")",
                targetType: "payout", targetID: payoutID.uuidString.lowercased(),
                before: #"{"status":"pending"}"#, after: #"{"status":"\#(status.rawValue)","amount_cents":\#(payout.amountCents)}"#, on: db)
            if let seller = try await UserDirectory.recipient(payout.$seller.id, on: db) {
                let template: MailTemplate = status == .paid
                    ? .payoutPaid(name: seller.displayName, amountCents: payout.amountCents, currency: payout.currency,
                                  destination: payout.destination, testMode: providerName == .sandbox)
                    : .payoutRejected(name: seller.displayName, amountCents: payout.amountCents, currency: payout.currency, note: note ?? "")
                try await services.mailer.queue(template, to: seller.email, userID: seller.id, on: db)
            }
            if status == .paid {
                try await Notifier.notify(.init(
                    .payoutPaid, to: payout.$seller.id, actor: nil, target: ("payout", payoutID), subject: "your payout",
                    detail: MailTemplate.money(payout.amountCents, payout.currency), link: "/dashboard/payouts"), on: db, now: now)
            }
            return try await Payout.find(payoutID, on: db) ?? payout
        }
    }

    static func requirePending(_ payout: Payout) throws {
        guard payout.status == Payout.Status.pending.rawValue else {
            throw Problem.conflict("payout-already-decided", "Already decided", detail: "This payout was \(payout.status) already.")
        }
    }
}
