import Fluent
import Foundation
import HWC3DAPI
import Vapor

/// `/admin` finance routes and the marketplace settings. Reads need `finance.read`, decisions `finance.write`,
/// settings `settings.write` (each route's `x-policy`, checked before the handler runs).
extension APIHandler {
    func adminListTransactions(_ input: Operations.AdminListTransactions.Input) async throws -> Operations.AdminListTransactions.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let filter = FinanceReads.TransactionFilter(
            status: input.query.status, provider: input.query.provider, from: input.query.from, to: input.query.to, buyer: input.query.buyer)
        return .ok(.init(body: .json(try await FinanceReads(services: services, database: req.db).transactions(filter, page: page))))
    }

    func adminGetTransaction(_ input: Operations.AdminGetTransaction.Input) async throws -> Operations.AdminGetTransaction.Output {
        let req = try request
        let id = try Self.uuid(input.path.id, notFound: "The transaction")
        return .ok(.init(body: .json(try await FinanceReads(services: services, database: req.db).transaction(id))))
    }

    func adminListRefunds(_ input: Operations.AdminListRefunds.Input) async throws -> Operations.AdminListRefunds.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        return .ok(.init(body: .json(try await FinanceReads(services: services, database: req.db).refunds(status: input.query.status, page: page))))
    }

    func adminApproveRefund(_ input: Operations.AdminApproveRefund.Input) async throws -> Operations.AdminApproveRefund.Output {
        let (req, admin) = (try request, try self.admin)
        let body = switch input.body { case .json(let json): json }
        let id = try Self.uuid(input.path.id, notFound: "The refund request")
        let decided = try await RefundService(services: services, database: req.db).approve(requestID: id, note: body.note, admin: admin)
        return .ok(.init(body: .json(try await TransactionViews.refundRequests([decided], on: req.db, settings: services.settings)[0])))
    }

    func adminRejectRefund(_ input: Operations.AdminRejectRefund.Input) async throws -> Operations.AdminRejectRefund.Output {
        let (req, admin) = (try request, try self.admin)
        let body = switch input.body { case .json(let json): json }
        let id = try Self.uuid(input.path.id, notFound: "The refund request")
        let decided = try await RefundService(services: services, database: req.db).reject(requestID: id, note: body.note, admin: admin)
        return .ok(.init(body: .json(try await TransactionViews.refundRequests([decided], on: req.db, settings: services.settings)[0])))
    }

    func adminListPayouts(_ input: Operations.AdminListPayouts.Input) async throws -> Operations.AdminListPayouts.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        return .ok(.init(body: .json(try await FinanceReads(services: services, database: req.db).payouts(status: input.query.status, page: page))))
    }

    func adminApprovePayout(_ input: Operations.AdminApprovePayout.Input) async throws -> Operations.AdminApprovePayout.Output {
        let (req, admin) = (try request, try self.admin)
        let body = switch input.body { case .json(let json): json }
        let id = try Self.uuid(input.path.id, notFound: "The payout")
        let payout = try await PayoutService(services: services, database: req.db).approve(payoutID: id, note: body.note, admin: admin)
        return .ok(.init(body: .json(try await FinanceReads(services: services, database: req.db).adminPayout(payout))))
    }

    func adminRejectPayout(_ input: Operations.AdminRejectPayout.Input) async throws -> Operations.AdminRejectPayout.Output {
        let (req, admin) = (try request, try self.admin)
        let body = switch input.body { case .json(let json): json }
        let id = try Self.uuid(input.path.id, notFound: "The payout")
        let payout = try await PayoutService(services: services, database: req.db).reject(payoutID: id, note: body.note, admin: admin)
        return .ok(.init(body: .json(try await FinanceReads(services: services, database: req.db).adminPayout(payout))))
    }

    func adminRevenue(_ input: Operations.AdminRevenue.Input) async throws -> Operations.AdminRevenue.Output {
        let req = try request
        let granularity: FinanceReads.Granularity = input.query.granularity == .month ? .month : .day
        return .ok(.init(body: .json(try await FinanceReads(services: services, database: req.db).revenue(
            granularity: granularity, from: input.query.from, to: input.query.to, testMode: input.query.testMode ?? false))))
    }

    func adminLedgerCheck(_ input: Operations.AdminLedgerCheck.Input) async throws -> Operations.AdminLedgerCheck.Output {
        let req = try request
        let report = try await LedgerAudit.run(on: req.db)
        return .ok(.init(body: .json(.init(
            ok: report.ok, entriesChecked: report.entriesChecked, groupsChecked: report.groupsChecked,
            problems: report.findings.map { .init(kind: .init(rawValue: $0.kind.rawValue) ?? .unbalancedGroup, detail: $0.detail, reference: $0.reference?.uuidString.lowercased()) },
            checkedAt: Date()))))
    }

    func adminGetSettings(_ input: Operations.AdminGetSettings.Input) async throws -> Operations.AdminGetSettings.Output {
        let req = try request
        return .ok(.init(body: .json(.init(try await MarketplaceSettings.load(on: req.db)))))
    }

    func adminUpdateSettings(_ input: Operations.AdminUpdateSettings.Input) async throws -> Operations.AdminUpdateSettings.Output {
        let (req, admin) = (try request, try self.admin)
        let body = switch input.body { case .json(let json): json }
        var changes: [String: Int] = [:]
        if let value = body.platformFeeBps { changes["platform_fee_bps"] = value }
        if let value = body.refundWindowDays { changes["refund_window_days"] = value }
        if let value = body.payoutMinimumCents { changes["payout_minimum_cents"] = value }
        if let value = body.holdingPeriodDays { changes["holding_period_days"] = value }
        let updated = try await MarketplaceSettings.update(changes, admin: admin, on: req.db)
        return .ok(.init(body: .json(.init(updated))))
    }
}

extension Components.Schemas.PlatformSettings {
    init(_ settings: MarketplaceSettings) {
        self.init(
            platformFeeBps: settings.platformFeeBps, refundWindowDays: settings.refundWindowDays,
            payoutMinimumCents: settings.payoutMinimumCents, holdingPeriodDays: settings.holdingPeriodDays, updatedAt: settings.updatedAt)
    }
}
