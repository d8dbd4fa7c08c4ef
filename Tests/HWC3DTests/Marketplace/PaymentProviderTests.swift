import AsyncHTTPClient
import Foundation
import Testing

@testable import HWC3D

/// The Stripe and PayPal providers against their stand-ins (`StripeStandIn`, `PayPalStandIn`), the sandbox, the
/// configured set, and `DecimalAmount`.
@Suite("Payment providers")
struct PaymentProviderTests {
    static let transactionID = UUID(uuidString: "6A1B4C2D-0E3F-4A5B-8C7D-9E0F1A2B3C4D")!

    static func request(_ transactionID: UUID = transactionID, cents: Int = 1250) -> PaymentRequest {
        PaymentRequest(
            transactionID: transactionID, amountCents: cents, currency: "USD", description: "HWC3D order: Low-poly fox & friends",
            buyerEmail: "buyer@example.com", returnURL: "http://frontend.test/checkout/return",
            cancelURL: "http://frontend.test/checkout/cancel")
    }

    static func toCapture(_ reference: String, key: String = "capture-1") -> PaymentToCapture {
        PaymentToCapture(reference: reference, expectedAmountCents: 1250, currency: "USD", idempotencyKey: key)
    }

    /// Runs `body` and answers the `PaymentProviderError` it threw (failing the test when it threw none).
    static func providerError(_ body: () async throws -> Void) async -> PaymentProviderError? {
        do {
            try await body()
            Issue.record("expected a PaymentProviderError")
            return nil
        } catch let error as PaymentProviderError {
            return error
        } catch {
            Issue.record("expected a PaymentProviderError, got \(error)")
            return nil
        }
    }

    // MARK: sandbox and configuration

    @Test func theSandboxAnswersWhatWasExpected() async throws {
        let sandbox = SandboxPaymentProvider()
        let created = try await sandbox.createPayment(Self.request())
        #expect(created == CreatedPayment(reference: "sandbox_6a1b4c2d-0e3f-4a5b-8c7d-9e0f1a2b3c4d", clientSecret: nil, approvalURL: nil))
        let outcome = try await sandbox.capture(
            PaymentToCapture(reference: created.reference, expectedAmountCents: 990, currency: "EUR", idempotencyKey: "k"))
        #expect(outcome == .succeeded(amountCents: 990, currency: "EUR", captureReference: created.reference))
        let refund = try await sandbox.refund(RefundRequestToProvider(
            captureReference: created.reference, amountCents: 990, currency: "EUR", idempotencyKey: "refund-7", note: ""))
        #expect(refund.reference == "sandbox_re_refund-7")
        let payout = try await sandbox.payout(PayoutRequestToProvider(
            destination: .paypalEmail("s@example.com"), amountCents: 500, currency: "EUR", idempotencyKey: "payout-3", note: ""))
        #expect(payout.reference == "sandbox_po_payout-3")
        try await sandbox.cancel(reference: created.reference)
    }

    @Test func theConfiguredSetFollowsTheSettings() {
        let stripe = Settings.Payments.Stripe(secretKey: "sk_test_x", webhookSecret: "whsec_x", apiURL: "https://api.stripe.com")
        let paypal = Settings.Payments.PayPal(clientID: "id", clientSecret: "secret", webhookID: "WH1", apiURL: "https://api-m.sandbox.paypal.com")
        let all = PaymentProviders(
            settings: .init(sandboxEnabled: true, currency: "EUR", stripe: stripe, paypal: paypal, webhookToleranceSeconds: 120),
            httpClient: HTTPClient.shared)
        #expect(all.available == [.sandbox, .stripe, .paypal])
        #expect(all.provider(.stripe)?.name == .stripe)
        #expect(all.provider(.paypal)?.name == .paypal)
        #expect(all.stripe?.webhookSecret == "whsec_x")
        #expect(all.paypal?.webhookID == "WH1")
        #expect(all.currency == "EUR")
        #expect(all.webhookToleranceSeconds == 120)

        let stripeOnly = PaymentProviders(
            settings: .init(sandboxEnabled: false, currency: "USD", stripe: stripe, paypal: nil, webhookToleranceSeconds: 300),
            httpClient: HTTPClient.shared)
        #expect(stripeOnly.available == [.stripe])
        #expect(stripeOnly.provider(.sandbox) == nil)
        #expect(stripeOnly.provider(.paypal) == nil)
        #expect(stripeOnly.paypal == nil)
    }

    // MARK: Stripe

