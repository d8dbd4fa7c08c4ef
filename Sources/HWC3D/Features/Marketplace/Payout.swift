import Fluent
import Foundation

/// A seller's request to be paid their available balance. The amount leaves the available balance in the ledger
/// the moment it is requested, so two requests cannot claim the same money; a rejection puts it back.
final class Payout: Model, @unchecked Sendable {
    static let schema = "payouts"

    enum Status: String, Codable, Sendable {
        case pending, paid, rejected, failed
    }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "seller_id") var seller: User
    @Field(key: "amount_cents") var amountCents: Int
    @Field(key: "currency") var currency: String
    @Field(key: "status") var status: String
    @Field(key: "method") var method: String
    @Field(key: "destination") var destination: String
    @OptionalField(key: "provider") var provider: String?
    @OptionalField(key: "provider_reference") var providerReference: String?
    @OptionalField(key: "note") var note: String?
    @OptionalField(key: "decided_by") var decidedBy: UUID?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

/// Where a seller wants to be paid: one row per seller.
final class PayoutMethodRecord: Model, @unchecked Sendable {
    static let schema = "payout_methods"

    enum Kind: String, Codable, Sendable {
        case stripeConnect = "stripe_connect"
        case paypal
    }

    /// The seller's user id.
    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "type") var type: String
    @Field(key: "destination") var destination: String
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}
