import Foundation

/// The built-in provider: every payment completes at once and no money moves. It exists so a fresh install can
/// sell end to end; everything it touches is test money, and its references say so (`sandbox_…`).
struct SandboxPaymentProvider: PaymentProvider {
    var name: PaymentProviderName { .sandbox }

    func createPayment(_ request: PaymentRequest) async throws -> CreatedPayment {
        CreatedPayment(reference: "sandbox_" + request.transactionID.uuidString.lowercased(), clientSecret: nil, approvalURL: nil)
    }

    /// The sandbox takes nothing, so it answers with what the caller expected.
    func capture(_ payment: PaymentToCapture) async throws -> PaymentOutcome {
        .succeeded(amountCents: payment.expectedAmountCents, currency: payment.currency, captureReference: payment.reference)
    }

    func cancel(reference: String) async throws {}

    func refund(_ request: RefundRequestToProvider) async throws -> ProviderRefund {
        ProviderRefund(reference: "sandbox_re_" + request.idempotencyKey)
    }

    func payout(_ request: PayoutRequestToProvider) async throws -> ProviderPayout {
        ProviderPayout(reference: "sandbox_po_" + request.idempotencyKey)
    }
}
