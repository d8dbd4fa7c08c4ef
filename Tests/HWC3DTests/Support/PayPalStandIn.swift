import Crypto
import Foundation
import Testing
import Vapor

@testable import HWC3D

/// A local stand-in for the parts of PayPal's REST API the marketplace uses, on loopback, in PayPal's wire format:
/// the client-credentials token endpoint (HTTP Basic), Orders v2 (create, get, capture, with the buyer's approval
/// as a knob: `approve(order:)`), capture refunds, Payouts, and the webhook signature check. JSON in and out,
/// PayPal's error documents (`{name, message, debug_id, details: [{issue, description}]}`), 401 for a missing,
/// unknown or revoked token, and `PayPal-Request-Id` honoured: the same id replays the first answer, refusals
/// included (PayPal documents "the latest status of the previous request"; this takes the strict reading).
///
/// Webhook signatures: real PayPal signs `<transmission id>|<transmission time>|<webhook id>|<CRC32 of the body>`
/// with RSA under a certificate at `PAYPAL-CERT-URL`, and its verify-webhook-signature API checks that on
/// PayPal's side. The stand-in signs the same string with HMAC-SHA256 under `signingKey` instead (base64), and
/// its verify endpoint answers SUCCESS only for that signature over the event bytes it was sent, so tests can
/// make valid and invalid deliveries without a certificate.
final class PayPalStandIn: LoopbackStandIn, @unchecked Sendable {
    static let clientID = "AStandInClientIdHwc3d0123456789"
    static let clientSecret = "EStandInClientSecretHwc3d0123456789"
    static let webhookID = "8PT597110X687430LKGECATA"
    static let signingKey = "paypal-stand-in-webhook-signing-key"

    struct Recorded: Sendable {
        var method: String
        var path: String
        var requestID: String?
        /// The raw body, for JSON assertions.
        var body: Data
        var status: UInt = 0
        /// What the stand-in answered.
        var answer = Data()

        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }

