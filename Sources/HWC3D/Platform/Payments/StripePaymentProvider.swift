import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Stripe over its REST API, written by hand like `S3Client`: form-encoded requests in Stripe's bracket notation
/// (`metadata[transaction_id]`), JSON answers, `Authorization: Bearer` with the secret key, an `Idempotency-Key`
/// on every POST and the API version pinned, so an account upgraded in the dashboard cannot change the shapes
/// this code reads. Nothing here logs, and the key never appears in an error.
struct StripePaymentProvider: PaymentProvider {
    /// The API version every request asks for (`Stripe-Version`); event payloads follow the endpoint's own
    /// version, which should be set to the same in the dashboard.
    static let apiVersion = "2024-06-20"

    let secretKey: String
    /// The endpoint's signing secret (`whsec_…`), for `StripeWebhook.verify`.
    let webhookSecret: String
    /// `https://api.stripe.com`, or a stand-in in tests; no trailing slash.
    let apiURL: String
    let httpClient: HTTPClient
    /// For each request, connecting included: AsyncHTTPClient keeps retrying a refused connection until then.
    var timeout: TimeAmount = .seconds(20)

    var name: PaymentProviderName { .stripe }

    init(settings: Settings.Payments.Stripe, httpClient: HTTPClient) {
        self.secretKey = settings.secretKey
        self.webhookSecret = settings.webhookSecret
        self.apiURL = settings.apiURL
        self.httpClient = httpClient
    }

    // MARK: PaymentProvider

    func createPayment(_ request: PaymentRequest) async throws -> CreatedPayment {
        var form: [(name: String, value: String)] = [
            ("amount", String(request.amountCents)),
            ("currency", request.currency.lowercased()),
            ("description", request.description),
            ("metadata[transaction_id]", request.transactionID.uuidString.lowercased()),
            ("automatic_payment_methods[enabled]", "true"),
        ]
        if !request.buyerEmail.isEmpty { form.append(("receipt_email", request.buyerEmail)) }
        let intent = try await post(
            "/v1/payment_intents", form: form, idempotencyKey: "checkout-\(request.transactionID.uuidString.lowercased())",
            as: StripePaymentIntent.self)
        return CreatedPayment(reference: intent.id, clientSecret: intent.clientSecret, approvalURL: nil)
    }

    /// Reads the PaymentIntent: the client confirms it with Stripe.js, so by the time the buyer comes back the
    /// money is either taken or not, and only this server-side read (or a verified webhook) decides which.
    func capture(_ payment: PaymentToCapture) async throws -> PaymentOutcome {
        let intent = try await get("/v1/payment_intents/\(try Self.pathComponent(payment.reference))", as: StripePaymentIntent.self)
        switch intent.status {
        case "succeeded":
            return .succeeded(
                amountCents: intent.amountReceived ?? intent.amount, currency: intent.currency.uppercased(), captureReference: intent.id)
        case "canceled":
            return .failed(reason: "the payment was canceled" + (intent.cancellationReason.map { " (\($0))" } ?? ""))
        case "requires_payment_method":
            // Stripe puts a PaymentIntent back here after a failed attempt; without an error it was never tried.
            guard let error = intent.lastPaymentError else { return .pending }
            return .failed(reason: error.message ?? error.code ?? "payment failed")
        default:
            // requires_confirmation, requires_action (3-D Secure), processing (bank debits), requires_capture.
            return .pending
        }
    }

    /// Stripe refuses to cancel a PaymentIntent that already succeeded or was canceled (400
    /// `payment_intent_unexpected_state`); that comes back as a non-retryable error the caller may ignore.
    func cancel(reference: String) async throws {
        _ = try await post(
            "/v1/payment_intents/\(try Self.pathComponent(reference))/cancel", form: [], idempotencyKey: "cancel-\(reference)",
            as: StripePaymentIntent.self)
    }

    func refund(_ request: RefundRequestToProvider) async throws -> ProviderRefund {
        var form: [(name: String, value: String)] = [
            ("payment_intent", request.captureReference), ("amount", String(request.amountCents)),
        ]
        if !request.note.isEmpty { form.append(("metadata[note]", request.note)) }
        let refund = try await post("/v1/refunds", form: form, idempotencyKey: request.idempotencyKey, as: StripeObjectID.self)
        return ProviderRefund(reference: refund.id)
    }

    /// A Connect transfer from the platform balance to the seller's connected account.
    func payout(_ request: PayoutRequestToProvider) async throws -> ProviderPayout {
        guard case .stripeAccount(let account) = request.destination else {
            throw PaymentProviderError(provider: .stripe, message: "a Stripe payout needs a connected account (acct_…)", retryable: false)
        }
        var form: [(name: String, value: String)] = [
            ("amount", String(request.amountCents)), ("currency", request.currency.lowercased()), ("destination", account),
        ]
        if !request.note.isEmpty { form.append(("description", request.note)) }
        let transfer = try await post("/v1/transfers", form: form, idempotencyKey: request.idempotencyKey, as: StripeObjectID.self)
        return ProviderPayout(reference: transfer.id)
    }

