import Foundation
import NIOHTTP1

/// PayPal's webhook deliveries: the signature check and the events the marketplace acts on.
///
/// PayPal signs `<transmission id>|<transmission time>|<webhook id>|<CRC32 of the body>` with RSA (SHA256withRSA)
/// under a certificate it names in `PAYPAL-CERT-URL`. Rather than fetch and trust that certificate here, each
/// delivery is checked by PayPal's documented `POST /v1/notifications/verify-webhook-signature`, which answers
/// `SUCCESS` or `FAILURE`. The event is sent as the exact bytes received (spliced into the request, not
/// re-serialised): PayPal's check covers the body's CRC32, so a re-encoded event would fail it.
struct PayPalWebhook: Sendable {
    let provider: PayPalPaymentProvider
    /// How far `PAYPAL-TRANSMISSION-TIME` may be from now, against replays of an old, genuine delivery.
    var toleranceSeconds: Int

    static let signatureHeaders = [
        "paypal-auth-algo", "paypal-cert-url", "paypal-transmission-id", "paypal-transmission-sig", "paypal-transmission-time",
    ]

    /// `headers` with lower-cased names. Throws `WebhookVerificationError` for a delivery that is not PayPal's,
    /// and `PaymentProviderError` when PayPal could not be asked (so the delivery can be refused with a 5xx and
    /// PayPal retries it).
    func verify(headers: [String: String], payload: Data, webhookID: String, now: Date = Date()) async throws {
        var values: [String: String] = [:]
        for name in Self.signatureHeaders {
            guard let value = headers[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
                throw WebhookVerificationError.missingSignature
            }
            values[name] = value
        }
        guard let sent = Self.parseTime(values["paypal-transmission-time"]!) else { throw WebhookVerificationError.malformedSignature }
        guard abs(now.timeIntervalSince(sent)) <= TimeInterval(toleranceSeconds) else {
            throw WebhookVerificationError.outsideTolerance
        }
        guard (try? JSONSerialization.jsonObject(with: payload)) is [String: Any] else {
            throw WebhookVerificationError.malformedPayload("not a JSON object")
        }

        let fields: [String: String] = [
            "auth_algo": values["paypal-auth-algo"]!, "cert_url": values["paypal-cert-url"]!,
            "transmission_id": values["paypal-transmission-id"]!, "transmission_sig": values["paypal-transmission-sig"]!,
            "transmission_time": values["paypal-transmission-time"]!, "webhook_id": webhookID,
        ]
        var body = try JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])
        body.removeLast()  // the closing brace
        body += Data(#","webhook_event":"#.utf8) + payload + Data("}".utf8)

        // No PayPal-Request-Id: this asks a question, and a replayed answer to a reused id could pass a forgery.
        let response = try await provider.send(.POST, "/v1/notifications/verify-webhook-signature", body: body, requestID: nil)
        guard response.status == 200 else { throw PayPalPaymentProvider.error(response, during: "webhook verification") }
        struct Verdict: Decodable {
            var verificationStatus: String
            enum CodingKeys: String, CodingKey { case verificationStatus = "verification_status" }
        }
        let verdict = try PayPalPaymentProvider.decode(Verdict.self, from: response, what: "verification status")
        guard verdict.verificationStatus == "SUCCESS" else { throw WebhookVerificationError.signatureMismatch }
    }

    /// RFC 3339, with or without fractional seconds, as PayPal writes `PAYPAL-TRANSMISSION-TIME`.
    static func parseTime(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let date = plain.date(from: text) { return date }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// The events the marketplace acts on; any other verified type is `.ignored` (still recorded by id).
    static func parse(payload: Data) throws -> PaymentEvent {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: payload)
        } catch {
            throw WebhookVerificationError.malformedPayload("not a PayPal event (id, event_type)")
        }
        var event = PaymentEvent(
            provider: .paypal, eventID: envelope.id, type: envelope.eventType, reference: nil, transactionID: nil,
            captureReference: nil, kind: .ignored)
        switch envelope.eventType {
        case "PAYMENT.CAPTURE.COMPLETED", "PAYMENT.CAPTURE.DENIED":
            let capture = try resource(in: payload, of: envelope)
            event.reference = capture.supplementaryData?.relatedIDs?.orderID
            event.captureReference = capture.id
            event.transactionID = capture.customID.flatMap(UUID.init(uuidString:))
            if envelope.eventType == "PAYMENT.CAPTURE.COMPLETED" {
                let (cents, currency) = try amount(of: capture, in: envelope)
                event.kind = .paymentSucceeded(amountCents: cents, currency: currency, captureReference: capture.id)
            } else {
                event.kind = .paymentFailed(reason: capture.statusDetails?.reason.map { "capture denied (\($0))" } ?? "capture denied")
            }
        case "PAYMENT.CAPTURE.REFUNDED":
            // The resource is the refund; its `up` link is the capture it returns money from.
            let refund = try resource(in: payload, of: envelope)
            let (cents, _) = try amount(of: refund, in: envelope)
            event.captureReference = refund.links?.first(where: { $0.rel == "up" })
                .flatMap { URL(string: $0.href)?.lastPathComponent }
                .flatMap { $0.isEmpty ? nil : $0 }
            event.transactionID = refund.customID.flatMap(UUID.init(uuidString:))
            event.kind = .refunded(refundReference: refund.id, amountCents: cents, cumulativeCents: nil)
        default:
            break
        }
        return event
    }

    // MARK: payload shapes

    private struct Envelope: Decodable {
        var id: String
        var eventType: String
        enum CodingKeys: String, CodingKey {
            case id
            case eventType = "event_type"
        }
    }

    private struct ResourceEnvelope: Decodable {
        var resource: Resource
    }

    /// A capture or a refund, which share these fields.
    private struct Resource: Decodable {
        struct SupplementaryData: Decodable {
            struct RelatedIDs: Decodable {
                var orderID: String?
                enum CodingKeys: String, CodingKey { case orderID = "order_id" }
            }
            var relatedIDs: RelatedIDs?
            enum CodingKeys: String, CodingKey { case relatedIDs = "related_ids" }
        }

        struct StatusDetails: Decodable { var reason: String? }

        var id: String
        var amount: PayPalOrder.Money?
        var customID: String?
        var supplementaryData: SupplementaryData?
        var statusDetails: StatusDetails?
        var links: [PayPalOrder.Link]?

        enum CodingKeys: String, CodingKey {
            case id, amount, links
            case customID = "custom_id"
            case supplementaryData = "supplementary_data"
            case statusDetails = "status_details"
        }
    }

    /// Decoded only for the types acted on, so an event of another type never fails on its resource's shape.
    private static func resource(in payload: Data, of envelope: Envelope) throws -> Resource {
        do {
            return try JSONDecoder().decode(ResourceEnvelope.self, from: payload).resource
        } catch {
            throw WebhookVerificationError.malformedPayload("\(envelope.eventType) without its resource")
        }
    }

    private static func amount(of resource: Resource, in envelope: Envelope) throws -> (cents: Int, currency: String) {
        guard let amount = resource.amount, let cents = DecimalAmount.cents(amount.value) else {
            throw WebhookVerificationError.malformedPayload("\(envelope.eventType) without a readable amount")
        }
        return (cents, amount.currencyCode.uppercased())
    }
}
