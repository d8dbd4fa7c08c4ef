import Crypto
import Foundation
import Testing
import Vapor

@testable import HWC3D

/// A local stand-in for the parts of Stripe's API the marketplace uses, on loopback, speaking Stripe's wire format:
/// form-encoded requests (unknown parameters refused, as Stripe does), JSON answers, Stripe's error objects, 401
/// without the right `Bearer` key, and `Idempotency-Key` honoured (the same key and parameters replay the first
/// answer with `Idempotent-Replayed: true`; the same key with other parameters is a 400 `idempotency_error`).
/// PaymentIntents, refunds and transfers live in memory. Knobs: `succeed(paymentIntent:)` and
/// `fail(paymentIntent:)` do what a buyer's confirmation in Stripe.js would; `failNext(_:)` makes the next call
/// answer an error; `requests` lists what arrived.
final class StripeStandIn: LoopbackStandIn, @unchecked Sendable {
    static let secretKey = "sk_test_standin51Hwc3dAbCdEfGhIjKlMnOpQr"
    static let webhookSecret = "whsec_standinHwc3dWebhookSecret0123456789"

    struct Recorded: Sendable {
        var method: String
        var path: String
        /// Form fields by their wire names (`metadata[transaction_id]`), decoded.
        var form: [String: String]
        var idempotencyKey: String?
        var stripeVersion: String?
        var contentType: String?
        /// The status the stand-in answered.
        var status: UInt = 0
    }

    private struct Stored {
        var fingerprint: String
        var status: HTTPStatus
        var body: Data
    }

    private let app: Application
    private(set) var baseURL = ""
    private let lock = NSLock()
    private var intents: [String: [String: Any]] = [:]
    private var refunded: [String: Int] = [:]
    private var idempotent: [String: Stored] = [:]
    private var injected: [HTTPStatus] = []
    private var recorded: [Recorded] = []
    private var counters: [String: Int] = [:]

    private init(app: Application) { self.app = app }

    static func start() async throws -> StripeStandIn {
        let app = try await Application.make(.testing)
        let standIn = StripeStandIn(app: app)
        standIn.routes()
        standIn.baseURL = try await LoopbackServer.start(app)
        return standIn
    }

    func stop() async { await LoopbackServer.stop(app) }

    var settings: Settings.Payments.Stripe {
        .init(secretKey: Self.secretKey, webhookSecret: Self.webhookSecret, apiURL: baseURL)
    }

    func provider(secretKey: String = StripeStandIn.secretKey) -> StripePaymentProvider {
        StripePaymentProvider(
            settings: .init(secretKey: secretKey, webhookSecret: Self.webhookSecret, apiURL: baseURL), httpClient: HTTPClient.shared)
    }

    // MARK: knobs and inspection

    /// Every request that arrived, in order.
    var requests: [Recorded] { lock.withLock { recorded } }

    /// How many PaymentIntents exist.
    var paymentIntentCount: Int { lock.withLock { intents.count } }

    /// The PaymentIntent as Stripe would return it (also the `data.object` of its events).
    func paymentIntent(_ id: String) -> [String: Any]? { lock.withLock { intents[id] } }

    /// What a successful confirmation does: the money is taken.
    func succeed(paymentIntent id: String) {
        lock.withLock {
            guard var intent = intents[id] else { return }
            intent["status"] = "succeeded"
            intent["amount_received"] = intent["amount"]
            intent["last_payment_error"] = NSNull()
            intent["latest_charge"] = "ch_" + (id.dropFirst(3))
            intents[id] = intent
        }
    }

    /// What a declined confirmation does: the intent goes back to `requires_payment_method` with the error.
    func fail(paymentIntent id: String, code: String = "card_declined", message: String = "Your card was declined.") {
        lock.withLock {
            guard var intent = intents[id] else { return }
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = [
                "type": "card_error", "code": code, "decline_code": "generic_decline", "message": message,
            ]
            intents[id] = intent
        }
    }

    /// The next request (whatever it is) answers `status` with Stripe's error object for it.
    func failNext(_ status: HTTPStatus) {
        lock.withLock { injected.append(status) }
    }

    // MARK: webhooks

    /// The `Stripe-Signature` header Stripe would send with `payload`: HMAC-SHA256 of `"<t>.<body>"` keyed with
    /// the whole secret string, hex, under `scheme` (`v1`; `v0` for the legacy test-mode scheme).
    static func signatureHeader(payload: Data, secret: String, timestamp: Int, scheme: String = "v1") -> String {
        "t=\(timestamp),\(scheme)=\(signature(payload: payload, secret: secret, timestamp: timestamp))"
    }

