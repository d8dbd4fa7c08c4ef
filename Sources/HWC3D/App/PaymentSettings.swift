import Foundation

/// The payments part of `Settings`. Which providers a checkout may use follows from what is configured: the
/// sandbox unless turned off (it is off by default in production), Stripe when its secret key is set, PayPal when
/// its client id and secret are set. Descriptions leave the secrets out, so settings can be logged.
extension Settings {
    public struct Payments: Sendable, CustomStringConvertible {
        /// `PAYMENTS_SANDBOX`: the built-in provider that completes without moving money.
        public var sandboxEnabled: Bool
        /// `PAYMENTS_CURRENCY`: the one currency prices are in (ISO 4217, upper case).
        public var currency: String
        public var stripe: Stripe?
        public var paypal: PayPal?
        /// How old a signed webhook may be before it counts as a replay (Stripe's own default is 5 minutes).
        public var webhookToleranceSeconds: Int

        public var description: String {
            "Payments(sandbox: \(sandboxEnabled), currency: \(currency), stripe: \(stripe != nil), paypal: \(paypal != nil))"
        }

        public struct Stripe: Sendable {
            /// `STRIPE_SECRET_KEY` (`sk_live_…`/`sk_test_…`, or a restricted `rk_…` key).
            public var secretKey: String
            /// `STRIPE_WEBHOOK_SECRET` (`whsec_…`): the endpoint's signing secret.
            public var webhookSecret: String
            /// `STRIPE_API_URL`: https://api.stripe.com, or a stand-in in tests.
            public var apiURL: String
        }

        public struct PayPal: Sendable {
            public var clientID: String
            public var clientSecret: String
            /// `PAYPAL_WEBHOOK_ID`: the id PayPal gave the webhook subscription, needed to verify its deliveries.
            public var webhookID: String
            /// `PAYPAL_API_URL`: https://api-m.sandbox.paypal.com (default) or https://api-m.paypal.com.
            public var apiURL: String
        }

        static func load(from env: EnvironmentReader, production: Bool) throws -> Payments {
            let currency = env.string("PAYMENTS_CURRENCY", default: "USD")
            guard currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isUppercase }) else {
                throw Invalid(variable: "PAYMENTS_CURRENCY", reason: "must be an ISO 4217 code like USD")
            }
            var stripe: Stripe?
            if let key = env.optional("STRIPE_SECRET_KEY") {
                guard key.hasPrefix("sk_") || key.hasPrefix("rk_") else {
                    throw Invalid(variable: "STRIPE_SECRET_KEY", reason: "must be a Stripe secret key (sk_… or rk_…)")
                }
                guard let secret = env.optional("STRIPE_WEBHOOK_SECRET"), secret.hasPrefix("whsec_") else {
                    throw Invalid(variable: "STRIPE_WEBHOOK_SECRET", reason: "is required with STRIPE_SECRET_KEY and starts with whsec_")
                }
                stripe = Stripe(secretKey: key, webhookSecret: secret, apiURL: try env.url("STRIPE_API_URL", default: "https://api.stripe.com"))
            }
            var paypal: PayPal?
            if let clientID = env.optional("PAYPAL_CLIENT_ID") {
                guard let secret = env.optional("PAYPAL_CLIENT_SECRET") else {
                    throw Invalid(variable: "PAYPAL_CLIENT_SECRET", reason: "is required with PAYPAL_CLIENT_ID")
                }
                guard let webhookID = env.optional("PAYPAL_WEBHOOK_ID") else {
                    throw Invalid(variable: "PAYPAL_WEBHOOK_ID", reason: "is required with PAYPAL_CLIENT_ID")
                }
                paypal = PayPal(
                    clientID: clientID, clientSecret: secret, webhookID: webhookID,
                    apiURL: try env.url("PAYPAL_API_URL", default: "https://api-m.sandbox.paypal.com"))
            }
            return Payments(
                sandboxEnabled: try env.boolean("PAYMENTS_SANDBOX", default: !production),
                currency: currency, stripe: stripe, paypal: paypal,
                webhookToleranceSeconds: try env.integer("WEBHOOK_TOLERANCE_SECONDS", default: 300, range: 1...3600))
        }
    }
}
