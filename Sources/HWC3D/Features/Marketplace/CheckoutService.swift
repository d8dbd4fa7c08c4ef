import Fluent
import Foundation
import HWC3DAPI
import Logging
import SQLKit

/// `POST /checkout`: one transaction for the cart and one payment at the provider, safe to retry.
///
/// The work happens in recorded steps so a crash at any point loses nothing and a retry with the same
/// `Idempotency-Key` continues where the first attempt stopped: (1) claim the key; (2) in one database transaction,
/// create the transaction and its items with prices and fees captured now, and note it on the key; (3) open the
/// payment at the provider with an idempotency key made from our transaction id, so a repeated call returns the
/// same payment; (4) store the provider's reference and the answer on the key.
struct CheckoutService {
    let services: AppServices
    let database: any Database
    var logger: Logger = Logger(label: "hwc3d.checkout")

    struct Input: Codable, Equatable {
        var provider: String
        var expectedTotalCents: Int?
    }

    struct Answer {
        var status: Int
        var body: Components.Schemas.Checkout
    }

    func checkout(_ input: Input, idempotencyKey rawKey: String?, buyer: Caller) async throws -> Answer {
        let key = try IdempotencyKey.validate(rawKey)
        guard let provider = PaymentProviderName(rawValue: input.provider), let gateway = services.payments.provider(provider) else {
            throw Problem.validation(field: "provider", "must be one of: \(services.payments.available.map(\.rawValue).joined(separator: ", "))")
        }
        if let expected = input.expectedTotalCents, expected < 0 {
            throw Problem.validation(field: "expected_total_cents", "must not be negative")
        }
        let claim = try await IdempotencyKey.claim(
            userID: buyer.userID, scope: "checkout", key: key, requestHash: try IdempotencyKey.hash(input), on: database)
        let record: IdempotencyKey
        switch claim {
        case .finished(let status, let body):
            return Answer(status: status, body: try Self.decoder.decode(Components.Schemas.Checkout.self, from: Data(body.utf8)))
        case .claimed(let claimed):
            record = claimed
        }

        do {
            var reused = false
            var superseded: [PaymentTransaction] = []
            let transaction: PaymentTransaction
            var titles: [String]?
            if let existingID = record.resourceID, let existing = try await TransactionRows.transaction(existingID, on: database) {
                transaction = existing
            } else {
                (transaction, reused, superseded, titles) = try await openTransaction(
                    for: buyer, provider: provider, expectedTotal: input.expectedTotalCents, record: record)
            }
            for old in superseded { await cancelQuietly(old) }

            if transaction.providerReference == nil {
                try await openPayment(transaction, titles: titles, gateway: gateway, buyer: buyer)
            }
            let body = try await Self.checkoutBody(transaction, services: services, on: database)
            let status = reused ? 200 : 201
            try await record.finish(status: status, body: String(decoding: try Self.encoder.encode(body), as: UTF8.self), on: database)
            return Answer(status: status, body: body)
        } catch let problem as Problem where problem.status == .serviceUnavailable {
            // Worth retrying with the same key: let the retry in at once, to resume from the recorded step.
            try? await record.release(on: database)
            throw problem
        } catch {
            // A refusal (empty cart, changed price…) frees the key rather than becoming its stored answer: the
            // buyer fixes the cart and the same key may be retried. Only a finished checkout is replayed.
            try? await record.forget(on: database)
            throw error
        }
    }

