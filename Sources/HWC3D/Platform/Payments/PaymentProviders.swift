import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The payment services this deployment can use, built once from the settings: the sandbox unless it is turned
/// off, Stripe and PayPal when their credentials are configured.
struct PaymentProviders: Sendable {
    var sandbox: SandboxPaymentProvider?
    var stripe: StripePaymentProvider?
    var paypal: PayPalPaymentProvider?
    /// The one currency prices are in.
    var currency: String
    /// How far a signed webhook's timestamp may be from now.
    var webhookToleranceSeconds: Int

    init(settings: Settings.Payments, httpClient: HTTPClient) {
        sandbox = settings.sandboxEnabled ? SandboxPaymentProvider() : nil
        stripe = settings.stripe.map { StripePaymentProvider(settings: $0, httpClient: httpClient) }
        paypal = settings.paypal.map { PayPalPaymentProvider(settings: $0, httpClient: httpClient) }
        currency = settings.currency
        webhookToleranceSeconds = settings.webhookToleranceSeconds
    }

    /// The provider of that name, or nil when it is not configured here.
    func provider(_ name: PaymentProviderName) -> (any PaymentProvider)? {
        switch name {
        case .sandbox: sandbox
        case .stripe: stripe
        case .paypal: paypal
        }
    }

    /// The configured providers, in `PaymentProviderName` order.
    var available: [PaymentProviderName] {
        PaymentProviderName.allCases.filter { provider($0) != nil }
    }
}

/// The transport the real providers share: one request, its small answer read whole, within a time limit.
/// Failing to reach the service (refused connection, TLS, timeout) is a retryable `PaymentProviderError`; the
/// request is never described beyond its method and path, because its headers and body carry credentials.
enum PaymentHTTP {
    struct Response: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
    }

    /// Provider answers are small JSON documents; anything bigger is not one.
    static let maxBodyBytes = 1 << 20

    static func send(
        _ request: HTTPClientRequest, via httpClient: HTTPClient, provider: PaymentProviderName, timeout: TimeAmount
    ) async throws -> Response {
        do {
            let response = try await httpClient.execute(request, timeout: timeout)
            let body = try await response.body.collect(upTo: maxBodyBytes)
            return Response(status: Int(response.status.code), headers: response.headers, body: Data(body.readableBytesView))
        } catch {
            let path = URLComponents(string: request.url)?.path ?? "?"
            throw PaymentProviderError(
                provider: provider, message: "\(request.method.rawValue) \(path) failed: \(String(describing: error))", retryable: true)
        }
    }
}
