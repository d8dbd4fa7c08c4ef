import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// A seller's sales, earnings and payouts, all derived from transaction items and the ledger.
struct SellerReads {
    let services: AppServices
    let database: any Database

    private static let paidStatuses = ["succeeded", "refunded", "partially_refunded"]

    func sales(sellerID: UUID, page: PageRequest) async throws -> Components.Schemas.SalePage {
        let sql = database.sql
        let total = try await sql.raw("""
            SELECT COUNT(*) AS n FROM transaction_items i JOIN transactions t ON t.id = i.transaction_id
            WHERE i.seller_id = \(bind: sellerID) AND t.status IN (\(binds: Self.paidStatuses))
            """).first()?.decode(column: "n", as: Int.self) ?? 0
        let rows = try await sql.raw("""
            SELECT i.id, i.transaction_id, i.model_id, i.title, i.price_cents, i.fee_cents, i.earning_cents, i.refunded_at,
                   t.buyer_id, t.currency, t.test_mode, t.paid_at
            FROM transaction_items i JOIN transactions t ON t.id = i.transaction_id
            WHERE i.seller_id = \(bind: sellerID) AND t.status IN (\(binds: Self.paidStatuses))
            ORDER BY t.paid_at DESC, i.id DESC \(page.sqlClause)
            """).all()
        let modelIDs = try rows.map { try $0.decode(column: "model_id", as: UUID.self) }
        let refs = try await TransactionViews.modelRefs(modelIDs, on: database, settings: services.settings)
        let buyersByID = try await User.byID(rows.map { try $0.decode(column: "buyer_id", as: UUID.self) }, on: database)
        let holding = try await MarketplaceSettings.load(on: database).holdingPeriodDays
        let itemIDs = try rows.map { try $0.decode(column: "id", as: UUID.self) }
        // The earning's own release date, as the ledger recorded it at the sale (a later settings change does not move it).
        let earnings = itemIDs.isEmpty ? [] : try await LedgerEntry.query(on: database)
            .filter(\.$transactionItemID ~~ itemIDs).filter(\.$kind == LedgerEntry.Kind.sellerEarning.rawValue).all()
        let availableAt = Dictionary(earnings.compactMap { entry in entry.transactionItemID.map { ($0, entry.availableAt) } }, uniquingKeysWith: { first, _ in first })
        let items: [Components.Schemas.Sale] = try rows.map { row in
            let id = try row.decode(column: "id", as: UUID.self)
            let modelID = try row.decode(column: "model_id", as: UUID.self)
            let paidAt = try row.decode(column: "paid_at", as: Date?.self) ?? Date()
            let buyer = buyersByID[try row.decode(column: "buyer_id", as: UUID.self)]
            return .init(
                id: id.uuidString.lowercased(), transactionId: try row.decode(column: "transaction_id", as: UUID.self).uuidString.lowercased(),
                model: try refs[modelID] ?? TransactionViews.fallbackRef(modelID, title: row.decode(column: "title", as: String.self)),
                buyer: buyer.map { .init($0, settings: services.settings) },
                priceCents: try row.decode(column: "price_cents", as: Int.self), feeCents: try row.decode(column: "fee_cents", as: Int.self),
                earningCents: try row.decode(column: "earning_cents", as: Int.self), currency: try row.decode(column: "currency", as: String.self),
                testMode: try row.decode(column: "test_mode", as: Bool.self),
                refunded: try row.decode(column: "refunded_at", as: Date?.self) != nil,
                soldAt: paidAt, availableAt: availableAt[id] ?? UTCDay.adding(days: holding, to: paidAt))
        }
        return .init(items: items, meta: page.meta(total: total))
    }

    func earnings(sellerID: UUID, now: Date = Date()) async throws -> Components.Schemas.Earnings {
        let sql = database.sql
        let settings = try await MarketplaceSettings.load(on: database)
        let balance = try await Ledger.balance(sellerID: sellerID, on: database, now: now)
        let payouts = try await sql.raw("""
            SELECT CAST(COALESCE(SUM(CASE WHEN status = 'pending' THEN amount_cents ELSE 0 END), 0) AS BIGINT) AS reserved,
                   CAST(COALESCE(SUM(CASE WHEN status = 'paid' THEN amount_cents ELSE 0 END), 0) AS BIGINT) AS paid
            FROM payouts WHERE seller_id = \(bind: sellerID)
            """).first()
        let next = try await LedgerEntry.query(on: database)
            .filter(\.$account == LedgerEntry.Account.sellerBalance.rawValue).filter(\.$userID == sellerID)
            .filter(\.$kind == LedgerEntry.Kind.sellerEarning.rawValue).filter(\.$availableAt > now)
            .sort(\.$availableAt).first()

        let sold = try await sql.raw("""
            SELECT i.model_id, MIN(i.title) AS title, COUNT(*) AS sales, CAST(SUM(i.price_cents) AS BIGINT) AS gross,
                   CAST(SUM(i.fee_cents) AS BIGINT) AS fees
            FROM transaction_items i JOIN transactions t ON t.id = i.transaction_id
            WHERE i.seller_id = \(bind: sellerID) AND t.status IN (\(binds: Self.paidStatuses))
            GROUP BY i.model_id
            """).all()
        let ledger = try await sql.raw("""
            SELECT i.model_id, CAST(SUM(e.amount_cents) AS BIGINT) AS net,
                   CAST(SUM(CASE WHEN e.kind = 'refund_reversal' THEN -e.amount_cents ELSE 0 END) AS BIGINT) AS refunded
            FROM ledger_entries e JOIN transaction_items i ON i.id = e.transaction_item_id
            WHERE e.account = 'seller_balance' AND e.user_id = \(bind: sellerID)
            GROUP BY i.model_id
            """).all()
        var netByModel: [UUID: (net: Int, refunded: Int)] = [:]
        for row in ledger {
            netByModel[try row.decode(column: "model_id", as: UUID.self)] = (try row.decode(column: "net", as: Int.self), try row.decode(column: "refunded", as: Int.self))
        }
        let refs = try await TransactionViews.modelRefs(sold.map { try $0.decode(column: "model_id", as: UUID.self) }, on: database, settings: services.settings)
        var byModel: [Components.Schemas.ModelRevenue] = try sold.map { row in
            let modelID = try row.decode(column: "model_id", as: UUID.self)
            let ledgerFigures = netByModel[modelID] ?? (0, 0)
            return .init(
                model: try refs[modelID] ?? TransactionViews.fallbackRef(modelID, title: row.decode(column: "title", as: String.self)),
                sales: try row.decode(column: "sales", as: Int.self), grossCents: try row.decode(column: "gross", as: Int.self),
                feeCents: try row.decode(column: "fees", as: Int.self), refundedCents: ledgerFigures.refunded, netCents: ledgerFigures.net)
        }
        byModel.sort { ($0.grossCents, $0.model.id) > ($1.grossCents, $1.model.id) }
        let method = try await PayoutMethodRecord.find(sellerID, on: database)
        return .init(
            currency: services.settings.payments.currency, pendingCents: balance.pendingCents, availableCents: balance.availableCents,
            reservedCents: try payouts?.decode(column: "reserved", as: Int.self) ?? 0,
            paidOutCents: try payouts?.decode(column: "paid", as: Int.self) ?? 0,
            nextReleaseAt: next?.availableAt, holdingPeriodDays: settings.holdingPeriodDays,
            payoutMinimumCents: settings.payoutMinimumCents, platformFeeBps: settings.platformFeeBps,
            payoutMethod: method.map(TransactionViews.payoutMethod), byModel: byModel)
    }
}
