import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// PayPal's Orders v2, Payments v2 (refunds) and Payouts v1 APIs over AsyncHTTPClient. Requests carry an OAuth2
/// access token from the client-credentials grant, cached until shortly before it expires and fetched again once
/// when PayPal answers 401; every POST carries `PayPal-Request-Id`, PayPal's idempotency key. Nothing here logs,
/// and neither the client secret nor a token appears in an error.
struct PayPalPaymentProvider: PaymentProvider {
    let clientID: String
    let clientSecret: String
    /// The id of the webhook subscription, which `PayPalWebhook` sends with every verification.
    let webhookID: String
    /// `https://api-m.sandbox.paypal.com`, `https://api-m.paypal.com`, or a stand-in; no trailing slash.
    let apiURL: String
    let httpClient: HTTPClient
    let tokens = PayPalTokenCache()
    /// For each request, connecting included: AsyncHTTPClient keeps retrying a refused connection until then.
    var timeout: TimeAmount = .seconds(20)
    /// A token is used until this long before PayPal says it expires.
    static let tokenRefreshMargin: TimeInterval = 60

    var name: PaymentProviderName { .paypal }

    init(settings: Settings.Payments.PayPal, httpClient: HTTPClient) {
        self.clientID = settings.clientID
        self.clientSecret = settings.clientSecret
        self.webhookID = settings.webhookID
        self.apiURL = settings.apiURL
        self.httpClient = httpClient
    }

    // MARK: PaymentProvider

    /// Creates an order the buyer approves at PayPal (`approvalURL`, the `payer-action` link); the buyer comes
    /// back to `returnURL` and `capture` takes the money.
    func createPayment(_ request: PaymentRequest) async throws -> CreatedPayment {
        let body: [String: Any] = [
            "intent": "CAPTURE",
            "purchase_units": [[
                "custom_id": request.transactionID.uuidString.lowercased(),
                // PayPal allows 127 characters here.
                "description": String(request.description.prefix(127)),
                "amount": ["currency_code": request.currency.uppercased(), "value": DecimalAmount.string(cents: request.amountCents)],
            ]],
            "payment_source": [
                "paypal": [
                    "experience_context": [
                        "return_url": request.returnURL, "cancel_url": request.cancelURL, "user_action": "PAY_NOW",
                        "shipping_preference": "NO_SHIPPING",
                    ],
                ],
            ],
        ]
        let response = try await send(
            .POST, "/v2/checkout/orders", json: body, requestID: "checkout-\(request.transactionID.uuidString.lowercased())")
        guard (200..<300).contains(response.status) else { throw Self.error(response) }
        let order = try Self.decode(PayPalOrder.self, from: response, what: "order")
        let approval = order.links?.first(where: { $0.rel == "payer-action" }) ?? order.links?.first(where: { $0.rel == "approve" })
        return CreatedPayment(reference: order.id, clientSecret: nil, approvalURL: approval?.href)
    }

    /// Captures the order once the buyer has approved it. The order is read first and the capture sent only when it
    /// is `APPROVED`: the caller uses one idempotency key per transaction, and PayPal answers a reused
    /// `PayPal-Request-Id` with "the latest status of the previous request", so a capture sent before approval
    /// could pin that key to ORDER_NOT_APPROVED. A capture repeated after a crash or timeout reads the completed
    /// order and answers its capture; one racing another instance's capture meets ORDER_ALREADY_CAPTURED and
    /// reads the order again.
    func capture(_ payment: PaymentToCapture) async throws -> PaymentOutcome {
        let path = "/v2/checkout/orders/\(try Self.pathComponent(payment.reference))"
        let order = try await readOrder(path)
        guard order.status == "APPROVED" else { return try Self.outcome(of: order) }

        let response = try await send(.POST, path + "/capture", json: nil, requestID: payment.idempotencyKey)
        if (200..<300).contains(response.status) {
            return try Self.outcome(of: Self.decode(PayPalOrder.self, from: response, what: "order"))
        }
        let failure = Self.errorBody(response)
        guard response.status == 422, let issue = failure?.details?.first?.issue else { throw Self.error(response) }
        switch issue {
        case "ORDER_NOT_APPROVED", "PAYER_ACTION_REQUIRED":
            return .pending
        case "ORDER_ALREADY_CAPTURED":
            return try Self.outcome(of: await readOrder(path))
        case "INSTRUMENT_DECLINED", "PAYMENT_DENIED", "TRANSACTION_REFUSED":
            return .failed(reason: failure?.details?.first?.description ?? issue)
        default:
            throw Self.error(response)
        }
    }

    private func readOrder(_ path: String) async throws -> PayPalOrder {
        let response = try await send(.GET, path, json: nil, requestID: nil)
        guard (200..<300).contains(response.status) else { throw Self.error(response) }
        return try Self.decode(PayPalOrder.self, from: response, what: "order")
    }

    /// Nothing to do: an order nobody approves expires at PayPal on its own.
    func cancel(reference: String) async throws {}

