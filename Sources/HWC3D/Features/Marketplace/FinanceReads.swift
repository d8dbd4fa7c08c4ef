import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// The admin's finance views: transactions, refund and payout queues, and revenue from the ledger.
struct FinanceReads {
    let services: AppServices
    let database: any Database

    struct TransactionFilter {
        var status: String?
        var provider: String?
        var from: Date?
        var to: Date?
        var buyer: String?
    }

    func transactions(_ filter: TransactionFilter, page: PageRequest) async throws -> Components.Schemas.AdminTransactionPage {
        var errors: [Problem.FieldError] = []
        if let status = filter.status, PaymentTransaction.Status(rawValue: status) == nil {
            errors.append(.init(field: "status", message: "must be pending, succeeded, failed, canceled, refunded or partially_refunded"))
        }
        if let provider = filter.provider, PaymentProviderName(rawValue: provider) == nil {
            errors.append(.init(field: "provider", message: "must be sandbox, stripe or paypal"))
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        var query = PaymentTransaction.query(on: database)
        if let status = filter.status { query = query.filter(\.$status == status) }
        if let provider = filter.provider { query = query.filter(\.$provider == provider) }
        if let from = filter.from { query = query.filter(\.$createdAt >= from) }
        if let to = filter.to { query = query.filter(\.$createdAt < to) }
        if let buyer = filter.buyer?.trimmingCharacters(in: .whitespaces), !buyer.isEmpty {
            query = query.filter(\.$buyer.$id ~~ (try await UserDirectory.ids(matching: buyer, on: database)))
        }
        let total = try await query.count()
        let rows = try await query.sort(\.$createdAt, .descending).sort(\.$id, .descending)
            .range(page.rows).all()
        return .init(items: try await adminTransactions(rows), meta: page.meta(total: total))
    }

    private func adminTransactions(_ rows: [PaymentTransaction]) async throws -> [Components.Schemas.AdminTransaction] {
        let views = try await TransactionViews.transactions(rows, on: database, settings: services.settings)
        let buyersByID = try await User.byID(rows.map { $0.$buyer.id }, on: database)
        return zip(rows, views).compactMap { row, view in
            guard let buyer = buyersByID[row.$buyer.id] else { return nil }
            return .init(transaction: view, buyer: .init(buyer, settings: services.settings), buyerEmail: buyer.email,
                         feeCents: row.feeCents, providerReference: row.providerReference)
        }
    }

    func transaction(_ id: UUID) async throws -> Components.Schemas.AdminTransactionDetail {
        guard let transaction = try await PaymentTransaction.find(id, on: database),
            let head = try await adminTransactions([transaction]).first
        else { throw Problem.notFound("The transaction") }
        let items = try await TransactionItem.query(on: database).filter(\.$transaction.$id == id).sort(\.$id).all()
        let sellersByID = try await User.byID(items.map { $0.$seller.id }, on: database)
        let soldItems: [Components.Schemas.SoldItem] = zip(items, head.transaction.items).compactMap { item, view in
            guard let seller = sellersByID[item.$seller.id] else { return nil }
            return .init(item: view, seller: .init(seller, settings: services.settings), feeCents: item.feeCents, earningCents: item.earningCents)
        }
        let entries = try await LedgerEntry.query(on: database).filter(\.$transactionID == id).sort(\.$createdAt).sort(\.$id).all()
        let requests = try await RefundRequestRecord.query(on: database).filter(\.$transaction.$id == id).sort(\.$createdAt).all()
        let events = try await WebhookEvent.query(on: database).filter(\.$transactionID == id).sort(\.$receivedAt).all()
        return .init(
            transaction: head, soldItems: soldItems,
            ledger: entries.map { entry in
                .init(
                    id: entry.id!.uuidString.lowercased(), groupId: entry.groupID.uuidString.lowercased(),
                    account: .init(rawValue: entry.account) ?? .platformRevenue, userId: entry.userID?.uuidString.lowercased(),
                    kind: .init(rawValue: entry.kind) ?? .payout, amountCents: entry.amountCents, currency: entry.currency,
                    availableAt: entry.availableAt, createdAt: entry.createdAt)
            },
            refundRequests: try await TransactionViews.refundRequests(requests, on: database, settings: services.settings),
            events: events.map { .init(provider: .init(rawValue: $0.provider) ?? .sandbox, eventId: $0.eventID, _type: $0.type, outcome: $0.outcome, receivedAt: $0.receivedAt) })
    }

    func refunds(status: String?, page: PageRequest) async throws -> Components.Schemas.RefundRequestPage {
        if let status, RefundRequestRecord.Status(rawValue: status) == nil {
            throw Problem.validation(field: "status", "must be pending, approved or rejected")
        }
        let (ids, total) = try await queuePage(RefundRequestRecord.schema, status: status, page: page)
        let rows = try await RefundRequestRecord.query(on: database).filter(\.$id ~~ ids).all()
        let ordered = ids.compactMap { id in rows.first { $0.id == id } }
        return .init(items: try await TransactionViews.refundRequests(ordered, on: database, settings: services.settings), meta: page.meta(total: total))
    }

    func payouts(status: String?, page: PageRequest) async throws -> Components.Schemas.AdminPayoutPage {
        if let status, Payout.Status(rawValue: status) == nil {
            throw Problem.validation(field: "status", "must be pending, paid, rejected or failed")
        }
        let (ids, total) = try await queuePage(Payout.schema, status: status, page: page)
        let rows = try await Payout.query(on: database).filter(\.$id ~~ ids).all()
        let ordered = ids.compactMap { id in rows.first { $0.id == id } }
        let sellersByID = try await User.byID(ordered.map { $0.$seller.id }, on: database)
        return .init(
            items: ordered.compactMap { payout in
                guard let seller = sellersByID[payout.$seller.id] else { return nil }
                return .init(payout: TransactionViews.payout(payout), seller: .init(seller, settings: services.settings), sellerEmail: seller.email)
            },
            meta: page.meta(total: total))
    }

    /// One page of an admin decision queue (refund requests, payouts), ordered as a queue is worked: pending first,
    /// oldest first; decided ones after, newest first. `table` is one of ours, never input.
    private func queuePage(_ table: String, status: String?, page: PageRequest) async throws -> (ids: [UUID], total: Int) {
        let sql = database.sql
        let statusFilter: SQLQueryString = status.map { "WHERE status = \(bind: $0)" } ?? ""
        let total = try await sql.raw("SELECT COUNT(*) AS n FROM \(ident: table) \(statusFilter)").first()?.decode(column: "n", as: Int.self) ?? 0
        let ids = try await sql.raw("""
            SELECT id FROM \(ident: table) \(statusFilter)
            ORDER BY CASE WHEN status = 'pending' THEN 0 ELSE 1 END,
                     CASE WHEN status = 'pending' THEN created_at END ASC, created_at DESC, id
            \(page.sqlClause)
            """).all().map { try $0.decode(column: "id", as: UUID.self) }
        return (ids, total)
    }

    func adminPayout(_ payout: Payout) async throws -> Components.Schemas.AdminPayout {
        guard let seller = try await UserReads.user(id: payout.$seller.id, on: database) else { throw ProblemMiddleware.internalError }
        return .init(payout: TransactionViews.payout(payout), seller: .init(seller, settings: services.settings), sellerEmail: seller.email)
    }

    enum Granularity: String { case day, month }

    /// Revenue per UTC day or month from the ledger's `day` column: gross is what buyers paid, refunds what went
    /// back to them, fees the platform's fees, and net the fees less the fees (and absorbed earnings) refunds took.
    /// Sandbox money is reported apart (`testMode`), never mixed with real money.
    func revenue(granularity: Granularity, from: String?, to: String?, testMode: Bool, now: Date = Date()) async throws -> Components.Schemas.Revenue {
        let today = UTCDay.string(now)
        let toDay = try to.map { try Self.validDay($0, field: "to") } ?? today
        let defaultFrom = granularity == .day
            ? UTCDay.string(UTCDay.adding(days: -29, to: now))
            : String(UTCDay.string(UTCDay.adding(days: -365, to: now)).prefix(7)) + "-01"
        let fromDay = try from.map { try Self.validDay($0, field: "from") } ?? defaultFrom
        guard fromDay <= toDay else { throw Problem.validation(field: "from", "must not be after to") }
        let periods = Self.periods(from: fromDay, to: toDay, granularity: granularity)
        guard periods.count <= (granularity == .day ? 366 : 120) else {
            throw Problem.validation(field: "from", granularity == .day ? "at most 366 days per request" : "at most 120 months per request")
        }
        let sql = database.sql
        let period = granularity == .day ? "day" : "SUBSTR(day, 1, 7)"
        let rows = try await sql.raw("""
            SELECT \(unsafeRaw: period) AS period,
                   CAST(SUM(CASE WHEN kind = 'buyer_payment' THEN -amount_cents ELSE 0 END) AS BIGINT) AS gross,
                   CAST(SUM(CASE WHEN account = 'buyer_funds' AND kind = 'refund_reversal' THEN amount_cents ELSE 0 END) AS BIGINT) AS refunds,
                   CAST(SUM(CASE WHEN kind = 'platform_fee' THEN amount_cents ELSE 0 END) AS BIGINT) AS fees,
                   CAST(SUM(CASE WHEN account = 'platform_revenue' THEN amount_cents ELSE 0 END) AS BIGINT) AS net,
                   CAST(SUM(CASE WHEN kind = 'seller_earning' THEN 1 ELSE 0 END) AS BIGINT) AS sales
            FROM ledger_entries
            WHERE day >= \(bind: fromDay) AND day <= \(bind: toDay) AND test_mode = \(bind: testMode)
            GROUP BY \(unsafeRaw: period)
            """).all()
        var byPeriod: [String: Components.Schemas.RevenueRow] = [:]
        for row in rows {
            let key = try row.decode(column: "period", as: String.self)
            byPeriod[key] = .init(
                period: key, sales: try row.decode(column: "sales", as: Int.self), grossCents: try row.decode(column: "gross", as: Int.self),
                feesCents: try row.decode(column: "fees", as: Int.self), refundsCents: try row.decode(column: "refunds", as: Int.self),
                netCents: try row.decode(column: "net", as: Int.self))
        }
        let series = periods.map { byPeriod[$0] ?? .init(period: $0, sales: 0, grossCents: 0, feesCents: 0, refundsCents: 0, netCents: 0) }
        let totals = series.reduce(into: Components.Schemas.RevenueRow(period: "\(fromDay)..\(toDay)", sales: 0, grossCents: 0, feesCents: 0, refundsCents: 0, netCents: 0)) {
            $0.sales += $1.sales; $0.grossCents += $1.grossCents; $0.feesCents += $1.feesCents
            $0.refundsCents += $1.refundsCents; $0.netCents += $1.netCents
        }
        return .init(granularity: granularity == .day ? .day : .month, currency: services.settings.payments.currency, rows: series, totals: totals)
    }

    static func validDay(_ text: String, field: String) throws -> String {
        let parts = text.split(separator: "-")
        guard text.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
            (1970...9999).contains(year), (1...12).contains(month), (1...31).contains(day)
        else { throw Problem.validation(field: field, "must be a date like 2026-11-24") }
        return text
    }

    static func periods(from: String, to: String, granularity: Granularity) -> [String] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        guard var date = formatter.date(from: from), let end = formatter.date(from: to) else { return [] }
        var out: [String] = []
        if granularity == .day {
            while date <= end, out.count <= 400 {
                out.append(UTCDay.string(date))
                date = UTCDay.adding(days: 1, to: date)
            }
        } else {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "UTC")!
            date = calendar.date(from: calendar.dateComponents([.year, .month], from: date))!
            while date <= end, out.count <= 130 {
                out.append(String(UTCDay.string(date).prefix(7)))
                date = calendar.date(byAdding: .month, value: 1, to: date)!
            }
        }
        return out
    }
}
