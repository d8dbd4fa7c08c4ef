import Foundation

/// The payment services a checkout can use. `sandbox` is built in and moves no money; it is the default so a
/// fresh `make run` can sell, and everything it touches is labelled as test money.
enum PaymentProviderName: String, Sendable, Codable, CaseIterable {
    case sandbox, stripe, paypal
}

/// What the marketplace asks of a payment service. Each call carries an idempotency key derived from our own row
/// (transaction, refund request or payout id), so a call repeated after a crash or a timeout cannot charge, refund
/// or pay twice: Stripe takes it as `Idempotency-Key`, PayPal as `PayPal-Request-Id`.
protocol PaymentProvider: Sendable {
    var name: PaymentProviderName { get }

    /// Opens a payment for `amountCents` and answers what the buyer's client needs to pay it.
    func createPayment(_ request: PaymentRequest) async throws -> CreatedPayment

    /// Asks the provider, server to server, how the payment stands; for PayPal this captures an approved order.
    /// Only an answer from here or a verified webhook may grant purchases, never the client's word.
    func capture(_ payment: PaymentToCapture) async throws -> PaymentOutcome

    /// Cancels a payment nobody will complete (best effort: a superseded checkout).
    func cancel(reference: String) async throws

    /// Returns `amountCents` of a completed payment to the buyer.
    func refund(_ request: RefundRequestToProvider) async throws -> ProviderRefund

    /// Sends a seller's payout to their Stripe Connect account or PayPal address.
    func payout(_ request: PayoutRequestToProvider) async throws -> ProviderPayout
}

struct PaymentRequest: Sendable {
    var transactionID: UUID
    var amountCents: Int
    var currency: String
    var description: String
    var buyerEmail: String
    /// Where PayPal sends the buyer back after approving (the frontend's checkout page).
    var returnURL: String
    var cancelURL: String
}

struct PaymentToCapture: Sendable {
    var reference: String
    /// What our transaction expects. Real providers report what was actually taken, and the caller compares;
    /// only the sandbox, which takes nothing, answers with these.
    var expectedAmountCents: Int
    var currency: String
    var idempotencyKey: String
}

struct CreatedPayment: Sendable, Equatable {
    /// The provider's id for the payment: a PaymentIntent `pi_…`, a PayPal order id, or our own for the sandbox.
    var reference: String
    var clientSecret: String?
    var approvalURL: String?
}

enum PaymentOutcome: Sendable, Equatable {
    /// The money is taken; `captureReference` is what refunds address (a PayPal capture id; the PaymentIntent
    /// for Stripe).
    case succeeded(amountCents: Int, currency: String, captureReference: String)
    /// Not paid yet (buyer has not approved or confirmed).
    case pending
    case failed(reason: String)
}

struct RefundRequestToProvider: Sendable {
    /// The payment reference, or for PayPal the capture id.
    var captureReference: String
    var amountCents: Int
    var currency: String
    var idempotencyKey: String
    var note: String
}

struct ProviderRefund: Sendable, Equatable {
    var reference: String
}

enum PayoutDestination: Sendable, Equatable {
    case stripeAccount(String)
    case paypalEmail(String)
}

struct PayoutRequestToProvider: Sendable {
    var destination: PayoutDestination
    var amountCents: Int
    var currency: String
    var idempotencyKey: String
    var note: String
}

struct ProviderPayout: Sendable, Equatable {
    var reference: String
}

/// A provider answered with an error, or could not be reached. `retryable` separates "try again later" (network,
/// 5xx, 429) from a refusal that will not change (declined card, invalid account).
struct PaymentProviderError: Error, CustomStringConvertible {
    var provider: PaymentProviderName
    var message: String
    var retryable: Bool
    var description: String { "\(provider.rawValue): \(message)" }
}

/// Formats integer cents as the decimal string PayPal's API wants ("12.30"), without floating point.
enum DecimalAmount {
    static func string(cents: Int) -> String {
        let sign = cents < 0 ? "-" : ""
        let magnitude = cents.magnitude
        let fraction = magnitude % 100
        return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Parses "12.3", "12.30" or "12" into cents; nil for anything else (more than two decimals, signs, exponents).
    static func cents(_ text: String) -> Int? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !parts[0].isEmpty, parts[0].allSatisfy({ $0.isASCII && $0.isNumber }),
            let whole = Int(parts[0])
        else { return nil }
        var fraction = 0
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...2).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(digits) else { return nil }
            fraction = digits.count == 1 ? value * 10 : value
        }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: 100)
        let (total, overflowAdding) = scaled.addingReportingOverflow(fraction)
        guard !overflow, !overflowAdding else { return nil }
        return total
    }
}

/// A provider's webhook delivery after its signature was verified, reduced to what the marketplace acts on.
/// `eventID` is the provider's own id, stored so a repeated delivery is recognised and changes nothing.
struct PaymentEvent: Sendable, Equatable {
    enum Kind: Sendable, Equatable {
        /// Money taken for `reference`; `captureReference` is what a refund addresses.
        case paymentSucceeded(amountCents: Int, currency: String, captureReference: String)
        case paymentFailed(reason: String)
        /// Money returned to the buyer at the provider. `refundReference` is the provider's refund id when the event
        /// carries it; `cumulativeCents` is the total refunded so far on the payment when the provider says (Stripe).
        case refunded(refundReference: String?, amountCents: Int, cumulativeCents: Int?)
        /// The buyer's bank disputed the payment; the provider has taken `amountCents` back meanwhile.
        case disputeOpened(disputeReference: String, amountCents: Int)
        case disputeClosed(disputeReference: String, won: Bool)
        /// A verified event of a type we do not act on; still recorded, so it is not processed twice.
        case ignored
    }

    var provider: PaymentProviderName
    var eventID: String
    var type: String
    /// The payment the event is about (PaymentIntent id, PayPal order id), when it names one.
    var reference: String?
    /// Our transaction id, when the provider carries it back (Stripe metadata, PayPal custom_id).
    var transactionID: UUID?
    /// PayPal refund and dispute events name the capture, not the order.
    var captureReference: String?
    var kind: Kind
}

/// Why a webhook delivery was refused. All of them answer 400 and change nothing.
enum WebhookVerificationError: Error, Equatable, CustomStringConvertible {
    case missingSignature
    case malformedSignature
    case signatureMismatch
    case outsideTolerance
    case malformedPayload(String)

    var description: String {
        switch self {
        case .missingSignature: "the signature header is missing"
        case .malformedSignature: "the signature header is malformed"
        case .signatureMismatch: "no signature matches the payload"
        case .outsideTolerance: "the signature timestamp is outside the tolerance (a stale or replayed delivery)"
        case .malformedPayload(let reason): "the payload is not a valid event: \(reason)"
        }
    }
}
