import Fluent
import Foundation
import SQLKit

/// A buyer's request to get one purchase's price back, decided by an admin with `finance.write`.
final class RefundRequestRecord: Model, @unchecked Sendable {
    static let schema = "refund_requests"

    enum Status: String, Codable, Sendable {
        case pending, approved, rejected
    }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "purchase_id") var purchase: Purchase
    @Parent(key: "transaction_id") var transaction: PaymentTransaction
    @Parent(key: "transaction_item_id") var item: TransactionItem
    @Parent(key: "buyer_id") var buyer: User
    @Field(key: "amount_cents") var amountCents: Int
    @Field(key: "currency") var currency: String
    @Field(key: "reason") var reason: String
    @Field(key: "status") var status: String
    @OptionalField(key: "decision_note") var decisionNote: String?
    @OptionalField(key: "decided_by") var decidedBy: UUID?
    @OptionalField(key: "decided_at") var decidedAt: Date?
    @OptionalField(key: "provider_reference") var providerReference: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