    static func signature(payload: Data, secret: String, timestamp: Int) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: Data("\(timestamp).".utf8) + payload, using: SymmetricKey(data: Data(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    /// An event in Stripe's documented envelope around `object`, and the header that signs it.
    static func signedEvent(
        id: String = "evt_" + randomID(), type: String, object: [String: Any], secret: String = webhookSecret,
        timestamp: Int = Int(Date().timeIntervalSince1970)
    ) -> (payload: Data, header: String) {
        let event: [String: Any] = [
            "id": id, "object": "event", "api_version": StripePaymentProvider.apiVersion, "created": timestamp,
            "data": ["object": object], "livemode": false, "pending_webhooks": 1,
            "request": ["id": NSNull(), "idempotency_key": NSNull()], "type": type,
        ]
        let payload = try! JSONSerialization.data(withJSONObject: event, options: [.sortedKeys])
        return (payload, signatureHeader(payload: payload, secret: secret, timestamp: timestamp))
    }

    static func randomID(_ length: Int = 24) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<length).map { _ in alphabet.randomElement()! })
    }

    // MARK: endpoints

    private func routes() {
        app.on(.POST, "v1", "payment_intents", body: .collect(maxSize: 65_536)) { [self] req in
            handle(req, allowed: ["amount", "currency", "description", "receipt_email", "automatic_payment_methods[enabled]"],
                   metadata: true) { form in try createIntent(form) }
        }
        app.on(.GET, "v1", "payment_intents", ":id") { [self] req in
            handle(req, allowed: [], metadata: false) { _ in
                let id = req.parameters.get("id") ?? ""
                guard let intent = lock.withLock({ intents[id] }) else { throw missing("payment_intent", id, param: "intent") }
                return (.ok, intent)
            }
        }
        app.on(.POST, "v1", "payment_intents", ":id", "cancel", body: .collect(maxSize: 65_536)) { [self] req in
            handle(req, allowed: ["cancellation_reason"], metadata: false) { form in
                try cancelIntent(req.parameters.get("id") ?? "", reason: form["cancellation_reason"])
            }
        }
        app.on(.POST, "v1", "refunds", body: .collect(maxSize: 65_536)) { [self] req in
            handle(req, allowed: ["payment_intent", "amount", "reason"], metadata: true) { form in try createRefund(form) }
        }
        app.on(.POST, "v1", "transfers", body: .collect(maxSize: 65_536)) { [self] req in
            handle(req, allowed: ["amount", "currency", "destination", "description", "transfer_group"], metadata: true) { form in
                try createTransfer(form)
            }
        }
    }

    /// A refusal in Stripe's error shape.
    private struct Refusal: Error, @unchecked Sendable {
        var status: HTTPStatus
        var error: [String: Any]
    }

    private func invalid(_ message: String, code: String? = nil, param: String? = nil, status: HTTPStatus = .badRequest) -> Refusal {
        var error: [String: Any] = ["type": "invalid_request_error", "message": message]
        if let code { error["code"] = code }
        if let param { error["param"] = param }
        return Refusal(status: status, error: error)
    }

    private func missing(_ kind: String, _ id: String, param: String) -> Refusal {
        invalid("No such \(kind): '\(id)'", code: "resource_missing", param: param, status: .notFound)
    }

    /// Authentication, parameter checks and idempotency around one endpoint, with the request recorded.
    private func handle(
        _ req: Request, allowed: Set<String>, metadata: Bool, _ body: ([String: String]) throws -> (HTTPStatus, [String: Any])
    ) -> Response {
        let raw = req.body.string ?? ""
        let form = Self.decodeForm(raw)
        let key = req.headers.first(name: "Idempotency-Key")
        var entry = Recorded(
            method: req.method.rawValue, path: req.url.path, form: form, idempotencyKey: key,
            stripeVersion: req.headers.first(name: "Stripe-Version"), contentType: req.headers.first(name: .contentType))
        let response = answer(req, raw: raw, form: form, key: key, allowed: allowed, metadata: metadata, body)
        entry.status = response.status.code
        lock.withLock { recorded.append(entry) }
        return response
    }

    private func answer(
        _ req: Request, raw: String, form: [String: String], key: String?, allowed: Set<String>, metadata: Bool,
        _ body: ([String: String]) throws -> (HTTPStatus, [String: Any])
    ) -> Response {
        if let status = lock.withLock({ injected.isEmpty ? nil : injected.removeFirst() }) {
            let error: [String: Any] = status == .tooManyRequests
                ? ["type": "invalid_request_error", "code": "rate_limit", "message": "Too many requests hit the API too quickly."]
                : ["type": "api_error", "message": "Something went wrong on Stripe's end."]
            return Self.json(["error": error], status: status)
        }
        guard let bearer = req.headers.bearerAuthorization else {
            return Self.json(["error": ["type": "invalid_request_error",
                "message": "You did not provide an API key. You need to provide your API key in the Authorization header."]],
                status: .unauthorized)
        }
        guard bearer.token == Self.secretKey else {
            // Stripe shows only the key's last four characters.
            return Self.json(["error": ["type": "invalid_request_error",
                "message": "Invalid API Key provided: \(bearer.token.prefix(8))****\(bearer.token.suffix(4))"]],
                status: .unauthorized)
        }
        if req.method == .POST {
            guard req.headers.contentType == .urlEncodedForm else {
                return Self.json(["error": invalid("Stripe's API takes application/x-www-form-urlencoded bodies").error], status: .badRequest)
            }
            for name in form.keys where !allowed.contains(name) && !(metadata && name.hasPrefix("metadata[")) {
                return Self.json(["error": invalid("Received unknown parameter: \(name)", code: "parameter_unknown", param: name).error],
                                 status: .badRequest)
            }
        }
        let fingerprint = "\(req.method.rawValue) \(req.url.path)?\(raw)"
        if let key, let stored = lock.withLock({ idempotent[key] }) {
            guard stored.fingerprint == fingerprint else {
                return Self.json(["error": ["type": "idempotency_error",
                    "message": "Keys for idempotent requests can only be used with the same parameters they were first used with."]],
                    status: .badRequest)
            }
            let response = Self.response(stored.body, status: stored.status)
            response.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true")
            return response
        }
        let status: HTTPStatus
        let object: [String: Any]
        do {
            (status, object) = try body(form)
        } catch let refusal as Refusal {
            (status, object) = (refusal.status, ["error": refusal.error])
        } catch {
            (status, object) = (.internalServerError, ["error": ["type": "api_error", "message": "\(error)"]])
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        if let key, req.method == .POST { lock.withLock { idempotent[key] = Stored(fingerprint: fingerprint, status: status, body: data) } }
        return Self.response(data, status: status)
    }

    private func nextID(_ prefix: String) -> String {
        let count = lock.withLock { () -> Int in
            counters[prefix, default: 0] += 1
            return counters[prefix]!
        }
        return "\(prefix)_\(String(format: "%04d", count))\(Self.randomID(20))"
    }

    private func createIntent(_ form: [String: String]) throws -> (HTTPStatus, [String: Any]) {
        guard let amount = form["amount"].flatMap(Int.init), amount > 0 else {
            throw invalid("Missing required param: amount.", code: "parameter_missing", param: "amount")
        }
        guard let currency = form["currency"], currency.count == 3, currency == currency.lowercased() else {
            throw invalid("Invalid currency: \(form["currency"] ?? "").", code: "parameter_invalid_string", param: "currency")
        }
        let id = nextID("pi")
        let intent: [String: Any] = [
            "id": id, "object": "payment_intent", "amount": amount, "amount_received": 0, "currency": currency,
            "status": "requires_payment_method", "client_secret": "\(id)_secret_\(Self.randomID(25))",
            "description": form["description"].map { $0 as Any } ?? NSNull(),
            "receipt_email": form["receipt_email"].map { $0 as Any } ?? NSNull(),
            "metadata": Self.metadata(form), "capture_method": "automatic",
            "automatic_payment_methods": ["enabled": form["automatic_payment_methods[enabled]"] == "true"],
            "last_payment_error": NSNull(), "cancellation_reason": NSNull(), "latest_charge": NSNull(), "livemode": false,
            "created": Int(Date().timeIntervalSince1970),
        ]
        lock.withLock { intents[id] = intent }
        return (.ok, intent)
    }

    private func cancelIntent(_ id: String, reason: String?) throws -> (HTTPStatus, [String: Any]) {
        try lock.withLock {
            guard var intent = intents[id] else { throw missing("payment_intent", id, param: "intent") }
            let status = intent["status"] as? String ?? ""
            guard status != "succeeded", status != "canceled" else {
                throw invalid(
                    "You cannot cancel this PaymentIntent because it has a status of \(status). Only a PaymentIntent with one of the "
                        + "following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, "
                        + "requires_action, processing.", code: "payment_intent_unexpected_state")
            }
            intent["status"] = "canceled"
            intent["cancellation_reason"] = reason ?? "requested_by_customer"
            intents[id] = intent
            return (.ok, intent)
        }
    }

    private func createRefund(_ form: [String: String]) throws -> (HTTPStatus, [String: Any]) {
        let id = form["payment_intent"] ?? ""
        guard let intent = lock.withLock({ intents[id] }) else { throw missing("payment_intent", id, param: "payment_intent") }
        guard intent["status"] as? String == "succeeded", let received = intent["amount_received"] as? Int else {
            throw invalid("This PaymentIntent does not have a successful charge to refund.", code: "charge_not_refundable")
        }
        let already = lock.withLock { refunded[id, default: 0] }
        let amount = form["amount"].flatMap(Int.init) ?? (received - already)
        guard amount > 0, amount <= received - already else {
            throw invalid("Refund amount (\(amount)) is greater than unrefunded amount on charge (\(received - already))",
                          code: "amount_too_large", param: "amount")
        }
        lock.withLock { refunded[id, default: 0] += amount }
        return (.ok, [
            "id": nextID("re"), "object": "refund", "amount": amount, "currency": intent["currency"] ?? "usd",
            "payment_intent": id, "status": "succeeded", "metadata": Self.metadata(form),
        ])
    }

    private func createTransfer(_ form: [String: String]) throws -> (HTTPStatus, [String: Any]) {
        guard let amount = form["amount"].flatMap(Int.init), amount > 0 else {
            throw invalid("Missing required param: amount.", code: "parameter_missing", param: "amount")
        }
        guard let destination = form["destination"], destination.hasPrefix("acct_") else {
            throw invalid("No such destination: '\(form["destination"] ?? "")'", code: "resource_missing", param: "destination")
        }
        return (.ok, [
            "id": nextID("tr"), "object": "transfer", "amount": amount, "currency": form["currency"] ?? "usd",
            "destination": destination, "description": form["description"].map { $0 as Any } ?? NSNull(),
            "metadata": Self.metadata(form),
        ])
    }

    // MARK: wire helpers

    /// `a=1&metadata%5Bk%5D=v+w` to `["a": "1", "metadata[k]": "v w"]`.
    static func decodeForm(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }

    private static func metadata(_ form: [String: String]) -> [String: String] {
        var metadata: [String: String] = [:]
        for (name, value) in form where name.hasPrefix("metadata[") && name.hasSuffix("]") {
            metadata[String(name.dropFirst("metadata[".count).dropLast())] = value
        }
        return metadata
    }

    private static func json(_ object: [String: Any], status: HTTPStatus) -> Response {
        response((try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), status: status)
    }

    private static func response(_ data: Data, status: HTTPStatus) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.add(name: "Request-Id", value: "req_" + randomID(14))
        return Response(status: status, headers: headers, body: .init(data: data))
    }
}

// MARK: loopback servers

/// Starts and stops a stand-in's Vapor application on 127.0.0.1 and a port the system picks. (Shared by the
/// payment stand-ins; `OAuthTests`' provider stand-in does the same by hand.)
enum LoopbackServer {
    /// Starts `app` and answers its base URL, `http://127.0.0.1:PORT`.
    static func start(_ app: Application) async throws -> String {
        app.logger.logLevel = .warning
        do {
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            return "http://127.0.0.1:\(port)"
        } catch {
            await stop(app)
            throw error
        }
    }

    static func stop(_ app: Application) async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }
}

/// A stand-in that a test starts, uses and stops.
protocol LoopbackStandIn: AnyObject {
    static func start() async throws -> Self
    func stop() async
}

extension LoopbackStandIn {
    /// Runs `body` with a started stand-in and stops it afterwards, whatever happens.
    static func with<T>(_ body: (Self) async throws -> T) async throws -> T {
        let standIn = try await start()
        do {
            let result = try await body(standIn)
            await standIn.stop()
            return result
        } catch {
            await standIn.stop()
            throw error
        }
    }
}
