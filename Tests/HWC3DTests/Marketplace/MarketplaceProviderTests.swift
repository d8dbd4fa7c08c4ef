import Fluent
import Foundation
import NIOCore
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// Checkout, capture, webhooks, refunds and payouts over HTTP with Stripe and PayPal configured against their
/// stand-ins (`StripeStandIn`, `PayPalStandIn`): what the server answers, what it asked the provider, and what
/// it wrote to the database. Every scenario ends with the ledger's invariants.
@Suite("Marketplace: Stripe and PayPal over HTTP")
struct MarketplaceProviderTests {
    // MARK: servers

    static func withStripe(_ body: (TestServer, StripeStandIn) async throws -> Void) async throws {
        try await StripeStandIn.with { stripe in
            try await withServer([
                "STRIPE_SECRET_KEY": StripeStandIn.secretKey, "STRIPE_WEBHOOK_SECRET": StripeStandIn.webhookSecret,
                "STRIPE_API_URL": stripe.baseURL,
            ]) { server in try await body(server, stripe) }
        }
    }

    static func withPayPal(_ body: (TestServer, PayPalStandIn) async throws -> Void) async throws {
        try await PayPalStandIn.with { paypal in
            try await withServer([
                "PAYPAL_CLIENT_ID": PayPalStandIn.clientID, "PAYPAL_CLIENT_SECRET": PayPalStandIn.clientSecret,
                "PAYPAL_WEBHOOK_ID": PayPalStandIn.webhookID, "PAYPAL_API_URL": paypal.baseURL,
            ]) { server in try await body(server, paypal) }
        }
    }

    // MARK: Stripe helpers

    /// Cart and a Stripe checkout of `models`: the transaction id, its PaymentIntent and the checkout's answer.
    static func stripeCheckout(
        _ server: TestServer, _ buyer: TestServer.SignedIn, _ models: [UUID], key: String = UUID().uuidString
    ) async throws -> (transaction: String, intent: String, response: TestResponse) {
        for model in models {
            let added = try await MarketplaceFixtures.addToCart(server, buyer, model)
            #expect(added.status == .ok, "add to cart: \(added.text)")
        }
        let response = try await MarketplaceFixtures.checkout(server, buyer, provider: "stripe", key: key)
        #expect(response.status == .created, "checkout: \(response.text)")
        let id = try #require((try response.object()["transaction"] as? [String: Any])?["id"] as? String)
        let intent = try #require(try await transaction(server, id).providerReference)
        return (id, intent, response)
    }

    /// A Stripe purchase: checkout, the buyer's confirmation at Stripe, and the `payment_intent.succeeded` webhook.
    @discardableResult
    static func stripeBuy(_ server: TestServer, _ stripe: StripeStandIn, _ buyer: TestServer.SignedIn, _ models: [UUID]) async throws
        -> (transaction: String, intent: String)
    {
        let (id, intent, _) = try await stripeCheckout(server, buyer, models)
        stripe.succeed(paymentIntent: intent)
        let delivered = try await sendStripe(server, StripeStandIn.signedEvent(type: "payment_intent.succeeded", object: try #require(stripe.paymentIntent(intent))))
        try expectReceipt(delivered, "processed")
        return (id, intent)
    }

    static func postStripe(_ server: TestServer, _ payload: Data, signature: String?) async throws -> TestResponse {
        var headers: [(String, String)] = [("Content-Type", "application/json; charset=utf-8"), ("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")]
        if let signature { headers.append(("Stripe-Signature", signature)) }
        return try await server.request(.POST, "/api/v1/webhooks/stripe", body: ByteBuffer(data: payload), headers: headers)
    }

    static func sendStripe(_ server: TestServer, _ event: (payload: Data, header: String)) async throws -> TestResponse {
        try await postStripe(server, event.payload, signature: event.header)
    }

    /// A Charge as `charge.refunded` carries it, for the PaymentIntent `intent`.
    static func charge(_ intent: [String: Any], amountRefunded: Int, refundID: String? = nil) -> [String: Any] {
        let amount = intent["amount"] as? Int ?? 0
        var charge: [String: Any] = [
            "id": intent["latest_charge"] as? String ?? "ch_" + StripeStandIn.randomID(), "object": "charge", "amount": amount,
            "amount_captured": amount, "amount_refunded": amountRefunded, "currency": intent["currency"] ?? "usd",
            "payment_intent": intent["id"] ?? NSNull(), "metadata": intent["metadata"] ?? [:], "paid": true,
            "refunded": amountRefunded == amount, "status": "succeeded",
        ]
        if let refundID {
            charge["refunds"] = ["object": "list", "data": [["id": refundID, "object": "refund", "amount": amountRefunded]], "has_more": false]
        }
        return charge
    }

    static func dispute(_ intent: [String: Any], amount: Int) -> [String: Any] {
        [
            "id": "dp_" + StripeStandIn.randomID(), "object": "dispute", "amount": amount, "currency": "usd",
            "charge": intent["latest_charge"] ?? NSNull(), "payment_intent": intent["id"] ?? NSNull(), "reason": "fraudulent",
            "status": "needs_response", "is_charge_refundable": false,
        ]
    }

    static func eventID() -> String { "evt_" + StripeStandIn.randomID() }

    // MARK: PayPal helpers

    static func paypalEvent(id: String = "WH-" + StripeStandIn.randomID(17).uppercased(), type: String, resource: [String: Any]) -> Data {
        let event: [String: Any] = [
            "id": id, "event_version": "1.0", "create_time": ISO8601DateFormatter().string(from: Date()), "resource_type": "capture",
            "resource_version": "2.0", "event_type": type, "summary": type, "resource": resource,
        ]
        return try! JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])
    }

    static func postPayPal(_ server: TestServer, _ payload: Data, headers: [String: String]) async throws -> TestResponse {
        try await server.request(
            .POST, "/api/v1/webhooks/paypal", body: ByteBuffer(data: payload),
            headers: [("Content-Type", "application/json")] + headers.map { ($0.key.uppercased(), $0.value) })
    }

