import Foundation
import HWC3DAPI
import Logging
import OpenAPIRuntime
import Vapor

/// The providers' webhooks. Each delivery is verified over its exact bytes before anything is parsed or
/// looked up; a delivery that fails verification answers 400 and leaves no trace but a log line.
extension APIHandler {
    static let webhookBodyLimit = 1 << 20

    func stripeWebhook(_ input: Operations.StripeWebhook.Input) async throws -> Operations.StripeWebhook.Output {
        let req = try request
        guard let stripe = services.settings.payments.stripe else {
            throw Problem.notFound("The Stripe webhook (Stripe is not configured on this server)")
        }
        guard case .any(let body) = input.body else { throw Problem.malformed("The webhook body could not be read.") }
        let payload = try await Self.rawBody(body)
        let event: PaymentEvent
        do {
            try StripeWebhook.verify(
                payload: payload, signatureHeader: req.headers.first(name: "Stripe-Signature"), secret: stripe.webhookSecret,
                tolerance: services.settings.payments.webhookToleranceSeconds, now: Date())
            event = try StripeWebhook.parse(payload: payload)
        } catch let error as WebhookVerificationError {
            req.logger.warning("refused a Stripe webhook", metadata: ["reason": "\(error)"])
            throw Problem(.badRequest, "invalid-webhook", "Invalid webhook", detail: "Stripe webhook refused: \(error).")
        }
        let outcome = try await PaymentEventProcessor(services: services, database: req.db).process(event)
        return .ok(.init(body: .json(.init(received: true, eventId: event.eventID, outcome: .init(rawValue: outcome.rawValue) ?? .processed))))
    }

    func paypalWebhook(_ input: Operations.PaypalWebhook.Input) async throws -> Operations.PaypalWebhook.Output {
        let req = try request
        guard let paypal = services.payments.paypal, let settings = services.settings.payments.paypal else {
            throw Problem.notFound("The PayPal webhook (PayPal is not configured on this server)")
        }
        guard case .any(let body) = input.body else { throw Problem.malformed("The webhook body could not be read.") }
        let payload = try await Self.rawBody(body)
        var headers: [String: String] = [:]
        for (name, value) in req.headers { headers[name.lowercased()] = value }
        let event: PaymentEvent
        do {
            try await paypal.verifyWebhook(headers: headers, payload: payload, webhookID: settings.webhookID,
                                           tolerance: services.settings.payments.webhookToleranceSeconds, now: Date())
            event = try PayPalWebhook.parse(payload: payload)
        } catch let error as WebhookVerificationError {
            req.logger.warning("refused a PayPal webhook", metadata: ["reason": "\(error)"])
            throw Problem(.badRequest, "invalid-webhook", "Invalid webhook", detail: "PayPal webhook refused: \(error).")
        } catch let error as PaymentProviderError {
            // PayPal's verification service did not answer: a 503 makes PayPal deliver again later.
            req.logger.warning("could not verify a PayPal webhook", metadata: ["error": "\(error)"])
            throw CheckoutService.providerUnavailable(.paypal)
        }
        let outcome = try await PaymentEventProcessor(services: services, database: req.db).process(event)
        return .ok(.init(body: .json(.init(received: true, eventId: event.eventID, outcome: .init(rawValue: outcome.rawValue) ?? .processed))))
    }

    private static func rawBody(_ stream: HTTPBody) async throws -> Data {
        do {
            return try await Data(collecting: stream, upTo: webhookBodyLimit)
        } catch {
            throw Problem.payloadTooLarge(limit: webhookBodyLimit)
        }
    }
}
