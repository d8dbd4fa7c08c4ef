import Foundation
import HWC3DAPI
import Vapor

/// Reports, filed by users and decided by admins.
extension APIHandler {
    func createReport(_ input: Operations.CreateReport.Input) async throws -> Operations.CreateReport.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        guard let type = ReportTargetType(rawValue: body.targetType.rawValue) else { throw Problem.validation(field: "target_type", "unknown") }
        let (report, created) = try await ReportService(services: services, database: req.db)
            .file(by: caller, type: type, targetID: body.targetId, reason: body.reason.rawValue, details: body.details)
        let answer = Components.Schemas.Report(report)
        return created ? .created(.init(body: .json(answer))) : .ok(.init(body: .json(answer)))
    }

    func adminListReports(_ input: Operations.AdminListReports.Input) async throws -> Operations.AdminListReports.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let status = ContentReport.Status(rawValue: input.query.status?.rawValue ?? "open") ?? .open
        let type = input.query.targetType.flatMap { ReportTargetType(rawValue: $0.rawValue) }
        let result = try await ReportService(services: services, database: req.db).queue(status: status, type: type, page: page)
        return .ok(.init(body: .json(.init(
            items: result.items.map { .init($0, settings: services.settings) }, meta: page.meta(total: result.total)))))
    }

    func adminGetReport(_ input: Operations.AdminGetReport.Input) async throws -> Operations.AdminGetReport.Output {
        let req = try request
        guard let id = UUID(uuidString: input.path.id) else { throw ReportService.notFound }
        let queued = try await ReportService(services: services, database: req.db).queued(id)
        return .ok(.init(body: .json(.init(queued, settings: services.settings))))
    }

    func adminResolveReport(_ input: Operations.AdminResolveReport.Input) async throws -> Operations.AdminResolveReport.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        guard let action = ReportService.Action(rawValue: body.action.rawValue) else { throw Problem.validation(field: "action", "unknown") }
        let queued = try await ReportService(services: services, database: req.db)
            .resolve(input.path.id, action: action, note: body.note, suspendDays: body.suspendDays, admin: try admin)
        return .ok(.init(body: .json(.init(queued, settings: services.settings))))
    }

    func adminDismissReport(_ input: Operations.AdminDismissReport.Input) async throws -> Operations.AdminDismissReport.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        let queued = try await ReportService(services: services, database: req.db).dismiss(input.path.id, note: body.note, admin: try admin)
        return .ok(.init(body: .json(.init(queued, settings: services.settings))))
    }
}

extension Components.Schemas.Report {
    init(_ report: ContentReport) {
        self.init(
            id: report.id!.uuidString.lowercased(), targetType: .init(rawValue: report.targetType) ?? .model,
            targetId: report.targetID.uuidString.lowercased(), reason: .init(rawValue: report.reason) ?? .other, details: report.details,
            status: .init(rawValue: report.status.rawValue) ?? .open, createdAt: report.createdAt)
    }
}

extension Components.Schemas.AdminReport {
    init(_ queued: ReportService.Queued, settings: Settings) {
        let report = queued.report
        let content = queued.content
        self.init(
            id: report.id!.uuidString.lowercased(), targetType: .init(rawValue: report.targetType) ?? .model,
            targetId: report.targetID.uuidString.lowercased(), reason: .init(rawValue: report.reason) ?? .other, details: report.details,
            status: .init(rawValue: report.status.rawValue) ?? .open, reporter: queued.reporter.map { .init($0, settings: settings) },
            openReportsOnTarget: queued.openOnTarget,
            content: .init(
                exists: content.exists, removed: content.removed, title: content.title, text: content.text,
                author: queued.author.map { .init($0, settings: settings) }, link: content.link),
            action: report.action, note: report.note, handledAt: report.handledAt, createdAt: report.createdAt)
    }
}