    // MARK: state

    static func transaction(_ server: TestServer, _ id: String) async throws -> PaymentTransaction {
        try #require(try await PaymentTransaction.find(try #require(UUID(uuidString: id)), on: server.app.db))
    }

    /// The receipt of a delivery the server accepted.
    static func expectReceipt(_ response: TestResponse, _ outcome: String, eventID: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == .ok, "webhook: \(response.text)", sourceLocation: sourceLocation)
        let body = try response.object()
        #expect(body["received"] as? Bool == true, sourceLocation: sourceLocation)
        #expect(body["outcome"] as? String == outcome, "webhook: \(response.text)", sourceLocation: sourceLocation)
        if let eventID { #expect(body["event_id"] as? String == eventID, sourceLocation: sourceLocation) }
    }

    static func expectRefused(_ response: TestResponse, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == .badRequest, "\(what): \(response.status) \(response.text)", sourceLocation: sourceLocation)
        #expect(response.problemType == "invalid-webhook", "\(what): \(response.text)", sourceLocation: sourceLocation)
    }

    /// What a webhook delivery recorded about itself (`webhook_events.outcome`, which keeps the detail).
    static func recordedOutcome(_ server: TestServer, _ eventID: String) async throws -> String? {
        let sql = try #require(server.app.db as? any SQLDatabase)
        return try await sql.raw("SELECT outcome FROM webhook_events WHERE event_id = \(bind: eventID)").first()?.decode(column: "outcome", as: String.self)
    }

    /// Counts a repeated or refused delivery must leave alone.
    struct Snapshot: Equatable {
        var purchases: Int
        var activePurchases: Int
        var ledgerEntries: Int
        var webhookEvents: Int
        var refundedCents: Int
        var succeeded: Int
    }

    static func snapshot(_ server: TestServer) async throws -> Snapshot {
        Snapshot(
            purchases: try await CatalogueFixtures.count(server, "purchases"),
            activePurchases: try await CatalogueFixtures.count(server, "purchases WHERE status = 'active'"),
            ledgerEntries: try await CatalogueFixtures.count(server, "ledger_entries"),
            webhookEvents: try await CatalogueFixtures.count(server, "webhook_events"),
            refundedCents: try await MarketplaceFixtures.sum(server, "SELECT CAST(SUM(refunded_cents) AS BIGINT) AS n FROM transactions"),
            succeeded: try await CatalogueFixtures.count(server, "transactions WHERE status = 'succeeded'"))
    }

    static func download(_ server: TestServer, _ buyer: TestServer.SignedIn, _ model: UUID) async throws -> HTTPStatus {
        try await server.request(.GET, "/api/v1/models/\(model.uuidString.lowercased())/download", token: buyer.accessToken).status
    }

    static func purchase(_ server: TestServer, model: UUID) async throws -> Purchase {
        try #require(try await Purchase.query(on: server.app.db).filter(\.$model.$id == model).first())
    }

    /// The buyer asks for the purchase of `model` back and a finance admin approves; answers the request id.
    static func refund(_ server: TestServer, _ buyer: TestServer.SignedIn, model: UUID, admin: String) async throws -> String {
        let purchaseID = try #require(try await purchase(server, model: model).id).uuidString.lowercased()
        let requested = try await server.request(
            .POST, "/api/v1/purchases/\(purchaseID)/refund-request", json: ["reason": "The textures are missing from the file."],
            token: buyer.accessToken)
        #expect(requested.status == .created, "refund request: \(requested.text)")
        let requestID = try #require(try requested.object()["id"] as? String)
        let approved = try await server.request(.POST, "/api/v1/admin/refunds/\(requestID)/approve", json: ["note": "Sorry about that"], token: admin)
        #expect(approved.status == .ok, "approve: \(approved.text)")
        #expect(try approved.object()["status"] as? String == "approved")
        return requestID
    }

    // MARK: 1. Stripe checkout and its webhook

    @Test("Stripe: checkout opens a PaymentIntent; its signed succeeded webhook grants once, a repeat is a duplicate")
    func stripeCheckoutAndWebhook() async throws {
        try await Self.withStripe { server, stripe in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1999)
            _ = try await MarketplaceFixtures.addToCart(server, buyer, model)
            let cart = try await server.request(.GET, "/api/v1/cart", token: buyer.accessToken).object()
            #expect((cart["providers"] as? [String])?.contains("stripe") == true)

            let (id, intent, response) = try await Self.stripeCheckout(server, buyer, [])
            let body = try response.object()
            let payment = try #require(body["payment"] as? [String: Any])
            #expect(payment["provider"] as? String == "stripe")
            #expect(payment["test_mode"] as? Bool == false)
            let clientSecret = try #require(payment["client_secret"] as? String)
            #expect(clientSecret.hasPrefix("\(intent)_secret_"))
            #expect(payment["capture_url"] == nil, "Stripe is confirmed by Stripe.js, not by a capture link")
            #expect(payment["approval_url"] == nil)
            #expect((body["transaction"] as? [String: Any])?["status"] as? String == "pending")

            // The stand-in saw one PaymentIntent, for the total, carrying our transaction id.
            #expect(stripe.paymentIntentCount == 1)
            let created = try #require(stripe.requests.first { $0.method == "POST" && $0.path == "/v1/payment_intents" })
            #expect(stripe.requests.filter { $0.path == "/v1/payment_intents" }.count == 1)
            #expect(created.form["metadata[transaction_id]"] == id)
            #expect(created.form["amount"] == "1999")
            #expect(created.form["currency"] == "usd")
            #expect(created.idempotencyKey == "checkout-\(id)")
            #expect(created.stripeVersion == StripePaymentProvider.apiVersion)
            #expect(created.status == 200)
            #expect(try await Self.download(server, buyer, model) == .paymentRequired)

            stripe.succeed(paymentIntent: intent)
            let eventID = Self.eventID()
            let event = StripeStandIn.signedEvent(id: eventID, type: "payment_intent.succeeded", object: try #require(stripe.paymentIntent(intent)))
            try Self.expectReceipt(try await Self.sendStripe(server, event), "processed", eventID: eventID)

            let paid = try await Self.transaction(server, id)
            #expect(paid.status == "succeeded")
            #expect(paid.captureReference == intent)
            #expect(paid.paidAt != nil)
            #expect(try await Self.download(server, buyer, model) == .ok)
            let library = try await server.request(.GET, "/api/v1/purchases", token: buyer.accessToken).object()
            let purchases = try #require(library["items"] as? [[String: Any]])
            #expect(purchases.count == 1)
            #expect(purchases.first?["status"] as? String == "active")
            #expect(purchases.first?["test_mode"] as? Bool == false)
            #expect(try await server.request(.GET, "/api/v1/cart", token: buyer.accessToken).object()["item_count"] as? Int == 0)
            let entries = try await LedgerEntry.query(on: server.app.db).all()
            #expect(entries.filter { $0.kind == "buyer_payment" }.map(\.amountCents) == [-1999])
            #expect(entries.filter { $0.kind == "platform_fee" }.map(\.amountCents) == [150])
            #expect(entries.filter { $0.kind == "seller_earning" }.map(\.amountCents) == [1849])
            #expect(entries.allSatisfy { !$0.testMode })
            #expect(try await Self.recordedOutcome(server, eventID) == "processed")
            #expect(try await CatalogueFixtures.row(server, model).salesCount == 1)

            // Stripe delivers at least once: the same delivery again is a duplicate and changes nothing.
            let before = try await Self.snapshot(server)
            #expect(before == Snapshot(purchases: 1, activePurchases: 1, ledgerEntries: 3, webhookEvents: 1, refundedCents: 0, succeeded: 1))
            try Self.expectReceipt(try await Self.sendStripe(server, event), "duplicate", eventID: eventID)
            // Re-signed later (Stripe's retry signs again with a new timestamp): still the same event id.
            let resigned = StripeStandIn.signatureHeader(payload: event.payload, secret: StripeStandIn.webhookSecret, timestamp: Int(Date().timeIntervalSince1970))
            try Self.expectReceipt(try await Self.postStripe(server, event.payload, signature: resigned), "duplicate", eventID: eventID)
            #expect(try await Self.snapshot(server) == before)
            #expect(try await CatalogueFixtures.row(server, model).salesCount == 1)

            try await server.runJobs()
            let mails = try server.sentEmails()
            #expect(mails.contains { $0.contains(buyer.email) && $0.contains("Your HWC3D receipt") && !$0.contains("[TEST]") })
            #expect(mails.filter { $0.contains(seller.email) && $0.contains("You made a sale") }.count == 1)
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    // MARK: 2. Stripe deliveries that are refused, unknown or ignored

    @Test("Stripe: forged, stale, future, unsigned and mis-signed deliveries are 400 and leave no trace")
    func stripeBadWebhooks() async throws {
        try await Self.withStripe { server, stripe in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1200)
            let (id, intent, _) = try await Self.stripeCheckout(server, buyer, [model])
            stripe.succeed(paymentIntent: intent)
            let object = try #require(stripe.paymentIntent(intent))
            let now = Int(Date().timeIntervalSince1970)
            let genuine = StripeStandIn.signedEvent(type: "payment_intent.succeeded", object: object, timestamp: now)

            // A body other than the one signed (here: the signature of another event, a larger amount).
            var inflated = object
            inflated["amount_received"] = 999_999
            let other = StripeStandIn.signedEvent(type: "payment_intent.succeeded", object: inflated, timestamp: now)
            Self.expectRefused(try await Self.postStripe(server, other.payload, signature: genuine.header), "tampered body")
            // One byte of the signed body changed.
            var flipped = genuine.payload
            flipped[flipped.firstIndex(of: UInt8(ascii: "1"))!] = UInt8(ascii: "2")
            Self.expectRefused(try await Self.postStripe(server, flipped, signature: genuine.header), "one byte changed")
            // A genuine delivery replayed after the tolerance.
            Self.expectRefused(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(type: "payment_intent.succeeded", object: object, timestamp: now - 301)),
                "stale (a replay)")
            Self.expectRefused(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(type: "payment_intent.succeeded", object: object, timestamp: now - 86_400)),
                "a day old")
            Self.expectRefused(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(type: "payment_intent.succeeded", object: object, timestamp: now + 400)),
                "from the future")
            Self.expectRefused(try await Self.postStripe(server, genuine.payload, signature: nil), "unsigned")
            Self.expectRefused(try await Self.postStripe(server, genuine.payload, signature: ""), "empty header")
            Self.expectRefused(try await Self.postStripe(server, genuine.payload, signature: "garbage"), "garbage header")
            Self.expectRefused(try await Self.postStripe(server, genuine.payload, signature: "t=yesterday,v1=abc"), "unreadable timestamp")
            Self.expectRefused(try await Self.postStripe(server, genuine.payload, signature: "v1=" + String(repeating: "ab", count: 32)), "no timestamp")
            let v0 = StripeStandIn.signatureHeader(payload: genuine.payload, secret: StripeStandIn.webhookSecret, timestamp: now, scheme: "v0")
            Self.expectRefused(try await Self.postStripe(server, genuine.payload, signature: v0), "only a v0 signature")
            Self.expectRefused(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(
                    type: "payment_intent.succeeded", object: object, secret: "whsec_someoneElsesEndpointSecret0000000")),
                "another endpoint's secret")
            let withoutPrefix = StripeStandIn.signatureHeader(
                payload: genuine.payload, secret: String(StripeStandIn.webhookSecret.dropFirst("whsec_".count)), timestamp: now)
            Self.expectRefused(try await Self.postStripe(server, genuine.payload, signature: withoutPrefix), "keyed without whsec_")

            // Nothing of any of them was recorded or granted.
            #expect(try await CatalogueFixtures.count(server, "webhook_events") == 0)
            #expect(try await CatalogueFixtures.count(server, "purchases") == 0)
            #expect(try await CatalogueFixtures.count(server, "ledger_entries") == 0)
            #expect(try await Self.transaction(server, id).status == "pending")
            #expect(try await Self.download(server, buyer, model) == .paymentRequired)

            // Verified, but about a payment this server never opened.
            var stranger = object
            stranger["id"] = "pi_" + StripeStandIn.randomID()
            stranger["metadata"] = ["transaction_id": UUID().uuidString.lowercased()]
            let unknownID = Self.eventID()
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(id: unknownID, type: "payment_intent.succeeded", object: stranger)),
                "unknown_transaction", eventID: unknownID)
            // Our transaction id in the metadata, but another PaymentIntent: not this transaction's payment.
            var mismatched = object
            mismatched["id"] = "pi_" + StripeStandIn.randomID()
            let mismatchedID = Self.eventID()
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(id: mismatchedID, type: "payment_intent.succeeded", object: mismatched)),
                "unknown_transaction", eventID: mismatchedID)
            // A verified type the marketplace does not act on.
            let ignoredID = Self.eventID()
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(
                    id: ignoredID, type: "customer.created", object: ["id": "cus_" + StripeStandIn.randomID(14), "object": "customer"])),
                "ignored", eventID: ignoredID)
            #expect(try await Self.recordedOutcome(server, unknownID) == "unknown_transaction")
            #expect(try await Self.recordedOutcome(server, mismatchedID) == "unknown_transaction")
            #expect(try await Self.recordedOutcome(server, ignoredID) == "ignored")
            #expect(try await CatalogueFixtures.count(server, "purchases") == 0)
            #expect(try await Self.transaction(server, id).status == "pending")

            // The refusals poisoned nothing: the genuine delivery still completes the purchase.
            try Self.expectReceipt(try await Self.sendStripe(server, genuine), "processed")
            #expect(try await Self.transaction(server, id).status == "succeeded")
            #expect(try await Self.download(server, buyer, model) == .ok)
            #expect(try await CatalogueFixtures.count(server, "webhook_events") == 4)
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    // MARK: 3. Out of order and mismatched events

    @Test("Stripe: a late failure cannot undo a success, a success after a failure completes, a wrong amount grants nothing")
    func stripeOutOfOrder() async throws {
        try await Self.withStripe { server, stripe in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let a = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000, title: "A")
            let b = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 2000, title: "B")
            let c = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 3000, title: "C")

            // Succeeded, then a payment_failed of an earlier attempt arrives late.
            let first = try await Self.stripeBuy(server, stripe, buyer, [a])
            var declined = try #require(stripe.paymentIntent(first.intent))
            declined["status"] = "requires_payment_method"
            declined["amount_received"] = 0
            declined["last_payment_error"] = ["type": "card_error", "code": "card_declined", "message": "Your card was declined."]
            let lateFailure = Self.eventID()
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(id: lateFailure, type: "payment_intent.payment_failed", object: declined)),
                "processed")
            #expect(try await Self.recordedOutcome(server, lateFailure) == "not_pending")
            let stillPaid = try await Self.transaction(server, first.transaction)
            #expect(stillPaid.status == "succeeded")
            #expect(stillPaid.failureReason == nil)
            #expect(try await Self.download(server, buyer, a) == .ok)

            // Failed first (a declined card), then the buyer's retry succeeded on the same PaymentIntent: the money
            // was taken, so the transaction completes (PaymentCompletion moves failed -> succeeded).
            let second = try await Self.stripeCheckout(server, buyer, [b])
            stripe.fail(paymentIntent: second.intent)
            let failure = Self.eventID()
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(
                    id: failure, type: "payment_intent.payment_failed", object: try #require(stripe.paymentIntent(second.intent)))),
                "processed")
            #expect(try await Self.recordedOutcome(server, failure) == "processed")
            let failed = try await Self.transaction(server, second.transaction)
            #expect(failed.status == "failed")
            #expect(failed.failureReason == "Your card was declined.")
            #expect(try await Self.download(server, buyer, b) == .paymentRequired)
            stripe.succeed(paymentIntent: second.intent)
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(
                    type: "payment_intent.succeeded", object: try #require(stripe.paymentIntent(second.intent)))),
                "processed")
            let recovered = try await Self.transaction(server, second.transaction)
            #expect(recovered.status == "succeeded")
            #expect(recovered.failureReason == nil)
            #expect(try await Self.download(server, buyer, b) == .ok)
            #expect(try await MarketplaceFixtures.sum(server, "SELECT CAST(SUM(amount_cents) AS BIGINT) AS n FROM ledger_entries WHERE kind = 'buyer_payment'") == -3000)

            // An amount (or currency) other than the transaction's grants nothing.
            let third = try await Self.stripeCheckout(server, buyer, [c])
            stripe.succeed(paymentIntent: third.intent)
            let before = try await Self.snapshot(server)
            var short = try #require(stripe.paymentIntent(third.intent))
            short["amount_received"] = 2900
            let shortID = Self.eventID()
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(id: shortID, type: "payment_intent.succeeded", object: short)), "processed")
            #expect(try await Self.recordedOutcome(server, shortID) == "amount_mismatch")
            var euros = try #require(stripe.paymentIntent(third.intent))
            euros["currency"] = "eur"
            let eurosID = Self.eventID()
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(id: eurosID, type: "payment_intent.succeeded", object: euros)), "processed")
            #expect(try await Self.recordedOutcome(server, eurosID) == "amount_mismatch")
            #expect(try await Self.transaction(server, third.transaction).status == "pending")
            #expect(try await Self.download(server, buyer, c) == .paymentRequired)
            var after = try await Self.snapshot(server)
            after.webhookEvents -= 2
            #expect(after == before)
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    // MARK: 4. The capture route with Stripe

    @Test("Stripe: capture asks Stripe server to server; 409 until the PaymentIntent succeeded, and the late webhook grants nothing twice")
    func stripeCaptureRoute() async throws {
        try await Self.withStripe { server, stripe in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 2500)
            let (id, intent, _) = try await Self.stripeCheckout(server, buyer, [model])

            let early = try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: buyer.accessToken)
            #expect(early.status == .conflict, "\(early.text)")
            #expect(early.problemType == "payment-not-completed")
            #expect(try await Self.transaction(server, id).status == "pending")
            #expect(try await CatalogueFixtures.count(server, "purchases") == 0)
            let read = try #require(stripe.requests.last)
            #expect(read.method == "GET")
            #expect(read.path == "/v1/payment_intents/\(intent)")

            stripe.succeed(paymentIntent: intent)
            let capture = try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: buyer.accessToken)
            #expect(capture.status == .ok, "\(capture.text)")
            let captured = try capture.object()
            #expect(captured["status"] as? String == "succeeded")
            #expect(captured["amount_cents"] as? Int == 2500)
            #expect(try await Self.download(server, buyer, model) == .ok)
            let afterCapture = try await Self.snapshot(server)
            #expect(afterCapture == Snapshot(purchases: 1, activePurchases: 1, ledgerEntries: 3, webhookEvents: 0, refundedCents: 0, succeeded: 1))

            // Stripe's webhook arrives afterwards: recorded, nothing granted again.
            let eventID = Self.eventID()
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(
                    id: eventID, type: "payment_intent.succeeded", object: try #require(stripe.paymentIntent(intent)))),
                "processed", eventID: eventID)
            #expect(try await Self.recordedOutcome(server, eventID) == "already_completed")
            var afterWebhook = try await Self.snapshot(server)
            #expect(afterWebhook.webhookEvents == 1)
            afterWebhook.webhookEvents = 0
            #expect(afterWebhook == afterCapture)
            #expect(try await CatalogueFixtures.row(server, model).salesCount == 1)

            // Capturing a paid transaction again answers it as it is: idempotent, nothing granted twice.
            let twice = try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: buyer.accessToken)
            #expect(twice.status == .ok)
            #expect(try twice.object()["status"] as? String == "succeeded")

            // A declined confirmation: the capture reports the failure and the transaction fails.
            let other = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 700, title: "Other")
            let declined = try await Self.stripeCheckout(server, buyer, [other])
            stripe.fail(paymentIntent: declined.intent)
            let refused = try await server.request(.POST, "/api/v1/checkout/\(declined.transaction)/capture", token: buyer.accessToken)
            #expect(refused.status == .paymentRequired, "\(refused.text)")
            #expect(refused.problemType == "payment-failed")
            #expect(try await Self.transaction(server, declined.transaction).status == "failed")
            #expect(try await CatalogueFixtures.count(server, "purchases") == 1)
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    @Test("Stripe: the same event delivered concurrently, racing the buyer's capture, grants exactly once")
    func stripeConcurrentDeliveries() async throws {
        try await Self.withStripe { server, stripe in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1800)
            let (id, intent, _) = try await Self.stripeCheckout(server, buyer, [model])
            stripe.succeed(paymentIntent: intent)
            let eventID = Self.eventID()
            let event = StripeStandIn.signedEvent(id: eventID, type: "payment_intent.succeeded", object: try #require(stripe.paymentIntent(intent)))

            let answers = try await withThrowingTaskGroup(of: (HTTPStatus, String?).self) { group in
                for _ in 0..<6 {
                    group.addTask {
                        let response = try await Self.sendStripe(server, event)
                        return (response.status, (try? response.object())?["outcome"] as? String)
                    }
                }
                group.addTask {
                    let response = try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: buyer.accessToken)
                    return (response.status, "capture:" + ((try? response.object())?["status"] as? String ?? response.problemType ?? "?"))
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let deliveries = answers.filter { !($0.1?.hasPrefix("capture:") ?? false) }
            #expect(deliveries.allSatisfy { $0.0 == .ok }, "\(answers)")
            #expect(deliveries.filter { $0.1 == "processed" }.count == 1, "\(answers)")
            #expect(deliveries.filter { $0.1 == "duplicate" }.count == 5, "\(answers)")
            // Whether the capture completed the transaction itself or found it paid already, it answers it paid.
            let capture = try #require(answers.first { $0.1?.hasPrefix("capture:") == true })
            #expect(capture == (.ok, "capture:succeeded"), "\(capture)")

            #expect(try await Self.snapshot(server) == Snapshot(purchases: 1, activePurchases: 1, ledgerEntries: 3, webhookEvents: 1, refundedCents: 0, succeeded: 1))
            #expect(try await CatalogueFixtures.row(server, model).salesCount == 1)
            #expect(try await Self.download(server, buyer, model) == .ok)
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    // MARK: 5. Stripe refunds and disputes

    @Test("Stripe: an approved refund goes through Stripe's Refunds API; its webhook, an external refund and a dispute reconcile")
    func stripeRefundsAndDisputes() async throws {
        try await Self.withStripe { server, stripe in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let a = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 2500, title: "A")
            let b = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1000, title: "B")
            let (id, intent) = try await Self.stripeBuy(server, stripe, buyer, [a, b])
            let finance = try await CatalogueFixtures.admin(server, "fin1", role: .finance)

            let requestID = try await Self.refund(server, buyer, model: a, admin: finance.adminToken)
            let sent = try #require(stripe.requests.last { $0.path == "/v1/refunds" })
            #expect(stripe.requests.filter { $0.path == "/v1/refunds" }.count == 1)
            #expect(sent.idempotencyKey == "refund-\(requestID)")
            #expect(sent.form["payment_intent"] == intent)
            #expect(sent.form["amount"] == "2500")
            #expect(sent.status == 200)
            let record = try #require(try await RefundRequestRecord.find(UUID(uuidString: requestID), on: server.app.db))
            let refundID = try #require(record.providerReference)
            #expect(refundID.hasPrefix("re_"))
            let partially = try await Self.transaction(server, id)
            #expect(partially.status == "partially_refunded")
            #expect(partially.refundedCents == 2500)
            #expect(try await Self.download(server, buyer, a) == .paymentRequired)
            #expect(try await Self.download(server, buyer, b) == .ok)

            // Stripe then reports the refund we made: with its refund id (older API versions) and without it (the
            // running total only). Neither reverses anything again.
            let before = try await Self.snapshot(server)
            let object = try #require(stripe.paymentIntent(intent))
            let withID = Self.eventID()
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(
                    id: withID, type: "charge.refunded", object: Self.charge(object, amountRefunded: 2500, refundID: refundID))),
                "processed")
            let withoutID = Self.eventID()
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(
                    id: withoutID, type: "charge.refunded", object: Self.charge(object, amountRefunded: 2500))),
                "processed")
            #expect(try await Self.recordedOutcome(server, withID) == "refund_known")
            #expect(try await Self.recordedOutcome(server, withoutID) == "refund_known")
            var after = try await Self.snapshot(server)
            after.webhookEvents -= 2
            #expect(after == before)
            #expect(try await Self.transaction(server, id).refundedCents == 2500)
            #expect(try await MarketplaceFixtures.sum(server, "SELECT CAST(SUM(amount_cents) AS BIGINT) AS n FROM ledger_entries WHERE kind = 'refund_reversal'") == 0)
            #expect(try await CatalogueFixtures.count(server, "ledger_entries WHERE kind = 'refund_reversal'") == 3)

            // A dispute: Stripe has taken the rest back, so the remaining item is refunded in the ledger.
            let disputeID = Self.eventID()
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(id: disputeID, type: "charge.dispute.created", object: Self.dispute(object, amount: 1000))),
                "processed")
            #expect(try await Self.recordedOutcome(server, disputeID) == "refunded_at_provider")
            let disputed = try await Self.transaction(server, id)
            #expect(disputed.status == "refunded")
            #expect(disputed.refundedCents == 3500)
            #expect(try await Self.download(server, buyer, b) == .paymentRequired)
            #expect(try await Self.purchase(server, model: b).status == "refunded")
            #expect(try await CatalogueFixtures.count(server, "ledger_entries WHERE kind = 'refund_reversal'") == 6)
            for account in ["seller_balance", "platform_revenue", "buyer_funds"] {
                #expect(try await MarketplaceFixtures.sum(server, "SELECT CAST(SUM(amount_cents) AS BIGINT) AS n FROM ledger_entries WHERE account = \(bind: account)") == 0,
                        "\(account) after the refund and the dispute")
            }
            // The same dispute delivered again changes nothing.
            let settled = try await Self.snapshot(server)
            let redelivered = try await Self.sendStripe(server, StripeStandIn.signedEvent(
                id: disputeID, type: "charge.dispute.created", object: Self.dispute(object, amount: 1000)))
            try Self.expectReceipt(redelivered, "duplicate")
            #expect(try await Self.snapshot(server) == settled)

            // A full refund made in Stripe's dashboard, with no refund request here: purchases revoked, ledger reversed.
            let buyer2 = try await server.register("buyer2", verified: true)
            let c = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1500, title: "C")
            let d = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 800, title: "D")
            let external = try await Self.stripeBuy(server, stripe, buyer2, [c, d])
            #expect(try await Self.download(server, buyer2, c) == .ok)
            let externalID = Self.eventID()
            try Self.expectReceipt(
                try await Self.sendStripe(server, StripeStandIn.signedEvent(
                    id: externalID, type: "charge.refunded",
                    object: Self.charge(try #require(stripe.paymentIntent(external.intent)), amountRefunded: 2300, refundID: "re_" + StripeStandIn.randomID()))),
                "processed")
            #expect(try await Self.recordedOutcome(server, externalID) == "refunded_at_provider")
            let refunded = try await Self.transaction(server, external.transaction)
            #expect(refunded.status == "refunded")
            #expect(refunded.refundedCents == 2300)
            #expect(try await Self.download(server, buyer2, c) == .paymentRequired)
            #expect(try await Self.download(server, buyer2, d) == .paymentRequired)
            let transactionUUID = try #require(UUID(uuidString: external.transaction))
            for account in ["buyer_funds", "seller_balance", "platform_revenue"] {
                let net = try await MarketplaceFixtures.sum(server, """
                    SELECT CAST(SUM(amount_cents) AS BIGINT) AS n FROM ledger_entries
                    WHERE transaction_id = \(bind: transactionUUID) AND account = \(bind: account)
                    """)
                #expect(net == 0, "\(account) of the externally refunded payment")
            }
            #expect(try await MarketplaceFixtures.sum(server, "SELECT CAST(SUM(amount_cents) AS BIGINT) AS n FROM ledger_entries WHERE account = 'seller_balance'") == 0)
            // Still only the one refund went through Stripe's API: the others were Stripe's own.
            #expect(stripe.requests.filter { $0.path == "/v1/refunds" }.count == 1)
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    // MARK: 6. Stripe unavailable

    @Test("Stripe down at checkout: 503 with Retry-After; the retry with the same Idempotency-Key opens one payment")
    func stripeDownAtCheckout() async throws {
        try await Self.withStripe { server, stripe in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1500)
            _ = try await MarketplaceFixtures.addToCart(server, buyer, model)

            stripe.failNext(.internalServerError)
            let down = try await MarketplaceFixtures.checkout(server, buyer, provider: "stripe", key: "retry-me")
            #expect(down.status == .serviceUnavailable, "\(down.text)")
            #expect(down.problemType == "payment-provider-unavailable")
            #expect(down.headers.first(name: "Retry-After") == "5")
            let pending = try #require(try await PaymentTransaction.query(on: server.app.db).all().first)
            #expect(try await PaymentTransaction.query(on: server.app.db).count() == 1)
            #expect(pending.providerReference == nil)
            #expect(stripe.paymentIntentCount == 0)

            let retry = try await MarketplaceFixtures.checkout(server, buyer, provider: "stripe", key: "retry-me")
            #expect(retry.status == .created, "\(retry.text)")
            let body = try retry.object()
            let id = try #require((body["transaction"] as? [String: Any])?["id"] as? String)
            #expect(id == pending.id?.uuidString.lowercased())
            #expect(((body["payment"] as? [String: Any])?["client_secret"] as? String)?.hasPrefix("pi_") == true)
            #expect(try await PaymentTransaction.query(on: server.app.db).count() == 1)
            #expect(stripe.paymentIntentCount == 1)
            let attempts = stripe.requests.filter { $0.path == "/v1/payment_intents" }
            #expect(attempts.map(\.status) == [500, 200])
            #expect(Set(attempts.compactMap(\.idempotencyKey)) == ["checkout-\(id)"])
            #expect(try await Self.transaction(server, id).providerReference?.hasPrefix("pi_") == true)

            // Once answered, the key replays its answer without asking Stripe again.
            let replay = try await MarketplaceFixtures.checkout(server, buyer, provider: "stripe", key: "retry-me")
            #expect(replay.status == .created)
            #expect((try replay.object()["transaction"] as? [String: Any])?["id"] as? String == id)
            #expect(stripe.requests.filter { $0.path == "/v1/payment_intents" }.count == 2)

            // Stripe down during a capture is also 503, and changes nothing.
            stripe.failNext(.serviceUnavailable)
            let captureDown = try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: buyer.accessToken)
            #expect(captureDown.status == .serviceUnavailable, "\(captureDown.text)")
            #expect(captureDown.headers.first(name: "Retry-After") == "5")
            #expect(try await Self.transaction(server, id).status == "pending")
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }

    // MARK: 7. PayPal

    @Test("PayPal: approval link, capture after approval, the capture webhook, forged deliveries, a refund and a payout")
    func paypalEndToEnd() async throws {
        try await Self.withPayPal { server, paypal in
            let seller = try await server.register("seller1", verified: true)
            let buyer = try await server.register("buyer1", verified: true)
            let a = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 5000, title: "A")
            let b = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1200, title: "B")
            _ = try await MarketplaceFixtures.addToCart(server, buyer, a)
            _ = try await MarketplaceFixtures.addToCart(server, buyer, b)

            let checkout = try await MarketplaceFixtures.checkout(server, buyer, provider: "paypal", expectedTotal: 6200)
            #expect(checkout.status == .created, "\(checkout.text)")
            let body = try checkout.object()
            let payment = try #require(body["payment"] as? [String: Any])
            let id = try #require((body["transaction"] as? [String: Any])?["id"] as? String)
            let order = try #require(try await Self.transaction(server, id).providerReference)
            #expect(payment["provider"] as? String == "paypal")
            #expect(payment["approval_url"] as? String == "https://www.sandbox.paypal.com/checkoutnow?token=\(order)")
            #expect((payment["capture_url"] as? String)?.hasSuffix("/api/v1/checkout/\(id)/capture") == true)
            #expect(payment["client_secret"] == nil)
            #expect(paypal.orderCount == 1)
            let created = try #require(paypal.apiRequests.first { $0.path == "/v2/checkout/orders" })
            #expect(created.requestID == "checkout-\(id)")
            let unit = try #require((created.json["purchase_units"] as? [[String: Any]])?.first)
            #expect(unit["custom_id"] as? String == id)
            #expect((unit["amount"] as? [String: Any])?["value"] as? String == "62.00")

            // Not approved at PayPal yet: nothing to capture, and no capture was sent (its request id stays unused).
            let early = try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: buyer.accessToken)
            #expect(early.status == .conflict, "\(early.text)")
            #expect(early.problemType == "payment-not-completed")
            #expect(!paypal.apiRequests.contains { $0.path.hasSuffix("/capture") })
            #expect(try await Self.transaction(server, id).status == "pending")

            paypal.approve(order: order)
            let capture = try await server.request(.POST, "/api/v1/checkout/\(id)/capture", token: buyer.accessToken)
            #expect(capture.status == .ok, "\(capture.text)")
            #expect(try capture.object()["status"] as? String == "succeeded")
            #expect(paypal.orderStatus(order) == "COMPLETED")
            let captureRequest = try #require(paypal.apiRequests.first { $0.path == "/v2/checkout/orders/\(order)/capture" })
            #expect(captureRequest.requestID == "capture-\(id)")
            let paid = try await Self.transaction(server, id)
            let captureID = try #require(paid.captureReference)
            #expect(captureID != order)
            #expect(try await Self.download(server, buyer, a) == .ok)
            #expect(try await Self.download(server, buyer, b) == .ok)
            let afterCapture = try await Self.snapshot(server)
            #expect(afterCapture == Snapshot(purchases: 2, activePurchases: 2, ledgerEntries: 5, webhookEvents: 0, refundedCents: 0, succeeded: 1))

            // PayPal's PAYMENT.CAPTURE.COMPLETED arrives afterwards.
            let capturedEvent = Self.paypalEvent(type: "PAYMENT.CAPTURE.COMPLETED", resource: [
                "id": captureID, "status": "COMPLETED", "amount": ["currency_code": "USD", "value": "62.00"], "final_capture": true,
                "custom_id": id, "supplementary_data": ["related_ids": ["order_id": order]],
                "create_time": ISO8601DateFormatter().string(from: Date()),
            ])
            // Forged first: a signature for other bytes, a missing header, another webhook's signature, a stale one.
            var tampered = capturedEvent
            tampered[tampered.firstIndex(of: UInt8(ascii: "6"))!] = UInt8(ascii: "9")
            Self.expectRefused(
                try await Self.postPayPal(server, tampered, headers: PayPalStandIn.deliveryHeaders(payload: capturedEvent)), "PayPal: tampered body")
            var forged = PayPalStandIn.deliveryHeaders(payload: capturedEvent)
            forged["paypal-transmission-sig"] = "c2lnbmF0dXJlLW9mLXNvbWVvbmUtZWxzZQ=="
            Self.expectRefused(try await Self.postPayPal(server, capturedEvent, headers: forged), "PayPal: forged signature")
            var unsigned = PayPalStandIn.deliveryHeaders(payload: capturedEvent)
            unsigned["paypal-transmission-sig"] = nil
            Self.expectRefused(try await Self.postPayPal(server, capturedEvent, headers: unsigned), "PayPal: no signature")
            Self.expectRefused(
                try await Self.postPayPal(server, capturedEvent, headers: PayPalStandIn.deliveryHeaders(payload: capturedEvent, webhookID: "0AB12345CD678901E")),
                "PayPal: another webhook's delivery")
            Self.expectRefused(
                try await Self.postPayPal(server, capturedEvent, headers: PayPalStandIn.deliveryHeaders(payload: capturedEvent, time: Date().addingTimeInterval(-301))),
                "PayPal: stale")
            Self.expectRefused(try await Self.postPayPal(server, capturedEvent, headers: [:]), "PayPal: no headers")
            #expect(try await Self.snapshot(server) == afterCapture)

            let delivery = PayPalStandIn.deliveryHeaders(payload: capturedEvent)
            let capturedEventID = try #require((try JSONSerialization.jsonObject(with: capturedEvent) as? [String: Any])?["id"] as? String)
            try Self.expectReceipt(try await Self.postPayPal(server, capturedEvent, headers: delivery), "processed", eventID: capturedEventID)
            #expect(try await Self.recordedOutcome(server, capturedEventID) == "already_completed")
            try Self.expectReceipt(try await Self.postPayPal(server, capturedEvent, headers: delivery), "duplicate", eventID: capturedEventID)
            var afterWebhook = try await Self.snapshot(server)
            #expect(afterWebhook.webhookEvents == 1)
            afterWebhook.webhookEvents = 0
            #expect(afterWebhook == afterCapture)

            // A refund approved by finance goes to PayPal against the capture.
            let finance = try await CatalogueFixtures.admin(server, "fin1", role: .finance)
            let requestID = try await Self.refund(server, buyer, model: b, admin: finance.adminToken)
            let refundCall = try #require(paypal.apiRequests.first { $0.path == "/v2/payments/captures/\(captureID)/refund" })
            #expect(refundCall.requestID == "refund-\(requestID)")
            #expect(refundCall.json["amount"] as? [String: String] == ["value": "12.00", "currency_code": "USD"])
            #expect(refundCall.status == 201)
            let refundID = try #require((try JSONSerialization.jsonObject(with: refundCall.answer) as? [String: Any])?["id"] as? String)
            #expect(try await RefundRequestRecord.find(UUID(uuidString: requestID), on: server.app.db)?.providerReference == refundID)
            #expect(try await Self.transaction(server, id).refundedCents == 1200)
            #expect(try await Self.download(server, buyer, b) == .paymentRequired)
            #expect(try await Self.download(server, buyer, a) == .ok)
            // PayPal's PAYMENT.CAPTURE.REFUNDED for it reverses nothing more.
            let refundedEvent = Self.paypalEvent(type: "PAYMENT.CAPTURE.REFUNDED", resource: [
                "id": refundID, "status": "COMPLETED", "amount": ["currency_code": "USD", "value": "12.00"], "custom_id": id,
                "links": [
                    ["href": "\(paypal.baseURL)/v2/payments/refunds/\(refundID)", "rel": "self", "method": "GET"],
                    ["href": "\(paypal.baseURL)/v2/payments/captures/\(captureID)", "rel": "up", "method": "GET"],
                ],
            ])
            let beforeRefundEvent = try await Self.snapshot(server)
            try Self.expectReceipt(try await Self.postPayPal(server, refundedEvent, headers: PayPalStandIn.deliveryHeaders(payload: refundedEvent)), "processed")
            var afterRefundEvent = try await Self.snapshot(server)
            afterRefundEvent.webhookEvents -= 1
            #expect(afterRefundEvent == beforeRefundEvent)
            #expect(try await CatalogueFixtures.count(server, "webhook_events WHERE outcome = 'refund_known'") == 1)

            // A payout to the seller's PayPal address goes through PayPal Payouts.
            let method = try await server.request(.PUT, "/api/v1/payouts/method", json: ["type": "paypal", "paypal_email": "seller1@example.com"], token: seller.accessToken)
            #expect(method.status == .ok, "\(method.text)")
            try await MarketplaceFixtures.age(server, transactionID: id, days: 15)
            let earnings = try await server.request(.GET, "/api/v1/earnings", token: seller.accessToken).object()
            #expect(earnings["available_cents"] as? Int == 4625)  // 5000 - 375; B's earning was reversed
            let requested = try await server.request(.POST, "/api/v1/payouts", json: ["amount_cents": 2500], token: seller.accessToken)
            #expect(requested.status == .created, "\(requested.text)")
            let payoutID = try #require(try requested.object()["id"] as? String)
            let approved = try await server.request(.POST, "/api/v1/admin/payouts/\(payoutID)/approve", json: [:], token: finance.adminToken)
            #expect(approved.status == .ok, "\(approved.text)")
            let payout = try #require(try approved.object()["payout"] as? [String: Any])
            #expect(payout["status"] as? String == "paid")
            #expect(payout["provider"] as? String == "paypal")
            let payoutCall = try #require(paypal.apiRequests.first { $0.path == "/v1/payments/payouts" })
            #expect(payoutCall.requestID == "payout-\(payoutID)")
            let item = try #require((payoutCall.json["items"] as? [[String: Any]])?.first)
            #expect(item["receiver"] as? String == "seller1@example.com")
            #expect(item["amount"] as? [String: String] == ["value": "25.00", "currency": "USD"])
            let batch = try #require(((try JSONSerialization.jsonObject(with: payoutCall.answer) as? [String: Any])?["batch_header"] as? [String: Any])?["payout_batch_id"] as? String)
            #expect(payout["provider_reference"] as? String == batch)
            let final = try await server.request(.GET, "/api/v1/earnings", token: seller.accessToken).object()
            #expect(final["paid_out_cents"] as? Int == 2500)
            #expect(final["available_cents"] as? Int == 2125)
            try await MarketplaceFixtures.expectLedgerHolds(server)
        }
    }
}
