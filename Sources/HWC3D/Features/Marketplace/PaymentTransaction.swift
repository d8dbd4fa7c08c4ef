import Fluent
import Foundation

/// One checkout: the buyer, the provider's payment, and the items with prices and fees captured at checkout.
final class PaymentTransaction: Model, @unchecked Sendable {
    static let schema = "transactions"

    enum Status: String, Codable, Sendable {
        case pending, succeeded, failed, canceled, refunded
        case partiallyRefunded = "partially_refunded"
    }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "buyer_id") var buyer: User
    @Field(key: "provider") var provider: String
    /// PaymentIntent id, PayPal order id, or the sandbox's own reference; nil until the provider answered.
    @OptionalField(key: "provider_reference") var providerReference: String?
    /// What refunds address: the PaymentIntent for Stripe, the capture id for PayPal.
    @OptionalField(key: "capture_reference") var captureReference: String?
    @OptionalField(key: "client_secret") var clientSecret: String?
    @OptionalField(key: "approval_url") var approvalURL: String?
    @Field(key: "status") var status: String
    @Field(key: "amount_cents") var amountCents: Int
    @Field(key: "fee_cents") var feeCents: Int
    @Field(key: "refunded_cents") var refundedCents: Int
    @Field(key: "currency") var currency: String
    @Field(key: "test_mode") var testMode: Bool
    /// Provider, models and prices: two checkouts of the same cart share one payment.
    @Field(key: "cart_fingerprint") var cartFingerprint: String
    @OptionalField(key: "failure_reason") var failureReason: String?
    @OptionalField(key: "paid_at") var paidAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    @Children(for: \.$transaction) var items: [TransactionItem]

    init() {}

    var lifecycle: Status { Status(rawValue: status) ?? .failed }
    var providerName: PaymentProviderName { PaymentProviderName(rawValue: provider) ?? .sandbox }
}

/// One sold model in a transaction. `price_cents = fee_cents + earning_cents` exactly (`FeeSplit`).
final class TransactionItem: Model, @unchecked Sendable {
    static let schema = "transaction_items"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "transaction_id") var transaction: PaymentTransaction
    @Parent(key: "model_id") var model: ModelAsset
    @Parent(key: "seller_id") var seller: User
    /// The title at checkout, for receipts and for history after the model changes.
    @Field(key: "title") var title: String
    @Field(key: "price_cents") var priceCents: Int
    @Field(key: "fee_cents") var feeCents: Int
    @Field(key: "earning_cents") var earningCents: Int
    @OptionalField(key: "refunded_at") var refundedAt: Date?

    init() {}
}
