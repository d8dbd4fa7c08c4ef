import Fluent
import Foundation
import Logging

/// `POST /checkout/{id}/capture`: asks the provider, server to server, whether the buyer paid (capturing an
/// approved PayPal order on the way) and completes the transaction when it did. Capturing a paid transaction
/// again, or concurrently, answers the paid transaction: only `PaymentCompletion` grants, once.
struct PaymentCapture {
    let services: AppServices
    let database: any Database
    var logger: Logger = Logger(label: "hwc3d.payments")

    func capture(transactionID: UUID, buyer: Caller) async throws -> PaymentTransaction {
        guard let transaction = try await TransactionRows.transaction(transactionID, on: database), transaction.$buyer.id == buyer.userID else {
            throw Problem.notFound("The transaction")
        }
        switch transaction.lifecycle {
        case .succeeded, .refunded, .partiallyRefunded:
            // Idempotent: a retry after a lost answer, or a second tab, hears what the first capture said.
            return transaction
        case .canceled, .failed:
            throw Problem.conflict(
                "transaction-not-pending", "Not payable",
                detail: "This transaction is \(transaction.status)\(transaction.failureReason.map { ": \($0)" } ?? "."). Check out again.")
        case .pending: break
        }
        guard let gateway = services.payments.provider(transaction.providerName) else {
            throw CheckoutService.providerUnavailable(transaction.providerName)
        }
        guard let reference = transaction.providerReference else {
            throw Problem.conflict("payment-not-completed", "Not paid yet", detail: "The payment was not opened yet; retry the checkout request.")
        }
        let outcome: PaymentOutcome
        do {
            outcome = try await gateway.capture(PaymentToCapture(
                reference: reference, expectedAmountCents: transaction.amountCents, currency: transaction.currency,
                idempotencyKey: "capture-\(transactionID.uuidString.lowercased())"))
        } catch let error as PaymentProviderError {
            logger.warning("capture failed at the provider", metadata: ["transaction": "\(transactionID)", "error": "\(error)"])
            if error.retryable { throw CheckoutService.providerUnavailable(error.provider) }
            throw Problem(.paymentRequired, "payment-failed", "Payment failed", detail: "The payment provider refused to complete this payment.")
        }
        switch outcome {
        case .pending:
            throw Problem.conflict(
                "payment-not-completed", "Not paid yet",
                detail: transaction.providerName == .paypal ? "Approve the payment at PayPal first." : "The payment is not complete yet.")
        case .failed(let reason):
            try await PaymentEventProcessor.markFailed(transactionID, reason: reason, on: database)
            throw Problem(.paymentRequired, "payment-failed", "Payment failed", detail: "The payment failed: \(reason)")
        case .succeeded(let amount, let currency, let captureReference):
            let result = try await database.transaction { db in
                try await PaymentCompletion(services: services).complete(
                    transactionID: transactionID, amountCents: amount, currency: currency, captureReference: captureReference, on: db)
            }
            switch result {
            case .completed, .alreadyCompleted: break
            case .amountMismatch:
                throw Problem.conflict(
                    "payment-mismatch", "Payment does not match",
                    detail: "The provider reports a different amount than this transaction; support will look into it.")
            case .notPayable:
                throw Problem.conflict("transaction-not-pending", "Not payable", detail: "This transaction can no longer be paid.")
            }
            return try await TransactionRows.transaction(transactionID, on: database) ?? transaction
        }
    }
}