    // MARK: transport

    private func get<T: Decodable>(_ path: String, as type: T.Type) async throws -> T {
        try await send(.GET, path, form: nil, idempotencyKey: nil, as: type)
    }

    private func post<T: Decodable>(
        _ path: String, form: [(name: String, value: String)], idempotencyKey: String, as type: T.Type
    ) async throws -> T {
        try await send(.POST, path, form: form, idempotencyKey: idempotencyKey, as: type)
    }

    private func send<T: Decodable>(
        _ method: HTTPMethod, _ path: String, form: [(name: String, value: String)]?, idempotencyKey: String?, as type: T.Type
    ) async throws -> T {
        var request = HTTPClientRequest(url: apiURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(secretKey)")
        request.headers.add(name: "Stripe-Version", value: Self.apiVersion)
        request.headers.add(name: "Accept", value: "application/json")
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: Self.formEncode(form)))
        }
        let response = try await PaymentHTTP.send(request, via: httpClient, provider: .stripe, timeout: timeout)
        guard (200..<300).contains(response.status) else { throw error(response) }
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw PaymentProviderError(provider: .stripe, message: "unreadable answer to \(method.rawValue) \(path)", retryable: false)
        }
    }

    /// Stripe's error object, `{"error": {"type", "code", "message", …}}`, as a `PaymentProviderError`. Stripe
    /// says whether a retry can help in `Stripe-Should-Retry`; without it, 409 (a concurrent request with the same
    /// idempotency key), 429 and 5xx are worth retrying and everything else is a refusal.
    func error(_ response: PaymentHTTP.Response) -> PaymentProviderError {
        struct Envelope: Decodable {
            struct Detail: Decodable {
                var type: String?
                var code: String?
                var message: String?
            }
            var error: Detail
        }
        let detail = try? JSONDecoder().decode(Envelope.self, from: response.body).error
        var message = "HTTP \(response.status)"
        if let type = detail?.type { message += " \(type)" }
        if let code = detail?.code { message += " (\(code))" }
        if let text = detail?.message { message += ": \(text)" }
        // Stripe masks keys in its messages; this makes sure no answer can carry ours into a log.
        if !secretKey.isEmpty { message = message.replacingOccurrences(of: secretKey, with: "[secret key]") }
        var retryable = response.status >= 500 || response.status == 429 || response.status == 409
        switch response.headers.first(name: "Stripe-Should-Retry") {
        case "true": retryable = true
        case "false": retryable = false
        default: break
        }
        return PaymentProviderError(provider: .stripe, message: message, retryable: retryable)
    }

    // MARK: encoding

    /// `application/x-www-form-urlencoded` as browsers and Stripe's libraries write it: unreserved bytes as they
    /// are, space as `+`, everything else (brackets included) percent-encoded.
    static func formEncode(_ fields: [(name: String, value: String)]) -> String {
        fields.map { formEscape($0.name) + "=" + formEscape($0.value) }.joined(separator: "&")
    }

    static func formEscape(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                bytes.append(byte)
            case UInt8(ascii: " "):
                bytes.append(UInt8(ascii: "+"))
            default:
                bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Stripe ids are `prefix_` plus letters and digits; anything else would change the request path.
    static func pathComponent(_ id: String) throws -> String {
        guard !id.isEmpty, id.utf8.count <= 255, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else {
            throw PaymentProviderError(provider: .stripe, message: "\(id.debugDescription) is not a Stripe id", retryable: false)
        }
        return id
    }
}

/// The fields of a PaymentIntent this code reads, from the API and from `payment_intent.*` events.
struct StripePaymentIntent: Decodable {
    struct PaymentError: Decodable {
        var code: String?
        var message: String?
    }

    var id: String
    var status: String
    var amount: Int
    var amountReceived: Int?
    var currency: String
    var clientSecret: String?
    var metadata: [String: String]?
    var lastPaymentError: PaymentError?
    var cancellationReason: String?

    enum CodingKeys: String, CodingKey {
        case id, status, amount, currency, metadata
        case amountReceived = "amount_received"
        case clientSecret = "client_secret"
        case lastPaymentError = "last_payment_error"
        case cancellationReason = "cancellation_reason"
    }
}

/// Any Stripe object when only its id matters (a Refund `re_…`, a Transfer `tr_…`).
struct StripeObjectID: Decodable {
    var id: String
}
