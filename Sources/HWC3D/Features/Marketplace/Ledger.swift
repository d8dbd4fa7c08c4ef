import Fluent
import Foundation
import SQLKit

/// Writes the ledger and derives balances from it. Nothing here updates an entry: every movement of money is
/// a new group of entries that sums to zero, and every balance is a sum over entries.
enum Ledger {
    struct Line {
        var account: LedgerEntry.Account
        var userID: UUID?
        var kind: LedgerEntry.Kind
        var amountCents: Int
        var transactionID: UUID? = nil
        var transactionItemID: UUID? = nil
        var refundRequestID: UUID? = nil
        var payoutID: UUID? = nil
        var availableAt: Date? = nil
    }

    /// Inserts one balanced group. An unbalanced group is a programming error, refused before anything is written.
    @discardableResult
    static func post(_ lines: [Line], currency: String, testMode: Bool, on database: any Database, now: Date = Date()) async throws -> UUID {
        guard lines.reduce(0, { $0 + $1.amountCents }) == 0 else {
            throw LedgerError.unbalanced(lines.map { "\($0.account.rawValue) \($0.amountCents)" }.joined(separator: ", "))
        }
        let group = UUID.v7(now: now)
        let day = UTCDay.string(now)
        // One INSERT for the whole group (a sale of n items is 2n + 1 lines), written as plain SQL: Fluent's `create`
        // walks each entry's fields by reflection, on every sale (issue 11's checkout profile).
        let rows: [SQLQueryString] = lines.filter { $0.amountCents != 0 }.map { line in
            """
            (\(bind: UUID.v7(now: now)), \(bind: group), \(bind: line.account.rawValue), \(bind: line.userID), \(bind: line.kind.rawValue),
             \(bind: line.amountCents), \(bind: currency), \(bind: line.transactionID), \(bind: line.transactionItemID),
             \(bind: line.refundRequestID), \(bind: line.payoutID), \(bind: testMode), \(bind: line.availableAt ?? now), \(bind: day), \(bind: now))
            """
        }
        if !rows.isEmpty {
            try await database.preparedRun("""
                INSERT INTO ledger_entries (id, group_id, account, user_id, kind, amount_cents, currency, transaction_id, transaction_item_id,
                    refund_request_id, payout_id, test_mode, available_at, day, created_at)
                VALUES \(rows.joined(separator: ", "))
                """)
        }
        return group
    }

    enum LedgerError: Error, CustomStringConvertible {
        case unbalanced(String)
        var description: String {
            switch self { case .unbalanced(let lines): "ledger group does not sum to zero: \(lines)" }
        }
    }

    /// A completed payment: the buyer's money in, and per item the platform's fee and the seller's earning, which
    /// becomes available after the holding period.
    static func recordSale(_ transaction: PaymentTransaction, items: [TransactionItem], holdingPeriodDays: Int, on database: any Database, now: Date) async throws {
        let transactionID = try transaction.requireID()
        let availableAt = UTCDay.adding(days: holdingPeriodDays, to: now)
        var lines = [Line(account: .buyerFunds, userID: transaction.$buyer.id, kind: .buyerPayment, amountCents: -transaction.amountCents, transactionID: transactionID)]
        for item in items {
            let itemID = try item.requireID()
            lines.append(Line(account: .platformRevenue, userID: nil, kind: .platformFee, amountCents: item.feeCents, transactionID: transactionID, transactionItemID: itemID))
            lines.append(Line(account: .sellerBalance, userID: item.$seller.id, kind: .sellerEarning, amountCents: item.earningCents,
                              transactionID: transactionID, transactionItemID: itemID, availableAt: availableAt))
        }
        try await post(lines, currency: transaction.currency, testMode: transaction.testMode, on: database, now: now)
    }

    struct Reversal: Equatable {
        /// Taken back from the seller.
        var fromSellerCents: Int
        /// What the seller no longer had (already paid out), carried by the platform so no balance goes negative.
        var absorbedByPlatformCents: Int
    }

