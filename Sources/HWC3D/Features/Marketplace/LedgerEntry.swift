import Fluent
import Foundation

/// One line of the double-entry ledger every balance is derived from. Entries are only ever inserted; the
/// entries written together share a `group_id` and sum to zero. Positive amounts are owed to the account's
/// holder: a sale puts the price on `buyer_funds` negatively and the fee and the earning positively.
final class LedgerEntry: Model, @unchecked Sendable {
    static let schema = "ledger_entries"

    enum Account: String, Codable, Sendable, CaseIterable {
        /// Money that came from (or went back to) buyers through a provider.
        case buyerFunds = "buyer_funds"
        case platformRevenue = "platform_revenue"
        /// What the platform owes a seller; `available_at` says from when it may be paid out.
        case sellerBalance = "seller_balance"
        /// Money sent (or reserved to be sent) to a seller's own account.
        case sellerPayouts = "seller_payouts"
    }

    enum Kind: String, Codable, Sendable, CaseIterable {
        case buyerPayment = "buyer_payment"
        case platformFee = "platform_fee"
        case sellerEarning = "seller_earning"
        case refundReversal = "refund_reversal"
        case payout
    }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "group_id") var groupID: UUID
    @Field(key: "account") var account: String
    @OptionalField(key: "user_id") var userID: UUID?
    @Field(key: "kind") var kind: String
    @Field(key: "amount_cents") var amountCents: Int
    @Field(key: "currency") var currency: String
    @OptionalField(key: "transaction_id") var transactionID: UUID?
    @OptionalField(key: "transaction_item_id") var transactionItemID: UUID?
    @OptionalField(key: "refund_request_id") var refundRequestID: UUID?
    @OptionalField(key: "payout_id") var payoutID: UUID?
    @Field(key: "test_mode") var testMode: Bool
    @Field(key: "available_at") var availableAt: Date
    /// The UTC day (`YYYY-MM-DD`) of `created_at`, so revenue groups by day or month in either dialect.
    @Field(key: "day") var day: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