    func refund(_ request: RefundRequestToProvider) async throws -> ProviderRefund {
        var body: [String: Any] = [
            "amount": ["value": DecimalAmount.string(cents: request.amountCents), "currency_code": request.currency.uppercased()],
        ]
        if !request.note.isEmpty { body["note_to_payer"] = String(request.note.prefix(255)) }
        let response = try await send(
            .POST, "/v2/payments/captures/\(try Self.pathComponent(request.captureReference))/refund", json: body,
            requestID: request.idempotencyKey)
        guard (200..<300).contains(response.status) else { throw Self.error(response) }
        return ProviderRefund(reference: try Self.decode(PayPalResourceID.self, from: response, what: "refund").id)
    }

    /// A one-item Payouts batch to the seller's PayPal email. The idempotency key doubles as `sender_batch_id`,
    /// which PayPal also refuses to accept twice within 30 days.
    func payout(_ request: PayoutRequestToProvider) async throws -> ProviderPayout {
        guard case .paypalEmail(let email) = request.destination else {
            throw PaymentProviderError(provider: .paypal, message: "a PayPal payout needs a PayPal email address", retryable: false)
        }
        let body: [String: Any] = [
            "sender_batch_header": ["sender_batch_id": request.idempotencyKey, "email_subject": "You have a payout"],
            "items": [[
                "recipient_type": "EMAIL", "receiver": email, "note": request.note, "sender_item_id": request.idempotencyKey,
                "amount": ["value": DecimalAmount.string(cents: request.amountCents), "currency": request.currency.uppercased()],
            ]],
        ]
        let response = try await send(.POST, "/v1/payments/payouts", json: body, requestID: request.idempotencyKey)
        guard (200..<300).contains(response.status) else { throw Self.error(response) }
        struct Batch: Decodable {
            struct Header: Decodable {
                var payoutBatchID: String
                enum CodingKeys: String, CodingKey { case payoutBatchID = "payout_batch_id" }
            }
            var batchHeader: Header
            enum CodingKeys: String, CodingKey { case batchHeader = "batch_header" }
        }
        return ProviderPayout(reference: try Self.decode(Batch.self, from: response, what: "payout batch").batchHeader.payoutBatchID)
    }

    /// The verifier for this account's webhook deliveries.
    func webhook(toleranceSeconds: Int) -> PayPalWebhook {
        PayPalWebhook(provider: self, toleranceSeconds: toleranceSeconds)
    }

    /// `PayPalWebhook.verify`, for callers that hold the provider.
    func verifyWebhook(headers: [String: String], payload: Data, webhookID: String, tolerance: Int, now: Date = Date()) async throws {
        try await webhook(toleranceSeconds: tolerance).verify(headers: headers, payload: payload, webhookID: webhookID, now: now)
    }

    // MARK: orders

    /// How an order stands, from its first purchase unit's captures.
    static func outcome(of order: PayPalOrder) throws -> PaymentOutcome {
        let captures = order.purchaseUnits?.first?.payments?.captures ?? []
        if let capture = captures.first(where: { $0.status == "COMPLETED" }) {
            guard let amount = capture.amount, let cents = DecimalAmount.cents(amount.value) else {
                throw PaymentProviderError(provider: .paypal, message: "capture \(capture.id) has no readable amount", retryable: false)
            }
            return .succeeded(amountCents: cents, currency: amount.currencyCode.uppercased(), captureReference: capture.id)
        }
        if let capture = captures.first(where: { $0.status == "DECLINED" || $0.status == "FAILED" }) {
            return .failed(reason: "the capture was \(capture.status.lowercased())")
        }
        if order.status == "VOIDED" { return .failed(reason: "the order was voided") }
        // CREATED, APPROVED, PAYER_ACTION_REQUIRED, or a capture still PENDING (e-checks, reviews): its
        // PAYMENT.CAPTURE.COMPLETED webhook settles it later.
        return .pending
    }

    // MARK: transport

