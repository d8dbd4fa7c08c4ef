import Crypto
import Foundation

/// Stripe's webhook deliveries: the `Stripe-Signature` check and the events the marketplace acts on.
///
/// The scheme (Stripe's "verify manually" documentation, and what its libraries do): the header is
/// `t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=<hex>]` in any order; the signed payload is `"<t>."` followed by
/// the raw body bytes; each `v1` is HMAC-SHA256 of it keyed with the endpoint secret exactly as shown in the
/// dashboard, `whsec_` prefix included (stripe-go's `ComputeSignature` keys with `[]byte(secret)`; the tests hold
/// this to a signature Stripe itself sent). Several `v1` values appear while a secret is being rolled: any match
/// passes. `v0` (test-mode only) and unknown schemes are ignored, as are `v1` values that are not hex.
enum StripeWebhook {
    static func verify(payload: Data, signatureHeader: String?, secret: String, tolerance: Int, now: Date = Date()) throws {
        guard let header = signatureHeader, !header.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw WebhookVerificationError.missingSignature
        }
        var timestamp: Int?
        var signatures: [[UInt8]] = []
        for item in header.split(separator: ",", omittingEmptySubsequences: false) {
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { throw WebhookVerificationError.malformedSignature }
            let key = pair[0].trimmingCharacters(in: .whitespaces)
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            switch key {
            case "t":
                guard timestamp == nil, value.allSatisfy({ $0.isASCII && $0.isNumber }), let seconds = Int(value) else {
                    throw WebhookVerificationError.malformedSignature
                }
                timestamp = seconds
            case "v1":
                if let bytes = hexBytes(value), bytes.count == SHA256.byteCount { signatures.append(bytes) }
            default:
                continue
            }
        }
        guard let timestamp else { throw WebhookVerificationError.malformedSignature }
        // An unset secret verifies nothing, even a header someone signed with the empty key.
        guard !signatures.isEmpty, !secret.isEmpty else { throw WebhookVerificationError.signatureMismatch }

        let key = SymmetricKey(data: Data(secret.utf8))
        let signed = Data("\(timestamp).".utf8) + payload
        // `isValidAuthenticationCode` compares in constant time.
        guard signatures.contains(where: { HMAC<SHA256>.isValidAuthenticationCode($0, authenticating: signed, using: key) }) else {
            throw WebhookVerificationError.signatureMismatch
        }
        // Checked after the signature, so a stale timestamp is only reported for a delivery that is authentic.
        let nowSeconds = Int(now.timeIntervalSince1970.rounded(.down))
        guard abs(nowSeconds - timestamp) <= tolerance else { throw WebhookVerificationError.outsideTolerance }
    }

    /// The events the marketplace acts on; any other verified type is `.ignored` (still recorded by id).
    static func parse(payload: Data) throws -> PaymentEvent {
        let envelope: Envelope
        do {
            envelope = try JSONDecoder().decode(Envelope.self, from: payload)
        } catch {
            throw WebhookVerificationError.malformedPayload("not a Stripe event (id, type)")
        }
        var event = PaymentEvent(
            provider: .stripe, eventID: envelope.id, type: envelope.type, reference: nil, transactionID: nil,
            captureReference: nil, kind: .ignored)
        switch envelope.type {
        case "payment_intent.succeeded":
            let intent = try object(StripePaymentIntent.self, in: payload, type: envelope.type)
            guard let received = intent.amountReceived else {
                throw WebhookVerificationError.malformedPayload("\(envelope.type) without amount_received")
            }
            event.reference = intent.id
            event.captureReference = intent.id
            event.transactionID = transactionID(intent.metadata)
            event.kind = .paymentSucceeded(amountCents: received, currency: intent.currency.uppercased(), captureReference: intent.id)
        case "payment_intent.payment_failed":
            let intent = try object(StripePaymentIntent.self, in: payload, type: envelope.type)
            event.reference = intent.id
            event.transactionID = transactionID(intent.metadata)
            event.kind = .paymentFailed(reason: intent.lastPaymentError?.message ?? "payment failed")
        case "charge.refunded":
            // `amount_refunded` is the running total on the charge. Since API version 2022-11-15 the charge's
            // `refunds` list is no longer included, so the refund id is there only on older endpoint versions.
            let charge = try object(Charge.self, in: payload, type: envelope.type)
            event.reference = charge.paymentIntent
            event.captureReference = charge.paymentIntent
            event.transactionID = transactionID(charge.metadata)
            event.kind = .refunded(
                refundReference: charge.refunds?.data.first?.id, amountCents: charge.amountRefunded, cumulativeCents: charge.amountRefunded)
        case "charge.dispute.created", "charge.dispute.closed":
            let dispute = try object(Dispute.self, in: payload, type: envelope.type)
            event.reference = dispute.paymentIntent
            event.captureReference = dispute.paymentIntent
            event.kind = envelope.type == "charge.dispute.created"
                ? .disputeOpened(disputeReference: dispute.id, amountCents: dispute.amount)
                : .disputeClosed(disputeReference: dispute.id, won: dispute.status == "won")
        default:
            break
        }
        return event
    }

    // MARK: payload shapes

    private struct Envelope: Decodable {
        var id: String
        var type: String
    }

    private struct ObjectEnvelope<Object: Decodable>: Decodable {
        struct Body: Decodable { var object: Object }
        var data: Body
    }

    private struct Charge: Decodable {
        struct Refunds: Decodable {
            struct Refund: Decodable { var id: String }
            var data: [Refund]
        }

        var id: String
        var amountRefunded: Int
        var paymentIntent: String?
        var metadata: [String: String]?
        var refunds: Refunds?

        enum CodingKeys: String, CodingKey {
            case id, metadata, refunds
            case amountRefunded = "amount_refunded"
            case paymentIntent = "payment_intent"
        }
    }

    private struct Dispute: Decodable {
        var id: String
        var amount: Int
        var status: String
        var paymentIntent: String?

        enum CodingKeys: String, CodingKey {
            case id, amount, status
            case paymentIntent = "payment_intent"
        }
    }

    private static func object<T: Decodable>(_ type: T.Type, in payload: Data, type eventType: String) throws -> T {
        do {
            return try JSONDecoder().decode(ObjectEnvelope<T>.self, from: payload).data.object
        } catch {
            throw WebhookVerificationError.malformedPayload("\(eventType) without the expected data.object")
        }
    }

    private static func transactionID(_ metadata: [String: String]?) -> UUID? {
        metadata?["transaction_id"].flatMap(UUID.init(uuidString:))
    }

    /// Lower- or upper-case hex to bytes; nil for anything else.
    static func hexBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }
}