    /// Step 2: under the buyer's lock, validate the cart and create the transaction, or find the open one for the
    /// same cart. A different open checkout is superseded, so a buyer never has two payments waiting.
    private func openTransaction(
        for buyer: Caller, provider: PaymentProviderName, expectedTotal: Int?, record: IdempotencyKey
    ) async throws -> (PaymentTransaction, reused: Bool, superseded: [PaymentTransaction], titles: [String]?) {
        let currency = services.settings.payments.currency
        return try await database.transaction { db in
            try await RowLock.user(buyer.userID, on: db)
            let lines = try await CartService(services: services, database: db).lines(for: buyer.userID, on: db)
            guard !lines.isEmpty else {
                throw Problem.conflict("cart-empty", "Cart empty", detail: "Add a model to the cart before checking out.")
            }
            if let refused = lines.first(where: { $0.refusal != nil }), let refusal = refused.refusal {
                var problem = refusal.problem
                problem.detail = "\"\(refused.model.title)\": \(problem.detail ?? "") Remove it from the cart to continue."
                throw problem
            }
            let total = lines.reduce(0) { $0 + $1.model.priceCents }
            if let expectedTotal, expectedTotal != total {
                throw Problem.conflict(
                    "price-changed", "Price changed",
                    detail: "The cart now totals \(DecimalAmount.string(cents: total)) \(currency), not \(DecimalAmount.string(cents: expectedTotal)). Review the cart and check out again.")
            }
            let fingerprint = provider.rawValue + ":" + lines
                .map { "\(($0.model.id ?? UUID()).uuidString.lowercased())=\($0.model.priceCents)" }.sorted().joined(separator: ",")

            let open = try await TransactionRows.pending(of: buyer.userID, on: db)
            if let same = open.first(where: { $0.cartFingerprint == fingerprint }) {
                try await record.attach(resourceID: same.requireID(), on: db)
                return (same, true, [], nil)
            }
            var superseded: [PaymentTransaction] = []
            for old in open {
                old.status = PaymentTransaction.Status.canceled.rawValue
                old.failureReason = "Replaced by a newer checkout."
                try await db.preparedRun("""
                    UPDATE transactions SET status = \(bind: old.status), failure_reason = \(bind: old.failureReason), updated_at = \(bind: Date())
                    WHERE id = \(bind: old.requireID()) AND status = 'pending'
                    """)
                superseded.append(old)
            }

            let settings = try await MarketplaceSettings.load(on: db)
            let now = Date()
            let transaction = PaymentTransaction()
            transaction.id = .v7(now: now)
            transaction.$buyer.id = buyer.userID
            transaction.provider = provider.rawValue
            transaction.status = PaymentTransaction.Status.pending.rawValue
            transaction.amountCents = total
            transaction.refundedCents = 0
            transaction.currency = currency
            transaction.testMode = provider == .sandbox
            transaction.cartFingerprint = fingerprint
            var fees = 0
            var items: [TransactionItem] = []
            for line in lines {
                let split = FeeSplit(priceCents: line.model.priceCents, feeBps: settings.platformFeeBps)
                let item = TransactionItem()
                item.id = .v7(now: now)
                item.$transaction.id = transaction.id!
                item.$model.id = try line.model.requireID()
                item.$seller.id = line.model.$owner.id
                item.title = line.model.title
                item.priceCents = split.priceCents
                item.feeCents = split.feeCents
                item.earningCents = split.earningCents
                fees += split.feeCents
                items.append(item)
            }
            transaction.feeCents = fees
            transaction.createdAt = now
            transaction.updatedAt = now
            try await Self.insert(transaction, items: items, on: db)
            try await record.attach(resourceID: transaction.requireID(), on: db)
            return (transaction, false, superseded, items.map(\.title))
        }
    }

    /// The new transaction and its items as two plain INSERTs: Fluent's `create` walks every field by reflection,
    /// once per item (issue 11's checkout profile).
    private static func insert(_ transaction: PaymentTransaction, items: [TransactionItem], on db: any Database) async throws {
        try await db.preparedRun("""
            INSERT INTO transactions (id, buyer_id, provider, status, amount_cents, fee_cents, refunded_cents, currency, test_mode,
                cart_fingerprint, created_at, updated_at)
            VALUES (\(bind: transaction.requireID()), \(bind: transaction.$buyer.id), \(bind: transaction.provider), \(bind: transaction.status),
                \(bind: transaction.amountCents), \(bind: transaction.feeCents), \(bind: transaction.refundedCents), \(bind: transaction.currency),
                \(bind: transaction.testMode), \(bind: transaction.cartFingerprint), \(bind: transaction.createdAt), \(bind: transaction.updatedAt))
            """)
        let rows: [SQLQueryString] = try items.map { item in
            let id = try item.requireID()
            return """
            (\(bind: id), \(bind: item.$transaction.id), \(bind: item.$model.id), \(bind: item.$seller.id), \(bind: item.title),
             \(bind: item.priceCents), \(bind: item.feeCents), \(bind: item.earningCents))
            """
        }
        guard !rows.isEmpty else { return }
        try await db.preparedRun("""
            INSERT INTO transaction_items (id, transaction_id, model_id, seller_id, title, price_cents, fee_cents, earning_cents)
            VALUES \(rows.joined(separator: ", "))
            """)
    }