    /// Gives one item's price back to the buyer: the fee comes back from the platform and the earning from the
    /// seller. An earning still held is taken from the held amount; one already available is taken from what is
    /// available, and any part already paid out is carried by the platform. The caller holds the seller's lock.
    static func reverseItem(_ item: TransactionItem, of transaction: PaymentTransaction, refundRequestID: UUID?, on database: any Database, now: Date) async throws -> Reversal {
        let itemID = try item.requireID()
        let transactionID = try transaction.requireID()
        let sellerID = item.$seller.id
        let earning = try await LedgerEntry.query(on: database)
            .filter(\.$transactionItemID == itemID).filter(\.$kind == LedgerEntry.Kind.sellerEarning.rawValue).first()
        let earningAvailableAt = earning?.availableAt ?? now
        var fromSeller = item.earningCents
        if earningAvailableAt <= now {
            let balance = try await balance(sellerID: sellerID, on: database, now: now)
            fromSeller = min(item.earningCents, max(0, balance.availableCents))
        }
        let absorbed = item.earningCents - fromSeller
        try await post([
            Line(account: .buyerFunds, userID: transaction.$buyer.id, kind: .refundReversal, amountCents: item.priceCents,
                 transactionID: transactionID, transactionItemID: itemID, refundRequestID: refundRequestID),
            Line(account: .platformRevenue, userID: nil, kind: .refundReversal, amountCents: -(item.feeCents + absorbed),
                 transactionID: transactionID, transactionItemID: itemID, refundRequestID: refundRequestID),
            Line(account: .sellerBalance, userID: sellerID, kind: .refundReversal, amountCents: -fromSeller,
                 transactionID: transactionID, transactionItemID: itemID, refundRequestID: refundRequestID,
                 availableAt: earningAvailableAt),
        ], currency: transaction.currency, testMode: transaction.testMode, on: database, now: now)
        return Reversal(fromSellerCents: fromSeller, absorbedByPlatformCents: absorbed)
    }

    /// Payout lines count against the available balance whatever the reader's clock says: a request that read
    /// `now` before waiting for the seller's lock, or an instance whose clock is behind, must still see them.
    static let alwaysAvailable = Date(timeIntervalSince1970: 0)

    /// Moves a requested payout out of the seller's available balance at once.
    static func reservePayout(_ payout: Payout, testMode: Bool, on database: any Database, now: Date) async throws {
        let payoutID = try payout.requireID()
        try await post([
            Line(account: .sellerBalance, userID: payout.$seller.id, kind: .payout, amountCents: -payout.amountCents, payoutID: payoutID,
                 availableAt: alwaysAvailable),
            Line(account: .sellerPayouts, userID: payout.$seller.id, kind: .payout, amountCents: payout.amountCents, payoutID: payoutID),
        ], currency: payout.currency, testMode: testMode, on: database, now: now)
    }

    /// Puts a rejected or failed payout back into the seller's available balance.
    static func releasePayout(_ payout: Payout, testMode: Bool, on database: any Database, now: Date) async throws {
        let payoutID = try payout.requireID()
        try await post([
            Line(account: .sellerBalance, userID: payout.$seller.id, kind: .payout, amountCents: payout.amountCents, payoutID: payoutID,
                 availableAt: alwaysAvailable),
            Line(account: .sellerPayouts, userID: payout.$seller.id, kind: .payout, amountCents: -payout.amountCents, payoutID: payoutID),
        ], currency: payout.currency, testMode: testMode, on: database, now: now)
    }

    struct SellerBalance: Equatable {
        /// Everything the platform owes the seller now.
        var totalCents: Int
        /// Earnings still in the holding period.
        var pendingCents: Int
        var availableCents: Int { totalCents - pendingCents }
    }

    static func balance(sellerID: UUID, on database: any Database, now: Date) async throws -> SellerBalance {
        let row = try await database.preparedFirst("""
            SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) AS total,
                   CAST(COALESCE(SUM(CASE WHEN available_at > \(bind: now) THEN amount_cents ELSE 0 END), 0) AS BIGINT) AS pending
            FROM ledger_entries WHERE account = 'seller_balance' AND user_id = \(bind: sellerID)
            """)
        return SellerBalance(
            totalCents: try row?.decode(column: "total", as: Int.self) ?? 0,
            pendingCents: try row?.decode(column: "pending", as: Int.self) ?? 0)
    }
}
