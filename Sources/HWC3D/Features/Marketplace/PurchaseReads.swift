import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// The buyer's library (`GET /purchases`, `GET /purchases/{id}`): each purchase with its item's title, its model's
/// reference and its latest refund request, read in one statement beside the fee settings. Through Fluent it took
/// eight statements, four of them hydrating models by reflection (issue 11).
struct PurchaseReads {
    let database: any Database
    let settings: Settings

    /// One page of the buyer's purchases, newest first, and how many there are in all.
    func page(buyer: User, page: PageRequest) async throws -> (items: [Components.Schemas.Purchase], total: Int) {
        let buyerID = try buyer.requireID()
        // The page's bounds are binds, not literals: one prepared statement serves every page.
        let rows = try await read(where: "p.buyer_id = \(bind: buyerID)", page: "LIMIT \(bind: page.perPage) OFFSET \(bind: page.offset)")
        var total = try rows.first?.decode(column: "total_rows", as: Int.self) ?? 0
        if rows.isEmpty, page.offset > 0 {
            // Past the last page the window has no row to carry the total.
            total = try await database.sql.raw("SELECT COUNT(*) AS n FROM purchases WHERE buyer_id = \(bind: buyerID)").first()?
                .decode(column: "n", as: Int.self) ?? 0
        }
        return (try await render(rows, buyer: buyer), total)
    }

    /// One of the buyer's purchases; nil when there is none by that id, or it is someone else's.
    func purchase(_ id: UUID, buyer: User) async throws -> Components.Schemas.Purchase? {
        let rows = try await read(where: "p.id = \(bind: id) AND p.buyer_id = \(bind: try buyer.requireID())", page: "")
        return try await render(rows, buyer: buyer).first
    }

    private func read(where condition: SQLQueryString, page: SQLQueryString) async throws -> [any SQLRow] {
        try await database.prepared("""
            SELECT p.id, p.model_id, p.transaction_id, p.price_cents, p.currency, p.test_mode, p.status, p.created_at,
                   COUNT(*) OVER () AS total_rows, ti.title AS item_title,
                   r.id AS r_id, r.amount_cents AS r_amount_cents, r.currency AS r_currency, r.reason AS r_reason,
                   r.status AS r_status, r.decision_note AS r_decision_note, r.created_at AS r_created_at, r.decided_at AS r_decided_at,
                   \(ModelCards.referenceColumns(alias: "rm"))
            FROM purchases p
            JOIN transaction_items ti ON ti.id = p.transaction_item_id
            LEFT JOIN refund_requests r ON r.id = (
                SELECT lr.id FROM refund_requests lr WHERE lr.purchase_id = p.id ORDER BY lr.created_at DESC, lr.id DESC LIMIT 1)
            \(ModelCards.leftJoinReference(alias: "rm", on: "p.model_id"))
            WHERE \(condition)
            ORDER BY p.created_at DESC, p.id DESC \(page)
            """)
    }

    private func render(_ rows: [any SQLRow], buyer: User) async throws -> [Components.Schemas.Purchase] {
        guard !rows.isEmpty else { return [] }
        let market = try await MarketplaceSettings.load(on: database)
        let buyerSummary = Components.Schemas.UserSummary(UserSummaryColumns.Row(buyer), settings: settings)
        return try rows.map { row in
            let id = try row.decode(column: "id", as: UUID.self)
            let modelID = try row.decode(column: "model_id", as: UUID.self)
            let transactionID = try row.decode(column: "transaction_id", as: UUID.self).uuidString.lowercased()
            let createdAt = try row.decode(column: "created_at", as: Date.self)
            let model = try ModelCards.reference(from: row, alias: "rm", settings: settings).map {
                Components.Schemas.PurchasedModelRef(id: $0.id.uuidString.lowercased(), slug: $0.slug, title: $0.title, coverImage: $0.cover, creator: $0.creator)
            } ?? TransactionViews.fallbackRef(modelID, title: try row.decode(column: "item_title", as: String.self))
            var refund: Components.Schemas.RefundRequest?
            if let refundID = try row.decode(column: "r_id", as: UUID?.self) {
                refund = .init(
                    id: refundID.uuidString.lowercased(), purchaseId: id.uuidString.lowercased(), transactionId: transactionID,
                    model: model, buyer: buyerSummary, amountCents: try row.decode(column: "r_amount_cents", as: Int.self),
                    currency: try row.decode(column: "r_currency", as: String.self), reason: try row.decode(column: "r_reason", as: String.self),
                    status: .init(rawValue: try row.decode(column: "r_status", as: String.self)) ?? .pending,
                    decisionNote: try row.decode(column: "r_decision_note", as: String?.self),
                    createdAt: try row.decode(column: "r_created_at", as: Date.self), decidedAt: try row.decode(column: "r_decided_at", as: Date?.self))
            }
            return .init(
                id: id.uuidString.lowercased(), model: model, transactionId: transactionID,
                priceCents: try row.decode(column: "price_cents", as: Int.self), currency: try row.decode(column: "currency", as: String.self),
                testMode: try row.decode(column: "test_mode", as: Bool.self),
                status: .init(rawValue: try row.decode(column: "status", as: String.self)) ?? .refunded,
                downloadUrl: "\(settings.publicURL)/api/v1/models/\(modelID.uuidString.lowercased())/download",
                refundWindowEndsAt: UTCDay.adding(days: market.refundWindowDays, to: createdAt),
                refundRequest: refund, purchasedAt: createdAt)
        }
    }
}