        /// The first `details[].issue` of the error document answered, if it was one.
        var issue: String? {
            let document = (try? JSONSerialization.jsonObject(with: answer)) as? [String: Any]
            return ((document?["details"] as? [[String: Any]])?.first)?["issue"] as? String
        }
    }

    private struct Stored {
        var path: String
        var status: HTTPStatus
        var body: Data
    }

    private struct Order {
        var id: String
        var status: String
        var customID: String
        var description: String
        var currency: String
        var value: String
        var capture: [String: Any]?
        var declined = false
    }

    private let app: Application
    private(set) var baseURL = ""
    private let lock = NSLock()
    private var tokens: [String: Date] = [:]
    private var tokenRequestCount = 0
    private var lifetime = 32_400
    private var orders: [String: Order] = [:]
    private var captures: [String: (cents: Int, currency: String, refunded: Int)] = [:]
    private var batches: Set<String> = []
    private var staleReads: Set<String> = []
    private var byRequestID: [String: Stored] = [:]
    private var injected: [HTTPStatus] = []
    private var recorded: [Recorded] = []

    private init(app: Application) { self.app = app }

    static func start() async throws -> PayPalStandIn {
        let app = try await Application.make(.testing)
        let standIn = PayPalStandIn(app: app)
        standIn.routes()
        standIn.baseURL = try await LoopbackServer.start(app)
        return standIn
    }

    func stop() async { await LoopbackServer.stop(app) }

    var settings: Settings.Payments.PayPal {
        .init(clientID: Self.clientID, clientSecret: Self.clientSecret, webhookID: Self.webhookID, apiURL: baseURL)
    }

    func provider(clientSecret: String = PayPalStandIn.clientSecret) -> PayPalPaymentProvider {
        PayPalPaymentProvider(
            settings: .init(clientID: Self.clientID, clientSecret: clientSecret, webhookID: Self.webhookID, apiURL: baseURL),
            httpClient: HTTPClient.shared)
    }

    // MARK: knobs and inspection

    /// Every request that arrived, in order (token requests included).
    var requests: [Recorded] { lock.withLock { recorded } }
    /// Requests other than token requests.
    var apiRequests: [Recorded] { requests.filter { $0.path != "/v1/oauth2/token" } }
    var tokenRequests: Int { lock.withLock { tokenRequestCount } }
    var orderCount: Int { lock.withLock { orders.count } }

    /// The `expires_in` of tokens issued from now on (PayPal's is about 9 hours).
    func setTokenLifetime(_ seconds: Int) { lock.withLock { lifetime = seconds } }

    /// Invalidates every token issued so far, as a credential rotation would.
    func revokeTokens() { lock.withLock { tokens.removeAll() } }

    /// What the buyer does at PayPal: approves the order, so it can be captured.
    func approve(order id: String) {
        lock.withLock { if orders[id]?.status == "PAYER_ACTION_REQUIRED" { orders[id]?.status = "APPROVED" } }
    }

    /// Approves the order, but its capture will be declined by the buyer's funding source.
    func approveThenDecline(order id: String) {
        approve(order: id)
        lock.withLock { orders[id]?.declined = true }
    }

    /// The next read of the order answers it approved and not yet captured, as a read racing another
    /// instance's capture would.
    func serveStaleRead(order id: String) { lock.withLock { _ = staleReads.insert(id) } }

    func orderStatus(_ id: String) -> String? { lock.withLock { orders[id]?.status } }

    func failNext(_ status: HTTPStatus) { lock.withLock { injected.append(status) } }

    // MARK: webhooks

    /// What the stand-in accepts as `PAYPAL-TRANSMISSION-SIG`.
    static func transmissionSignature(transmissionID: String, time: String, webhookID: String, payload: Data) -> String {
        let message = "\(transmissionID)|\(time)|\(webhookID)|\(crc32(payload))"
        return Data(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(signingKey.utf8))))
            .base64EncodedString()
    }

    /// The `PAYPAL-*` headers of a delivery of `payload` (names lower-cased), signed for `webhookID`.
    static func deliveryHeaders(
        payload: Data, transmissionID: String = UUID().uuidString.lowercased(), time: Date = Date(),
        webhookID: String = PayPalStandIn.webhookID
    ) -> [String: String] {
        let formatter = ISO8601DateFormatter()
        let stamp = formatter.string(from: time)
        return [
            "paypal-auth-algo": "SHA256withRSA",
            "paypal-cert-url": "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-standin",
            "paypal-transmission-id": transmissionID,
            "paypal-transmission-time": stamp,
            "paypal-transmission-sig": transmissionSignature(transmissionID: transmissionID, time: stamp, webhookID: webhookID, payload: payload),
        ]
    }

    /// CRC-32 (IEEE 802.3, the zlib one), as PayPal's signed message carries it, in decimal.
    static func crc32(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    // MARK: endpoints

    private func routes() {
        app.on(.POST, "v1", "oauth2", "token", body: .collect(maxSize: 65_536)) { [self] req in token(req) }
        app.on(.POST, "v2", "checkout", "orders", body: .collect(maxSize: 65_536)) { [self] req in
            handle(req) { json in try createOrder(json) }
        }
        app.on(.GET, "v2", "checkout", "orders", ":id") { [self] req in
            handle(req) { _ in
                let id = req.parameters.get("id") ?? ""
                return try lock.withLock {
                    guard var order = orders[id] else { throw notFound(id) }
                    if staleReads.remove(id) != nil {
                        order.status = "APPROVED"
                        order.capture = nil
                    }
                    return (.ok, representation(order))
                }
            }
        }
        app.on(.POST, "v2", "checkout", "orders", ":id", "capture", body: .collect(maxSize: 65_536)) { [self] req in
            handle(req) { _ in try capture(req.parameters.get("id") ?? "") }
        }
        app.on(.POST, "v2", "payments", "captures", ":id", "refund", body: .collect(maxSize: 65_536)) { [self] req in
            handle(req) { json in try refund(req.parameters.get("id") ?? "", json) }
        }
        app.on(.POST, "v1", "payments", "payouts", body: .collect(maxSize: 65_536)) { [self] req in
            handle(req) { json in try payout(json) }
        }
        app.on(.POST, "v1", "notifications", "verify-webhook-signature", body: .collect(maxSize: 1_048_576)) { [self] req in
            handle(req) { json in try verify(req.body.data.map { Data($0.readableBytesView) } ?? Data(), json) }
        }
    }

    private struct Refusal: Error, @unchecked Sendable {
        var status: HTTPStatus
        var document: [String: Any]
    }

    private func refusal(_ status: HTTPStatus, _ name: String, _ message: String, issue: String? = nil, description: String? = nil) -> Refusal {
        var document: [String: Any] = ["name": name, "message": message, "debug_id": String(UUID().uuidString.prefix(13)).lowercased()]
        if let issue {
            document["details"] = [["issue": issue, "description": description ?? issue]]
            document["links"] = [["href": "https://developer.paypal.com/docs/api/orders/v2/#error-\(issue)", "rel": "information_link", "method": "GET"]]
        }
        return Refusal(status: status, document: document)
    }

    private func notFound(_ id: String) -> Refusal {
        refusal(.notFound, "RESOURCE_NOT_FOUND", "The specified resource does not exist.", issue: "INVALID_RESOURCE_ID",
                description: "Specified resource ID does not exist. Please check the resource ID and try again.")
    }

    private func unprocessable(_ issue: String, _ description: String) -> Refusal {
        refusal(.unprocessableEntity, "UNPROCESSABLE_ENTITY",
                "The requested action could not be performed, semantically incorrect, or failed business validation.",
                issue: issue, description: description)
    }

    private func token(_ req: Request) -> Response {
        let raw = req.body.data.map { Data($0.readableBytesView) } ?? Data()
        var entry = Recorded(method: "POST", path: req.url.path, requestID: nil, body: raw)
        let response: Response
        lock.withLock { tokenRequestCount += 1 }
        if let basic = req.headers.basicAuthorization, basic.username == Self.clientID, basic.password == Self.clientSecret,
            req.headers.contentType == .urlEncodedForm, String(decoding: raw, as: UTF8.self) == "grant_type=client_credentials"
        {
            let token = "A21AA" + StripeStandIn.randomID(40)
            let seconds = lock.withLock { () -> Int in
                tokens[token] = Date().addingTimeInterval(TimeInterval(lifetime))
                return lifetime
            }
            response = Self.json([
                "scope": "https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/payments/refund",
                "access_token": token, "token_type": "Bearer", "app_id": "APP-80W284485P519543T", "expires_in": seconds,
                "nonce": "2026-01-01T00:00:00Z" + StripeStandIn.randomID(10),
            ], status: .ok)
        } else {
            response = Self.json(["error": "invalid_client", "error_description": "Client Authentication failed"], status: .unauthorized)
        }
        entry.status = response.status.code
        entry.answer = response.body.buffer.map { Data($0.readableBytesView) } ?? Data()
        lock.withLock { recorded.append(entry) }
        return response
    }

    /// Token check, `PayPal-Request-Id` replay and error documents around one endpoint, with the request recorded.
    private func handle(_ req: Request, _ body: ([String: Any]) throws -> (HTTPStatus, [String: Any])) -> Response {
        let raw = req.body.data.map { Data($0.readableBytesView) } ?? Data()
        let requestID = req.headers.first(name: "PayPal-Request-Id")
        var entry = Recorded(method: req.method.rawValue, path: req.url.path, requestID: requestID, body: raw)
        let response = answer(req, raw: raw, requestID: requestID, body)
        entry.status = response.status.code
        entry.answer = response.body.buffer.map { Data($0.readableBytesView) } ?? Data()
        lock.withLock { recorded.append(entry) }
        return response
    }

    private func answer(
        _ req: Request, raw: Data, requestID: String?, _ body: ([String: Any]) throws -> (HTTPStatus, [String: Any])
    ) -> Response {
        if let status = lock.withLock({ injected.isEmpty ? nil : injected.removeFirst() }) {
            let name = status == .tooManyRequests ? "RATE_LIMIT_REACHED" : "INTERNAL_SERVER_ERROR"
            return Self.json(["name": name, "message": "An internal server error has occurred.", "debug_id": "standin"], status: status)
        }
        guard let bearer = req.headers.bearerAuthorization,
            lock.withLock({ tokens[bearer.token].map { $0 > Date() } ?? false })
        else {
            return Self.json(["error": "invalid_token", "error_description": "Token signature verification failed"], status: .unauthorized)
        }
        var json: [String: Any] = [:]
        if req.method == .POST, !raw.isEmpty {
            guard req.headers.contentType == .json, let object = (try? JSONSerialization.jsonObject(with: raw)) as? [String: Any] else {
                let refusal = refusal(.badRequest, "INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema.",
                                      issue: "MALFORMED_REQUEST_JSON", description: "The request JSON is not well formed.")
                return Self.json(refusal.document, status: refusal.status)
            }
            json = object
        }
        if let requestID, let stored = lock.withLock({ byRequestID[requestID] }), stored.path == req.url.path {
            return Self.response(stored.body, status: stored.status == .created ? .ok : stored.status)
        }
        let status: HTTPStatus
        let document: [String: Any]
        do {
            (status, document) = try body(json)
        } catch let refusal as Refusal {
            (status, document) = (refusal.status, refusal.document)
        } catch {
            (status, document) = (.internalServerError, ["name": "INTERNAL_SERVER_ERROR", "message": "\(error)"])
        }
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])) ?? Data()
        if let requestID, req.method == .POST, status.code < 500 {
            lock.withLock { byRequestID[requestID] = Stored(path: req.url.path, status: status, body: data) }
        }
        return Self.response(data, status: status)
    }

    private func newID() -> String {
        String((0..<17).map { _ in Array("ABCDEFGHJKLMNPRSTUVWXY0123456789").randomElement()! })
    }

    private func createOrder(_ json: [String: Any]) throws -> (HTTPStatus, [String: Any]) {
        guard json["intent"] as? String == "CAPTURE" else {
            throw refusal(.badRequest, "INVALID_REQUEST", "Request is not well-formed.", issue: "INVALID_PARAMETER_VALUE", description: "intent")
        }
        guard let unit = (json["purchase_units"] as? [[String: Any]])?.first, let amount = unit["amount"] as? [String: Any],
            let currency = amount["currency_code"] as? String, let value = amount["value"] as? String,
            (DecimalAmount.cents(value) ?? 0) > 0
        else {
            throw refusal(.badRequest, "INVALID_REQUEST", "Request is not well-formed.", issue: "MISSING_REQUIRED_PARAMETER",
                          description: "purchase_units[0].amount")
        }
        guard let context = ((json["payment_source"] as? [String: Any])?["paypal"] as? [String: Any])?["experience_context"] as? [String: Any],
            context["return_url"] is String, context["cancel_url"] is String
        else {
            throw refusal(.badRequest, "INVALID_REQUEST", "Request is not well-formed.", issue: "MISSING_REQUIRED_PARAMETER",
                          description: "payment_source.paypal.experience_context.return_url")
        }
        let order = Order(
            id: newID(), status: "PAYER_ACTION_REQUIRED", customID: unit["custom_id"] as? String ?? "",
            description: unit["description"] as? String ?? "", currency: currency, value: value)
        lock.withLock { orders[order.id] = order }
        return (.created, representation(order))
    }

    private func capture(_ id: String) throws -> (HTTPStatus, [String: Any]) {
        try lock.withLock {
            guard var order = orders[id] else { throw notFound(id) }
            switch order.status {
            case "COMPLETED":
                throw unprocessable("ORDER_ALREADY_CAPTURED", "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.")
            case "APPROVED":
                break
            default:
                throw unprocessable("ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in the request.")
            }
            let captureID = newID()
            // A declined capture still completes the order; the capture's own status says what happened.
            order.status = "COMPLETED"
            order.capture = [
                "id": captureID, "status": order.declined ? "DECLINED" : "COMPLETED",
                "amount": ["currency_code": order.currency, "value": order.value], "final_capture": true,
                "custom_id": order.customID,
                "seller_protection": ["status": "ELIGIBLE", "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"]],
                "links": [
                    ["href": "\(baseURL)/v2/payments/captures/\(captureID)", "rel": "self", "method": "GET"],
                    ["href": "\(baseURL)/v2/payments/captures/\(captureID)/refund", "rel": "refund", "method": "POST"],
                    ["href": "\(baseURL)/v2/checkout/orders/\(id)", "rel": "up", "method": "GET"],
                ],
            ]
            orders[id] = order
            if !order.declined { captures[captureID] = (DecimalAmount.cents(order.value) ?? 0, order.currency, 0) }
            return (.created, representation(order))
        }
    }

    private func refund(_ captureID: String, _ json: [String: Any]) throws -> (HTTPStatus, [String: Any]) {
        try lock.withLock {
            guard let capture = captures[captureID] else { throw notFound(captureID) }
            let amount = json["amount"] as? [String: Any]
            let cents = (amount?["value"] as? String).flatMap(DecimalAmount.cents) ?? (capture.cents - capture.refunded)
            guard amount == nil || amount?["currency_code"] as? String == capture.currency else {
                throw unprocessable("CURRENCY_MISMATCH", "Currency of capture must be the same as currency of refund.")
            }
            guard cents > 0, cents <= capture.cents - capture.refunded else {
                throw unprocessable("REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal to the capture amount that has not yet been refunded.")
            }
            captures[captureID]?.refunded += cents
            let refundID = newID()
            return (.created, [
                "id": refundID, "status": "COMPLETED",
                "links": [
                    ["href": "\(baseURL)/v2/payments/refunds/\(refundID)", "rel": "self", "method": "GET"],
                    ["href": "\(baseURL)/v2/payments/captures/\(captureID)", "rel": "up", "method": "GET"],
                ],
            ])
        }
    }

    private func payout(_ json: [String: Any]) throws -> (HTTPStatus, [String: Any]) {
        guard let header = json["sender_batch_header"] as? [String: Any], let batchID = header["sender_batch_id"] as? String,
            let item = (json["items"] as? [[String: Any]])?.first, item["recipient_type"] as? String == "EMAIL",
            let receiver = item["receiver"] as? String, receiver.contains("@"),
            let amount = item["amount"] as? [String: Any], let value = amount["value"] as? String, DecimalAmount.cents(value) != nil,
            amount["currency"] is String
        else {
            throw refusal(.badRequest, "VALIDATION_ERROR", "Invalid request - see details", issue: "REQUIRED_FIELD_MISSING", description: "payout")
        }
        return try lock.withLock {
            guard !batches.contains(batchID) else {
                throw refusal(.badRequest, "USER_BUSINESS_ERROR", "User business error.", issue: "Batch with given sender_batch_id already exists",
                              description: "SENDER_BATCH_ID")
            }
            batches.insert(batchID)
            let payoutBatchID = String(newID().prefix(13))
            return (.created, [
                "batch_header": [
                    "payout_batch_id": payoutBatchID, "batch_status": "PENDING", "sender_batch_header": header,
                ],
                "links": [["href": "\(baseURL)/v1/payments/payouts/\(payoutBatchID)", "rel": "self", "method": "GET"]],
            ])
        }
    }

    private func verify(_ raw: Data, _ json: [String: Any]) throws -> (HTTPStatus, [String: Any]) {
        let names = ["auth_algo", "cert_url", "transmission_id", "transmission_sig", "transmission_time", "webhook_id"]
        var fields: [String: String] = [:]
        for name in names {
            guard let value = json[name] as? String, !value.isEmpty else {
                throw refusal(.badRequest, "VALIDATION_ERROR", "Invalid request - see details", issue: "MISSING_REQUIRED_PARAMETER", description: name)
            }
            fields[name] = value
        }
        guard json["webhook_event"] is [String: Any], let event = Self.rawMember("webhook_event", of: raw) else {
            throw refusal(.badRequest, "VALIDATION_ERROR", "Invalid request - see details", issue: "MISSING_REQUIRED_PARAMETER", description: "webhook_event")
        }
        let expected = Self.transmissionSignature(
            transmissionID: fields["transmission_id"]!, time: fields["transmission_time"]!, webhookID: fields["webhook_id"]!, payload: event)
        let valid = fields["webhook_id"] == Self.webhookID && fields["transmission_sig"] == expected
        return (.ok, ["verification_status": valid ? "SUCCESS" : "FAILURE"])
    }

    /// The exact bytes of the value of top-level member `name` in a JSON object (an object value), found by
    /// scanning, so the signature is checked over what the client sent rather than a re-encoding of it.
    static func rawMember(_ name: String, of document: Data) -> Data? {
        let bytes = Array(document)
        let key = Array("\"\(name)\"".utf8)
        var depth = 0, index = 0, inString = false
        while index < bytes.count {
            let byte = bytes[index]
            if inString {
                if byte == UInt8(ascii: "\\") { index += 2; continue }
                if byte == UInt8(ascii: "\"") { inString = false }
                index += 1
                continue
            }
            if depth == 1, byte == UInt8(ascii: "\""), bytes[index...].starts(with: key) {
                var cursor = index + key.count
                while cursor < bytes.count, bytes[cursor] == UInt8(ascii: " ") || bytes[cursor] == UInt8(ascii: ":") { cursor += 1 }
                guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "{") else { return nil }
                var level = 0, end = cursor, quoted = false
                while end < bytes.count {
                    let c = bytes[end]
                    if quoted {
                        if c == UInt8(ascii: "\\") { end += 2; continue }
                        if c == UInt8(ascii: "\"") { quoted = false }
                    } else if c == UInt8(ascii: "\"") {
                        quoted = true
                    } else if c == UInt8(ascii: "{") {
                        level += 1
                    } else if c == UInt8(ascii: "}") {
                        level -= 1
                        if level == 0 { return Data(bytes[cursor...end]) }
                    }
                    end += 1
                }
                return nil
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
            index += 1
        }
        return nil
    }

    /// An order as `GET /v2/checkout/orders/{id}` and a `return=representation` answer show it.
    private func representation(_ order: Order) -> [String: Any] {
        var unit: [String: Any] = [
            "reference_id": "default", "custom_id": order.customID, "description": order.description,
            "amount": ["currency_code": order.currency, "value": order.value],
        ]
        if let capture = order.capture { unit["payments"] = ["captures": [capture]] }
        var links: [[String: Any]] = [["href": "\(baseURL)/v2/checkout/orders/\(order.id)", "rel": "self", "method": "GET"]]
        if order.status == "PAYER_ACTION_REQUIRED" {
            links.append(["href": "https://www.sandbox.paypal.com/checkoutnow?token=\(order.id)", "rel": "payer-action", "method": "GET"])
        }
        return [
            "id": order.id, "intent": "CAPTURE", "status": order.status, "purchase_units": [unit], "links": links,
            "payment_source": ["paypal": [:] as [String: Any]],
        ]
    }

    private static func json(_ object: [String: Any], status: HTTPStatus) -> Response {
        response((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), status: status)
    }

    private static func response(_ data: Data, status: HTTPStatus) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.add(name: "Paypal-Debug-Id", value: String(UUID().uuidString.prefix(13)).lowercased())
        return Response(status: status, headers: headers, body: .init(data: data))
    }
}