    /// Sends a request with the current access token; on 401 the token is dropped and the request sent once more
    /// with a new one (a token revoked or expired early).
    func send(_ method: HTTPMethod, _ path: String, json: [String: Any]?, requestID: String?) async throws -> PaymentHTTP.Response {
        let body = try json.map { try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys]) }
        return try await send(method, path, body: body, requestID: requestID)
    }

    func send(_ method: HTTPMethod, _ path: String, body: Data?, requestID: String?) async throws -> PaymentHTTP.Response {
        var attempt = 0
        while true {
            attempt += 1
            let token = try await tokens.token { try await fetchToken() }
            var request = HTTPClientRequest(url: apiURL + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token.value)")
            request.headers.add(name: "Accept", value: "application/json")
            if method == .POST {
                request.headers.add(name: "Content-Type", value: "application/json")
                // Prefer the whole resource, so a capture answers with its captures.
                request.headers.add(name: "Prefer", value: "return=representation")
                request.body = .bytes(ByteBuffer(bytes: body ?? Data()))
            }
            if let requestID { request.headers.add(name: "PayPal-Request-Id", value: requestID) }
            let response = try await PaymentHTTP.send(request, via: httpClient, provider: .paypal, timeout: timeout)
            if response.status == 401, attempt == 1 {
                await tokens.discard(token)
                continue
            }
            return response
        }
    }

    /// The client-credentials grant: `POST /v1/oauth2/token` with HTTP Basic auth.
    private func fetchToken() async throws -> PayPalTokenCache.Token {
        var request = HTTPClientRequest(url: apiURL + "/v1/oauth2/token")
        request.method = .POST
        let basic = Data("\(clientID):\(clientSecret)".utf8).base64EncodedString()
        request.headers.add(name: "Authorization", value: "Basic \(basic)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: "grant_type=client_credentials"))
        let issuedAt = Date()
        let response = try await PaymentHTTP.send(request, via: httpClient, provider: .paypal, timeout: timeout)
        guard response.status == 200 else { throw Self.error(response, during: "token request") }
        struct Grant: Decodable {
            var accessToken: String
            var expiresIn: Int
            enum CodingKeys: String, CodingKey {
                case accessToken = "access_token"
                case expiresIn = "expires_in"
            }
        }
        let grant = try Self.decode(Grant.self, from: response, what: "token")
        let lifetime = max(0, TimeInterval(grant.expiresIn) - Self.tokenRefreshMargin)
        return PayPalTokenCache.Token(value: grant.accessToken, validUntil: issuedAt.addingTimeInterval(lifetime))
    }

    // MARK: errors

    struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var issue: String?
            var description: String?
        }
        var name: String?
        var message: String?
        var details: [Detail]?
        /// The OAuth endpoints answer `{"error", "error_description"}` instead.
        var error: String?
        var errorDescription: String?

        enum CodingKeys: String, CodingKey {
            case name, message, details, error
            case errorDescription = "error_description"
        }
    }

    static func errorBody(_ response: PaymentHTTP.Response) -> ErrorBody? {
        try? JSONDecoder().decode(ErrorBody.self, from: response.body)
    }

    /// PayPal's error document as a `PaymentProviderError`: retryable for 429 and 5xx, a refusal otherwise.
    static func error(_ response: PaymentHTTP.Response, during what: String? = nil) -> PaymentProviderError {
        let body = errorBody(response)
        var message = "HTTP \(response.status)"
        if let what { message += " to the \(what)" }
        if let name = body?.name ?? body?.error { message += " \(name)" }
        if let issue = body?.details?.first?.issue { message += " (\(issue))" }
        if let text = body?.details?.first?.description ?? body?.message ?? body?.errorDescription { message += ": \(text)" }
        return PaymentProviderError(
            provider: .paypal, message: message, retryable: response.status >= 500 || response.status == 429)
    }

    static func decode<T: Decodable>(_ type: T.Type, from response: PaymentHTTP.Response, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: response.body)
        } catch {
            throw PaymentProviderError(provider: .paypal, message: "unreadable \(what) in PayPal's answer", retryable: false)
        }
    }

    /// PayPal ids are upper-case letters and digits; anything else would change the request path.
    static func pathComponent(_ id: String) throws -> String {
        guard !id.isEmpty, id.utf8.count <= 64, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw PaymentProviderError(provider: .paypal, message: "\(id.debugDescription) is not a PayPal id", retryable: false)
        }
        return id
    }
}

/// One access token at a time, shared by concurrent requests: while one fetch is under way, the others wait for
/// it instead of starting their own.
actor PayPalTokenCache {
    struct Token: Sendable {
        var value: String
        var validUntil: Date
    }

    private var current: Token?
    private var fetching: Task<Token, any Error>?

    func token(fetch: @escaping @Sendable () async throws -> Token) async throws -> Token {
        if let current, current.validUntil > Date() { return current }
        if let fetching { return try await fetching.value }
        let task = Task { try await fetch() }
        fetching = task
        defer { fetching = nil }
        let token = try await task.value
        current = token
        return token
    }

    /// Forgets `token` after PayPal refused it, unless another request already replaced it.
    func discard(_ token: Token) {
        if current?.value == token.value { current = nil }
    }
}

/// The fields of an order this code reads.
struct PayPalOrder: Decodable {
    struct Link: Decodable {
        var href: String
        var rel: String
    }

    struct Money: Decodable {
        var currencyCode: String
        var value: String
        enum CodingKeys: String, CodingKey {
            case value
            case currencyCode = "currency_code"
        }
    }

    struct Capture: Decodable {
        var id: String
        var status: String
        var amount: Money?
    }

    struct PurchaseUnit: Decodable {
        struct Payments: Decodable { var captures: [Capture]? }
        var customID: String?
        var payments: Payments?
        enum CodingKeys: String, CodingKey {
            case payments
            case customID = "custom_id"
        }
    }

    var id: String
    var status: String
    var purchaseUnits: [PurchaseUnit]?
    var links: [Link]?

    enum CodingKeys: String, CodingKey {
        case id, status, links
        case purchaseUnits = "purchase_units"
    }
}

/// Any PayPal resource when only its id matters (a refund).
struct PayPalResourceID: Decodable {
    var id: String
}