    /// Step 3: the provider's payment. Its idempotency key is our transaction id, so two requests racing here, or
    /// a retry after a crash, get the same payment; only the first answer is stored. `titles`: the items' titles
    /// when the caller has them at hand (nil: read them).
    private func openPayment(_ transaction: PaymentTransaction, titles known: [String]?, gateway: any PaymentProvider, buyer: Caller) async throws {
        let id = try transaction.requireID()
        let titles = if let known { known } else { try await TransactionRows.items(of: [id], on: database).map(\.title) }
        let created: CreatedPayment
        do {
            created = try await gateway.createPayment(PaymentRequest(
                transactionID: id, amountCents: transaction.amountCents, currency: transaction.currency,
                description: "HWC3D: " + titles.joined(separator: ", ").prefix(400), buyerEmail: buyer.user.email,
                returnURL: "\(services.settings.frontendURL)/checkout/\(id.uuidString.lowercased())/return",
                cancelURL: "\(services.settings.frontendURL)/cart"))
        } catch let error as PaymentProviderError {
            logger.warning("payment provider call failed at checkout", metadata: ["transaction": "\(id)", "error": "\(error)"])
            if error.retryable { throw Self.providerUnavailable(error.provider) }
            let reason = "The payment provider refused the payment."
            // Only a transaction still waiting for its payment fails; one superseded meanwhile stays canceled.
            try await database.preparedRun("""
                UPDATE transactions SET status = 'failed', failure_reason = \(bind: reason), updated_at = \(bind: Date())
                WHERE id = \(bind: id) AND status = 'pending'
                """)
            throw Problem(.paymentRequired, "payment-failed", "Payment failed", detail: "The payment provider refused this payment. Try another provider.")
        }
        let stored = try await database.preparedFirst("""
            UPDATE transactions SET provider_reference = \(bind: created.reference), client_secret = \(bind: created.clientSecret),
                approval_url = \(bind: created.approvalURL), updated_at = \(bind: Date())
            WHERE id = \(bind: id) AND provider_reference IS NULL
            RETURNING provider_reference, client_secret, approval_url
            """)
        // No row: a concurrent attempt stored its answer first (the same payment, by the provider's idempotency).
        if let stored {
            transaction.providerReference = try stored.decode(column: "provider_reference", as: String?.self)
            transaction.clientSecret = try stored.decode(column: "client_secret", as: String?.self)
            transaction.approvalURL = try stored.decode(column: "approval_url", as: String?.self)
        } else if let fresh = try await TransactionRows.transaction(id, on: database) {
            transaction.providerReference = fresh.providerReference
            transaction.clientSecret = fresh.clientSecret
            transaction.approvalURL = fresh.approvalURL
        }
    }

    private func cancelQuietly(_ transaction: PaymentTransaction) async {
        guard let reference = transaction.providerReference, let gateway = services.payments.provider(transaction.providerName) else { return }
        do {
            try await gateway.cancel(reference: reference)
        } catch {
            // Best effort: if the old payment completes anyway, its webhook still delivers what was paid for.
            logger.info("could not cancel a superseded payment", metadata: ["transaction": "\(transaction.id?.uuidString ?? "")", "error": "\(error)"])
        }
    }

    static func providerUnavailable(_ provider: PaymentProviderName) -> Problem {
        Problem(.serviceUnavailable, "payment-provider-unavailable", "Payment provider unavailable",
                detail: "\(provider.rawValue) did not answer. Retry with the same Idempotency-Key.", headers: [("Retry-After", "5")])
    }

    static func checkoutBody(_ transaction: PaymentTransaction, services: AppServices, on database: any Database) async throws -> Components.Schemas.Checkout {
        let id = try transaction.requireID().uuidString.lowercased()
        let provider = Components.Schemas.PaymentProviderName(rawValue: transaction.provider) ?? .sandbox
        let captureURL = "\(services.settings.publicURL)/api/v1/checkout/\(id)/capture"
        return .init(
            transaction: try await TransactionViews.transaction(transaction, on: database, settings: services.settings),
            payment: .init(
                provider: provider, testMode: transaction.testMode, clientSecret: transaction.clientSecret,
                approvalUrl: transaction.approvalURL, captureUrl: provider == .stripe ? nil : captureURL))
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}