    @Test func stripeCreatesAPaymentIntentInStripesWireFormat() async throws {
        try await StripeStandIn.with { stripe in
            let created = try await stripe.provider().createPayment(Self.request())
            #expect(created.reference.hasPrefix("pi_"))
            #expect(created.clientSecret?.hasPrefix(created.reference + "_secret_") == true)
            #expect(created.approvalURL == nil)

            let sent = try #require(stripe.requests.first)
            #expect(stripe.requests.count == 1)
            #expect(sent.method == "POST")
            #expect(sent.path == "/v1/payment_intents")
            #expect(sent.contentType == "application/x-www-form-urlencoded")
            #expect(sent.idempotencyKey == "checkout-6a1b4c2d-0e3f-4a5b-8c7d-9e0f1a2b3c4d")
            #expect(sent.stripeVersion == "2024-06-20")
            #expect(sent.form == [
                "amount": "1250", "currency": "usd", "description": "HWC3D order: Low-poly fox & friends",
                "metadata[transaction_id]": "6a1b4c2d-0e3f-4a5b-8c7d-9e0f1a2b3c4d", "receipt_email": "buyer@example.com",
                "automatic_payment_methods[enabled]": "true",
            ])
            let intent = try #require(stripe.paymentIntent(created.reference))
            #expect(intent["metadata"] as? [String: String] == ["transaction_id": "6a1b4c2d-0e3f-4a5b-8c7d-9e0f1a2b3c4d"])
        }
    }

    @Test func stripeFormEncodingEscapesEverythingButUnreservedBytes() {
        #expect(StripePaymentProvider.formEncode([("metadata[note]", "a b&c=d/é+")]) == "metadata%5Bnote%5D=a+b%26c%3Dd%2F%C3%A9%2B")
        #expect(StripePaymentProvider.formEncode([("amount", "1250"), ("currency", "usd")]) == "amount=1250&currency=usd")
        #expect(StripePaymentProvider.formEncode([]) == "")
    }

    @Test func stripeCaptureIsPendingUntilTheBuyerConfirms() async throws {
        try await StripeStandIn.with { stripe in
            let provider = stripe.provider()
            let created = try await provider.createPayment(Self.request())
            #expect(try await provider.capture(Self.toCapture(created.reference)) == .pending)

            stripe.succeed(paymentIntent: created.reference)
            let outcome = try await provider.capture(Self.toCapture(created.reference))
            #expect(outcome == .succeeded(amountCents: 1250, currency: "USD", captureReference: created.reference))
            let read = try #require(stripe.requests.last)
            #expect(read.method == "GET")
            #expect(read.path == "/v1/payment_intents/\(created.reference)")
            #expect(read.idempotencyKey == nil)
        }
    }

    @Test func stripeCaptureReportsADeclineAndACancellation() async throws {
        try await StripeStandIn.with { stripe in
            let provider = stripe.provider()
            let declined = try await provider.createPayment(Self.request())
            stripe.fail(paymentIntent: declined.reference, message: "Your card has insufficient funds.")
            #expect(try await provider.capture(Self.toCapture(declined.reference)) == .failed(reason: "Your card has insufficient funds."))

            let abandoned = try await provider.createPayment(Self.request(UUID()))
            try await provider.cancel(reference: abandoned.reference)
            #expect(try await provider.capture(Self.toCapture(abandoned.reference)) == .failed(reason: "the payment was canceled (requested_by_customer)"))
            let cancel = try #require(stripe.requests.first { $0.path.hasSuffix("/cancel") })
            #expect(cancel.idempotencyKey == "cancel-\(abandoned.reference)")
        }
    }

    @Test func stripeCancellingASucceededPaymentIsARefusal() async throws {
        try await StripeStandIn.with { stripe in
            let provider = stripe.provider()
            let created = try await provider.createPayment(Self.request())
            stripe.succeed(paymentIntent: created.reference)
            let error = try #require(await Self.providerError { try await provider.cancel(reference: created.reference) })
            #expect(error.retryable == false)
            #expect(error.provider == .stripe)
            #expect(error.message.hasPrefix("HTTP 400 invalid_request_error (payment_intent_unexpected_state): You cannot cancel"))
        }
    }

    @Test func stripeCreateRepeatedWithTheSameKeyIsOnePaymentIntent() async throws {
        try await StripeStandIn.with { stripe in
            let provider = stripe.provider()
            let first = try await provider.createPayment(Self.request())
            let again = try await provider.createPayment(Self.request())
            #expect(again == first)
            #expect(stripe.paymentIntentCount == 1)
            #expect(stripe.requests.map(\.idempotencyKey) == Array(repeating: "checkout-6a1b4c2d-0e3f-4a5b-8c7d-9e0f1a2b3c4d", count: 2))

            _ = try await provider.createPayment(Self.request(UUID()))
            #expect(stripe.paymentIntentCount == 2)
        }
    }

    @Test func stripeRefundsAndPaysOut() async throws {
        try await StripeStandIn.with { stripe in
            let provider = stripe.provider()
            let created = try await provider.createPayment(Self.request())
            stripe.succeed(paymentIntent: created.reference)

            let request = RefundRequestToProvider(
                captureReference: created.reference, amountCents: 500, currency: "USD", idempotencyKey: "refund-41", note: "Broken mesh")
            let refund = try await provider.refund(request)
            #expect(refund.reference.hasPrefix("re_"))
            let sent = try #require(stripe.requests.last)
            #expect(sent.path == "/v1/refunds")
            #expect(sent.idempotencyKey == "refund-41")
            #expect(sent.form == ["payment_intent": created.reference, "amount": "500", "metadata[note]": "Broken mesh"])
            // Retried after a timeout: the same refund, not a second one.
            #expect(try await provider.refund(request) == refund)
            // More than is left is Stripe's refusal.
            let tooMuch = RefundRequestToProvider(
                captureReference: created.reference, amountCents: 800, currency: "USD", idempotencyKey: "refund-42", note: "")
            let error = try #require(await Self.providerError { _ = try await provider.refund(tooMuch) })
            #expect(error.retryable == false)
            #expect(error.message.contains("(amount_too_large)"))

            let payout = try await provider.payout(PayoutRequestToProvider(
                destination: .stripeAccount("acct_1Nv0FGQ9RKHgCVdK"), amountCents: 1000, currency: "USD", idempotencyKey: "payout-9",
                note: "HWC3D sales, June"))
            #expect(payout.reference.hasPrefix("tr_"))
            let transfer = try #require(stripe.requests.last)
            #expect(transfer.path == "/v1/transfers")
            #expect(transfer.idempotencyKey == "payout-9")
            #expect(transfer.form == ["amount": "1000", "currency": "usd", "destination": "acct_1Nv0FGQ9RKHgCVdK", "description": "HWC3D sales, June"])
        }
    }

    @Test func stripeCannotPayAPayPalAddress() async throws {
        try await StripeStandIn.with { stripe in
            let error = try #require(await Self.providerError {
                _ = try await stripe.provider().payout(PayoutRequestToProvider(
                    destination: .paypalEmail("seller@example.com"), amountCents: 100, currency: "USD", idempotencyKey: "p", note: ""))
            })
            #expect(error.retryable == false)
            #expect(stripe.requests.isEmpty)
        }
    }

    @Test func stripeErrorsSayWhetherARetryCanHelp() async throws {
        try await StripeStandIn.with { stripe in
            let provider = stripe.provider()
            stripe.failNext(.internalServerError)
            let serverError = try #require(await Self.providerError { _ = try await provider.createPayment(Self.request()) })
            #expect(serverError.retryable)
            #expect(serverError.message == "HTTP 500 api_error: Something went wrong on Stripe's end.")

            stripe.failNext(.tooManyRequests)
            let rateLimited = try #require(await Self.providerError { _ = try await provider.createPayment(Self.request()) })
            #expect(rateLimited.retryable)
            #expect(rateLimited.message.contains("(rate_limit)"))

            // After the failures, the same key goes through and makes the one PaymentIntent.
            _ = try await provider.createPayment(Self.request())
            #expect(stripe.paymentIntentCount == 1)

            let missing = try #require(await Self.providerError { _ = try await provider.capture(Self.toCapture("pi_doesnotexist")) })
            #expect(missing.retryable == false)
            #expect(missing.message == "HTTP 404 invalid_request_error (resource_missing): No such payment_intent: 'pi_doesnotexist'")
        }
    }

    @Test func stripeWithAWrongKeyIsRefusedAndTheKeyStaysOutOfTheError() async throws {
        try await StripeStandIn.with { stripe in
            let wrongKey = "sk_test_wrongKey0000000000000000000000009f3a"
            let error = try #require(await Self.providerError { _ = try await stripe.provider(secretKey: wrongKey).createPayment(Self.request()) })
            #expect(error.retryable == false)
            #expect(error.message.hasPrefix("HTTP 401 invalid_request_error: Invalid API Key provided"))
            #expect(!error.description.contains(wrongKey))
            #expect(!error.description.contains(StripeStandIn.secretKey))
            #expect(stripe.paymentIntentCount == 0)
        }
    }

    @Test func stripeRefusesAReferenceThatIsNotAnID() async throws {
        try await StripeStandIn.with { stripe in
            let error = try #require(await Self.providerError { _ = try await stripe.provider().capture(Self.toCapture("pi_1/../../v1/refunds")) })
            #expect(error.retryable == false)
            #expect(stripe.requests.isEmpty)
        }
    }

    @Test func anUnreachableServiceIsRetryable() async throws {
        // Nothing listens on port 9 (discard) on loopback here, so the connection is refused; AsyncHTTPClient
        // keeps trying until the request's deadline, shortened here.
        var stripe = StripePaymentProvider(
            settings: .init(secretKey: StripeStandIn.secretKey, webhookSecret: "whsec_x", apiURL: "http://127.0.0.1:9"), httpClient: HTTPClient.shared)
        stripe.timeout = .milliseconds(500)
        let error = try #require(await Self.providerError { _ = try await stripe.createPayment(Self.request()) })
        #expect(error.retryable)
        #expect(error.message.hasPrefix("POST /v1/payment_intents failed: "))
        #expect(!error.description.contains(StripeStandIn.secretKey))

        var paypal = PayPalPaymentProvider(
            settings: .init(clientID: "id", clientSecret: "secret-value-9", webhookID: "WH", apiURL: "http://127.0.0.1:9"), httpClient: HTTPClient.shared)
        paypal.timeout = .milliseconds(500)
        let tokenError = try #require(await Self.providerError { _ = try await paypal.createPayment(Self.request()) })
        #expect(tokenError.retryable)
        #expect(tokenError.message.hasPrefix("POST /v1/oauth2/token failed: "))
        #expect(!tokenError.description.contains("secret-value-9"))
    }

    @Test func aSucceededEventFromTheStandInParsesToTheCapture() async throws {
        try await StripeStandIn.with { stripe in
            let provider = stripe.provider()
            let created = try await provider.createPayment(Self.request())
            stripe.succeed(paymentIntent: created.reference)
            let delivery = StripeStandIn.signedEvent(type: "payment_intent.succeeded", object: try #require(stripe.paymentIntent(created.reference)))
            try StripeWebhook.verify(payload: delivery.payload, signatureHeader: delivery.header, secret: provider.webhookSecret, tolerance: 300)
            let event = try StripeWebhook.parse(payload: delivery.payload)
            #expect(event.kind == .paymentSucceeded(amountCents: 1250, currency: "USD", captureReference: created.reference))
            #expect(event.transactionID == Self.transactionID)
        }
    }

    // MARK: PayPal

    @Test func paypalCreatesAnOrderAndAnswersTheApprovalLink() async throws {
        try await PayPalStandIn.with { paypal in
            let created = try await paypal.provider().createPayment(Self.request())
            #expect(created.approvalURL == "https://www.sandbox.paypal.com/checkoutnow?token=\(created.reference)")
            #expect(created.clientSecret == nil)
            #expect(paypal.orderStatus(created.reference) == "PAYER_ACTION_REQUIRED")

            let sent = try #require(paypal.apiRequests.first)
            #expect(sent.path == "/v2/checkout/orders")
            #expect(sent.requestID == "checkout-6a1b4c2d-0e3f-4a5b-8c7d-9e0f1a2b3c4d")
            let body = sent.json
            #expect(body["intent"] as? String == "CAPTURE")
            let unit = try #require((body["purchase_units"] as? [[String: Any]])?.first)
            #expect(unit["custom_id"] as? String == "6a1b4c2d-0e3f-4a5b-8c7d-9e0f1a2b3c4d")
            #expect(unit["description"] as? String == "HWC3D order: Low-poly fox & friends")
            #expect(unit["amount"] as? [String: String] == ["currency_code": "USD", "value": "12.50"])
            let context = ((body["payment_source"] as? [String: Any])?["paypal"] as? [String: Any])?["experience_context"] as? [String: String]
            #expect(context?["return_url"] == "http://frontend.test/checkout/return")
            #expect(context?["cancel_url"] == "http://frontend.test/checkout/cancel")
            #expect(context?["user_action"] == "PAY_NOW")
        }
    }

    @Test func paypalCaptureIsPendingUntilApprovedThenSucceeds() async throws {
        try await PayPalStandIn.with { paypal in
            let provider = paypal.provider()
            let created = try await provider.createPayment(Self.request())
            // One key per transaction, as the marketplace uses it, before and after the buyer's approval.
            let key = "capture-6a1b4c2d-0e3f-4a5b-8c7d-9e0f1a2b3c4d"
            #expect(try await provider.capture(Self.toCapture(created.reference, key: key)) == .pending)
            // Only read: no capture was attempted, so the key is not spent on a refusal.
            #expect(paypal.apiRequests.last?.method == "GET")

            paypal.approve(order: created.reference)
            let outcome = try await provider.capture(Self.toCapture(created.reference, key: key))
            guard case .succeeded(let cents, let currency, let captureID) = outcome else {
                Issue.record("expected success, got \(outcome)")
                return
            }
            #expect(cents == 1250)
            #expect(currency == "USD")
            #expect(captureID != created.reference)
            #expect(paypal.orderStatus(created.reference) == "COMPLETED")
            let capture = try #require(paypal.apiRequests.last)
            #expect(capture.method == "POST")
            #expect(capture.path == "/v2/checkout/orders/\(created.reference)/capture")
            #expect(capture.requestID == key)
            #expect(capture.status == 201)

            // Repeated after a crash: the completed order answers the same capture, and nothing is captured twice.
            #expect(try await provider.capture(Self.toCapture(created.reference, key: key)) == outcome)
            #expect(try await provider.capture(Self.toCapture(created.reference, key: "another-key")) == outcome)
            #expect(paypal.apiRequests.filter { $0.path.hasSuffix("/capture") }.count == 1)
        }
    }

    @Test func paypalCaptureRacingAnotherCaptureReadsTheOrderAgain() async throws {
        try await PayPalStandIn.with { paypal in
            let provider = paypal.provider()
            let created = try await provider.createPayment(Self.request())
            paypal.approve(order: created.reference)
            let first = try await provider.capture(Self.toCapture(created.reference, key: "instance-a"))

            paypal.serveStaleRead(order: created.reference)
            #expect(try await provider.capture(Self.toCapture(created.reference, key: "instance-b")) == first)
            let tail = paypal.apiRequests.suffix(3)
            #expect(tail.map(\.method) == ["GET", "POST", "GET"])
            #expect(tail.map(\.status) == [200, 422, 200])
            #expect(Array(tail)[1].issue == "ORDER_ALREADY_CAPTURED")
        }
    }

    @Test func paypalADeclinedCaptureFails() async throws {
        try await PayPalStandIn.with { paypal in
            let provider = paypal.provider()
            let created = try await provider.createPayment(Self.request())
            paypal.approveThenDecline(order: created.reference)
            #expect(try await provider.capture(Self.toCapture(created.reference)) == .failed(reason: "the capture was declined"))
        }
    }

    @Test func paypalCreateRepeatedWithTheSameKeyIsOneOrder() async throws {
        try await PayPalStandIn.with { paypal in
            let provider = paypal.provider()
            let first = try await provider.createPayment(Self.request())
            #expect(try await provider.createPayment(Self.request()) == first)
            #expect(paypal.orderCount == 1)
        }
    }

    @Test func paypalUsesOneTokenForManyCalls() async throws {
        try await PayPalStandIn.with { paypal in
            let provider = paypal.provider()
            let created = try await provider.createPayment(Self.request())
            async let a = provider.capture(Self.toCapture(created.reference, key: "c1"))
            async let b = provider.capture(Self.toCapture(created.reference, key: "c2"))
            _ = try await (a, b)
            _ = try await provider.createPayment(Self.request(UUID()))
            #expect(paypal.tokenRequests == 1)
            #expect(paypal.apiRequests.count == 4)

            let token = try #require(paypal.requests.first)
            #expect(token.path == "/v1/oauth2/token")
            #expect(String(decoding: token.body, as: UTF8.self) == "grant_type=client_credentials")
        }
    }

    @Test func paypalFetchesAnotherTokenWhenTheLastHasExpired() async throws {
        try await PayPalStandIn.with { paypal in
            // A token that lives no longer than the refresh margin is never reused.
            paypal.setTokenLifetime(60)
            let provider = paypal.provider()
            _ = try await provider.createPayment(Self.request())
            _ = try await provider.createPayment(Self.request(UUID()))
            #expect(paypal.tokenRequests == 2)
        }
    }

    @Test func paypalRefreshesTheTokenOnceOn401() async throws {
        try await PayPalStandIn.with { paypal in
            let provider = paypal.provider()
            let created = try await provider.createPayment(Self.request())
            paypal.revokeTokens()
            #expect(try await provider.capture(Self.toCapture(created.reference)) == .pending)
            #expect(paypal.tokenRequests == 2)
            #expect(paypal.apiRequests.map(\.status) == [201, 401, 200])
            #expect(paypal.apiRequests.map(\.method) == ["POST", "GET", "GET"])
        }
    }

    @Test func paypalWithAWrongSecretIsRefusedAndTheSecretStaysOutOfTheError() async throws {
        try await PayPalStandIn.with { paypal in
            let wrong = "EWrongSecret0000000000000000000000001"
            let error = try #require(await Self.providerError { _ = try await paypal.provider(clientSecret: wrong).createPayment(Self.request()) })
            #expect(error.retryable == false)
            #expect(error.message == "HTTP 401 to the token request invalid_client: Client Authentication failed")
            #expect(!error.description.contains(wrong))
            #expect(paypal.apiRequests.isEmpty)
        }
    }

    @Test func paypalRefundsACapture() async throws {
        try await PayPalStandIn.with { paypal in
            let provider = paypal.provider()
            let created = try await provider.createPayment(Self.request())
            paypal.approve(order: created.reference)
            guard case .succeeded(_, _, let captureID) = try await provider.capture(Self.toCapture(created.reference)) else {
                Issue.record("capture did not succeed")
                return
            }
            let request = RefundRequestToProvider(captureReference: captureID, amountCents: 500, currency: "USD", idempotencyKey: "refund-41", note: "Broken mesh")
            let refund = try await provider.refund(request)
            #expect(!refund.reference.isEmpty)
            let sent = try #require(paypal.apiRequests.last)
            #expect(sent.path == "/v2/payments/captures/\(captureID)/refund")
            #expect(sent.requestID == "refund-41")
            #expect(sent.json["amount"] as? [String: String] == ["value": "5.00", "currency_code": "USD"])
            #expect(sent.json["note_to_payer"] as? String == "Broken mesh")
            #expect(try await provider.refund(request) == refund)

            let tooMuch = RefundRequestToProvider(captureReference: captureID, amountCents: 800, currency: "USD", idempotencyKey: "refund-42", note: "")
            let error = try #require(await Self.providerError { _ = try await provider.refund(tooMuch) })
            #expect(error.retryable == false)
            #expect(error.message.hasPrefix("HTTP 422 UNPROCESSABLE_ENTITY (REFUND_AMOUNT_EXCEEDED)"))
        }
    }

    @Test func paypalPaysOutToAnEmail() async throws {
        try await PayPalStandIn.with { paypal in
            let provider = paypal.provider()
            let request = PayoutRequestToProvider(
                destination: .paypalEmail("seller@example.com"), amountCents: 1999, currency: "USD", idempotencyKey: "payout-9", note: "HWC3D sales")
            let payout = try await provider.payout(request)
            #expect(payout.reference.count == 13)
            let sent = try #require(paypal.apiRequests.last)
            #expect(sent.path == "/v1/payments/payouts")
            #expect(sent.requestID == "payout-9")
            #expect(sent.json["sender_batch_header"] as? [String: String] == ["sender_batch_id": "payout-9", "email_subject": "You have a payout"])
            let item = try #require((sent.json["items"] as? [[String: Any]])?.first)
            #expect(item["recipient_type"] as? String == "EMAIL")
            #expect(item["receiver"] as? String == "seller@example.com")
            #expect(item["amount"] as? [String: String] == ["value": "19.99", "currency": "USD"])
            #expect(item["sender_item_id"] as? String == "payout-9")
            #expect(try await provider.payout(request) == payout)

            let stripeDestination = PayoutRequestToProvider(
                destination: .stripeAccount("acct_1"), amountCents: 100, currency: "USD", idempotencyKey: "p2", note: "")
            let error = try #require(await Self.providerError { _ = try await provider.payout(stripeDestination) })
            #expect(error.retryable == false)
        }
    }

    @Test func paypalErrorsSayWhetherARetryCanHelp() async throws {
        try await PayPalStandIn.with { paypal in
            let provider = paypal.provider()
            _ = try await provider.createPayment(Self.request())
            paypal.failNext(.internalServerError)
            let serverError = try #require(await Self.providerError { _ = try await provider.createPayment(Self.request(UUID())) })
            #expect(serverError.retryable)
            #expect(serverError.message == "HTTP 500 INTERNAL_SERVER_ERROR: An internal server error has occurred.")

            paypal.failNext(.tooManyRequests)
            #expect(try #require(await Self.providerError { _ = try await provider.createPayment(Self.request(UUID())) }).retryable)

            let missing = try #require(await Self.providerError { _ = try await provider.capture(Self.toCapture("5O190127TN364715T")) })
            #expect(missing.retryable == false)
            #expect(missing.message.hasPrefix("HTTP 404 RESOURCE_NOT_FOUND (INVALID_RESOURCE_ID)"))
        }
    }

    // MARK: PayPal webhooks

    static let completedEvent = Data("""
        {
          "id": "WH-2WR32451HC0233532-67976317FL4543714",
          "event_version": "1.0",
          "create_time": "2026-06-01T12:00:05.000Z",
          "resource_type": "capture",
          "resource_version": "2.0",
          "event_type": "PAYMENT.CAPTURE.COMPLETED",
          "summary": "Payment completed for $ 12.5 USD",
          "resource": {
            "id": "42311647XV020574X",
            "amount": {"currency_code": "USD", "value": "12.50"},
            "final_capture": true,
            "seller_protection": {"status": "ELIGIBLE", "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"]},
            "seller_receivable_breakdown": {
              "gross_amount": {"currency_code": "USD", "value": "12.50"},
              "paypal_fee": {"currency_code": "USD", "value": "0.86"},
              "net_amount": {"currency_code": "USD", "value": "11.64"}
            },
            "custom_id": "6a1b4c2d-0e3f-4a5b-8c7d-9e0f1a2b3c4d",
            "status": "COMPLETED",
            "supplementary_data": {"related_ids": {"order_id": "5O190127TN364715T"}},
            "create_time": "2026-06-01T12:00:01Z",
            "update_time": "2026-06-01T12:00:01Z",
            "links": [
              {"href": "https://api.sandbox.paypal.com/v2/payments/captures/42311647XV020574X", "rel": "self", "method": "GET"},
              {"href": "https://api.sandbox.paypal.com/v2/payments/captures/42311647XV020574X/refund", "rel": "refund", "method": "POST"},
              {"href": "https://api.sandbox.paypal.com/v2/checkout/orders/5O190127TN364715T", "rel": "up", "method": "GET"}
            ]
          },
          "links": [
            {"href": "https://api.sandbox.paypal.com/v1/notifications/webhooks-events/WH-2WR32451HC0233532-67976317FL4543714", "rel": "self", "method": "GET"},
            {"href": "https://api.sandbox.paypal.com/v1/notifications/webhooks-events/WH-2WR32451HC0233532-67976317FL4543714/resend", "rel": "resend", "method": "POST"}
          ]
        }
        """.utf8)

    @Test func paypalWebhookVerifiesADeliveryThroughPayPal() async throws {
        try await PayPalStandIn.with { paypal in
            let headers = PayPalStandIn.deliveryHeaders(payload: Self.completedEvent)
            try await paypal.provider().verifyWebhook(
                headers: headers, payload: Self.completedEvent, webhookID: PayPalStandIn.webhookID, tolerance: 300)

            let asked = try #require(paypal.apiRequests.last)
            #expect(asked.path == "/v1/notifications/verify-webhook-signature")
            #expect(asked.requestID == nil)
            #expect(asked.json["auth_algo"] as? String == "SHA256withRSA")
            #expect(asked.json["webhook_id"] as? String == PayPalStandIn.webhookID)
            #expect(asked.json["transmission_id"] as? String == headers["paypal-transmission-id"])
            #expect((asked.json["webhook_event"] as? [String: Any])?["id"] as? String == "WH-2WR32451HC0233532-67976317FL4543714")
            // The event went to PayPal as the bytes received.
            #expect(PayPalStandIn.rawMember("webhook_event", of: asked.body) == Self.completedEvent)
        }
    }

    @Test func paypalWebhookRefusesForgedAndStaleDeliveries() async throws {
        try await PayPalStandIn.with { paypal in
            let webhook = paypal.provider().webhook(toleranceSeconds: 300)
            let headers = PayPalStandIn.deliveryHeaders(payload: Self.completedEvent)

            var tampered = Self.completedEvent
            tampered[tampered.firstIndex(of: UInt8(ascii: "5"))!] = UInt8(ascii: "9")
            await #expect(throws: WebhookVerificationError.signatureMismatch) {
                try await webhook.verify(headers: headers, payload: tampered, webhookID: PayPalStandIn.webhookID)
            }
            var forged = headers
            forged["paypal-transmission-sig"] = "c2lnbmF0dXJlLW9mLXNvbWVvbmUtZWxzZQ=="
            await #expect(throws: WebhookVerificationError.signatureMismatch) {
                try await webhook.verify(headers: forged, payload: Self.completedEvent, webhookID: PayPalStandIn.webhookID)
            }
            let forAnotherWebhook = PayPalStandIn.deliveryHeaders(payload: Self.completedEvent, webhookID: "0AB12345CD678901E")
            await #expect(throws: WebhookVerificationError.signatureMismatch) {
                try await webhook.verify(headers: forAnotherWebhook, payload: Self.completedEvent, webhookID: PayPalStandIn.webhookID)
            }
            #expect(paypal.apiRequests.count == 3)

            let stale = PayPalStandIn.deliveryHeaders(payload: Self.completedEvent, time: Date().addingTimeInterval(-301))
            await #expect(throws: WebhookVerificationError.outsideTolerance) {
                try await webhook.verify(headers: stale, payload: Self.completedEvent, webhookID: PayPalStandIn.webhookID)
            }
            var missing = headers
            missing["paypal-transmission-sig"] = nil
            await #expect(throws: WebhookVerificationError.missingSignature) {
                try await webhook.verify(headers: missing, payload: Self.completedEvent, webhookID: PayPalStandIn.webhookID)
            }
            var badTime = headers
            badTime["paypal-transmission-time"] = "yesterday"
            await #expect(throws: WebhookVerificationError.malformedSignature) {
                try await webhook.verify(headers: badTime, payload: Self.completedEvent, webhookID: PayPalStandIn.webhookID)
            }
            // None of these reached PayPal.
            #expect(paypal.apiRequests.count == 3)
        }
    }

    @Test func paypalWebhookVerificationFailingToReachPayPalIsRetryable() async throws {
        try await PayPalStandIn.with { paypal in
            let webhook = paypal.provider().webhook(toleranceSeconds: 300)
            paypal.failNext(.serviceUnavailable)
            let error = try #require(await Self.providerError {
                try await webhook.verify(
                    headers: PayPalStandIn.deliveryHeaders(payload: Self.completedEvent), payload: Self.completedEvent,
                    webhookID: PayPalStandIn.webhookID)
            })
            #expect(error.retryable)
        }
    }

    @Test func paypalCaptureCompletedParses() throws {
        let event = try PayPalWebhook.parse(payload: Self.completedEvent)
        #expect(event == PaymentEvent(
            provider: .paypal, eventID: "WH-2WR32451HC0233532-67976317FL4543714", type: "PAYMENT.CAPTURE.COMPLETED",
            reference: "5O190127TN364715T", transactionID: Self.transactionID, captureReference: "42311647XV020574X",
            kind: .paymentSucceeded(amountCents: 1250, currency: "USD", captureReference: "42311647XV020574X")))
    }

    @Test func paypalCaptureDeniedParses() throws {
        let denied = String(decoding: Self.completedEvent, as: UTF8.self)
            .replacingOccurrences(of: #""event_type": "PAYMENT.CAPTURE.COMPLETED""#, with: #""event_type": "PAYMENT.CAPTURE.DENIED""#)
            .replacingOccurrences(of: #""status": "COMPLETED","#, with: #""status": "DECLINED", "status_details": {"reason": "DECLINED_BY_RISK_FRAUD_FILTERS"},"#)
        let event = try PayPalWebhook.parse(payload: Data(denied.utf8))
        #expect(event.kind == .paymentFailed(reason: "capture denied (DECLINED_BY_RISK_FRAUD_FILTERS)"))
        #expect(event.reference == "5O190127TN364715T")
        #expect(event.captureReference == "42311647XV020574X")
    }

    @Test func paypalCaptureRefundedParses() throws {
        let refunded = Data("""
            {
              "id": "WH-1GE84257G0350133W-6RW800890C634293G",
              "event_version": "1.0",
              "create_time": "2026-06-03T09:30:00.000Z",
              "resource_type": "refund",
              "resource_version": "2.0",
              "event_type": "PAYMENT.CAPTURE.REFUNDED",
              "summary": "A $ 5.00 USD capture payment was refunded",
              "resource": {
                "id": "1JU08902781691411",
                "amount": {"currency_code": "USD", "value": "5.00"},
                "seller_payable_breakdown": {
                  "gross_amount": {"currency_code": "USD", "value": "5.00"},
                  "paypal_fee": {"currency_code": "USD", "value": "0.00"},
                  "net_amount": {"currency_code": "USD", "value": "5.00"},
                  "total_refunded_amount": {"currency_code": "USD", "value": "5.00"}
                },
                "custom_id": "6a1b4c2d-0e3f-4a5b-8c7d-9e0f1a2b3c4d",
                "status": "COMPLETED",
                "note_to_payer": "Broken mesh",
                "create_time": "2026-06-03T02:29:58-07:00",
                "update_time": "2026-06-03T02:29:58-07:00",
                "links": [
                  {"href": "https://api.sandbox.paypal.com/v2/payments/refunds/1JU08902781691411", "rel": "self", "method": "GET"},
                  {"href": "https://api.sandbox.paypal.com/v2/payments/captures/42311647XV020574X", "rel": "up", "method": "GET"}
                ]
              }
            }
            """.utf8)
        let event = try PayPalWebhook.parse(payload: refunded)
        #expect(event == PaymentEvent(
            provider: .paypal, eventID: "WH-1GE84257G0350133W-6RW800890C634293G", type: "PAYMENT.CAPTURE.REFUNDED",
            reference: nil, transactionID: Self.transactionID, captureReference: "42311647XV020574X",
            kind: .refunded(refundReference: "1JU08902781691411", amountCents: 500, cumulativeCents: nil)))
    }

    @Test func paypalOtherEventsAreIgnoredAndBrokenOnesRefused() throws {
        let approved = Data(#"{"id": "WH-7Y7254563A4550640-11V2185806837105M", "event_type": "CHECKOUT.ORDER.APPROVED", "resource": {"status": "APPROVED"}}"#.utf8)
        let event = try PayPalWebhook.parse(payload: approved)
        #expect(event.kind == .ignored)
        #expect(event.eventID == "WH-7Y7254563A4550640-11V2185806837105M")

        for broken in [
            "{}", "nope", #"{"id": "WH-1"}"#, #"{"id": "WH-1", "event_type": "PAYMENT.CAPTURE.COMPLETED"}"#,
            #"{"id": "WH-1", "event_type": "PAYMENT.CAPTURE.COMPLETED", "resource": {"id": "C1", "amount": {"currency_code": "USD", "value": "12.345"}}}"#,
        ] {
            #expect(throws: WebhookVerificationError.self) { try PayPalWebhook.parse(payload: Data(broken.utf8)) }
        }
    }

    // MARK: DecimalAmount

    @Test(arguments: [(0, "0.00"), (5, "0.05"), (10, "0.10"), (100, "1.00"), (12345, "123.45"), (-1, "-0.01"), (-12345, "-123.45"),
                      (Int.max, "92233720368547758.07"), (Int.min, "-92233720368547758.08")])
    func decimalStrings(cents: Int, text: String) {
        #expect(DecimalAmount.string(cents: cents) == text)
    }

    @Test(arguments: [("12.3", 1230), ("12.30", 1230), ("12", 1200), ("0.05", 5), ("0", 0), ("0.00", 0), ("007.5", 750),
                      ("92233720368547758.07", Int.max)])
    func decimalParsing(text: String, cents: Int) {
        #expect(DecimalAmount.cents(text) == cents)
    }

    @Test(arguments: ["1.234", "1e3", "-1", "-5.00", "", ".5", "5.", "1.2.3", " 1", "1 ", "abc", "1,50", "0x10", "١٢",
                      "92233720368547759.00"])
    func decimalParsingRefuses(text: String) {
        #expect(DecimalAmount.cents(text) == nil)
    }

    @Test func decimalRoundTrips() {
        for cents in [0, 1, 9, 10, 99, 100, 101, 1250, 999_999] {
            #expect(DecimalAmount.cents(DecimalAmount.string(cents: cents)) == cents)
        }
    }

    @Test func decimalParsingRefusesSignsAndOverflow() {
        #expect(DecimalAmount.cents("+1") == nil)
        #expect(DecimalAmount.cents("-0.50") == nil)
        #expect(DecimalAmount.cents("92233720368547758.08") == nil)
        #expect(DecimalAmount.cents("92233720368547758.07") == Int.max)
    }
}
