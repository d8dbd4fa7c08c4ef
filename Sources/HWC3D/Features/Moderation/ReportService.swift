import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// Reports: filed by users on what they can see, queued for admins holding `reports.handle` (most reported targets
/// first), and decided (resolved with an action, or dismissed) with every open report on the same target, in one
/// transaction with the action, the admin action record and the notifications.
struct ReportService: Sendable {
    let services: AppServices
    let database: any Database

    static let notFound = Problem.notFound("The report")

    enum Action: String, Sendable {
        case removeContent = "remove_content"
        case warn
        case suspendAuthor = "suspend_author"
    }

    /// A new report, or the reporter's open one on the same target (`created` false).
    func file(by reporter: Caller, type: ReportTargetType, targetID rawTargetID: String, reason: String, details rawDetails: String?, now: Date = Date()) async throws -> (ContentReport, created: Bool) {
        guard let targetID = UUID(uuidString: rawTargetID),
            try await ReportTargets.implementation(for: type).isVisible(targetID, to: reporter, on: database)
        else { throw Problem.notFound("The reported \(type.rawValue.replacingOccurrences(of: "_", with: " "))") }
        let details = try rawDetails.map { try TextInput.clean($0, field: "details", shape: .multiLine, length: 0...2000) }
        if let open = try await openReport(of: reporter.userID, type: type, targetID: targetID) { return (open, false) }
        let report = ContentReport()
        report.id = UUID.v7(now: now)
        report.reporterID = reporter.userID
        report.targetType = type.rawValue
        report.targetID = targetID
        report.reason = reason
        report.details = details?.isEmpty == true ? nil : details
        report.status = .open
        report.createdAt = now
        do {
            try await report.create(on: database)
        } catch {
            // The same reporter, concurrently: the unique index kept one; answer it.
            if let open = try await openReport(of: reporter.userID, type: type, targetID: targetID) { return (open, false) }
            throw error
        }
        return (report, true)
    }

    struct Queued: Sendable {
        let report: ContentReport
        let reporter: UserSummaryColumns.Row?
        let author: UserSummaryColumns.Row?
        let openOnTarget: Int
        let content: ReportedContent
    }

    func queue(status: ContentReport.Status, type: ReportTargetType?, page: PageRequest) async throws -> (items: [Queued], total: Int) {
        var filters: [SQLQueryString] = ["r.status = \(bind: status.rawValue)"]
        if let type { filters.append("r.target_type = \(bind: type.rawValue)") }
        let sql = database.sql
        let rows = try await sql.raw("""
            SELECT r.id, (SELECT COUNT(*) FROM content_reports o
                          WHERE o.target_type = r.target_type AND o.target_id = r.target_id AND o.status = 'open') AS open_on_target,
                   COUNT(*) OVER () AS total_count
            FROM content_reports r
            WHERE \(filters.joined(separator: " AND "))
            ORDER BY open_on_target DESC, r.created_at, r.id \(page.sqlClause)
            """).all()
        // The page's reports in one read; the open counts came with the page.
        let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
        let reports = Dictionary(
            try await ContentReport.query(on: database).filter(\.$id ~~ ids).all().map { ($0.id!, $0) }, uniquingKeysWith: { first, _ in first })
        var items: [Queued] = []
        for row in rows {
            guard let report = reports[try row.decode(column: "id", as: UUID.self)] else { continue }
            items.append(try await queued(report, openOnTarget: try row.decode(column: "open_on_target", as: Int.self)))
        }
        if let first = rows.first { return (items, try first.decode(column: "total_count", as: Int.self)) }
        let total = try await sql.raw("SELECT COUNT(*) AS n FROM content_reports r WHERE \(filters.joined(separator: " AND "))").first()?
            .decode(column: "n", as: Int.self) ?? 0
        return (items, total)
    }

    func queued(_ id: UUID) async throws -> Queued {
        guard let report = try await ContentReport.find(id, on: database), let type = ReportTargetType(rawValue: report.targetType) else {
            throw Self.notFound
        }
        return try await queued(report, openOnTarget: try await Self.openCount(on: type, id: report.targetID, on: database))
    }

    /// The report with its reporter, and its target as it is now with its author.
    private func queued(_ report: ContentReport, openOnTarget: Int) async throws -> Queued {
        guard let type = ReportTargetType(rawValue: report.targetType) else { throw Self.notFound }
        let reporter = try await UserReads.summary(id: report.reporterID, on: database)
        let content = try await ReportTargets.implementation(for: type).snapshot(report.targetID, on: database)
        var author: UserSummaryColumns.Row?
        if let authorID = content.authorID { author = try await UserReads.summary(id: authorID, on: database) }
        return Queued(report: report, reporter: reporter, author: author, openOnTarget: openOnTarget, content: content)
    }

    func resolve(_ rawID: String, action: Action, note rawNote: String, suspendDays: Int?, admin: AdminCaller, now: Date = Date()) async throws -> Queued {
        let note = try TextInput.clean(rawNote, field: "note", shape: .multiLine, length: 1...2000)
        if let suspendDays, !(1...3650).contains(suspendDays) { throw Problem.validation(field: "suspend_days", "must be 1 to 3650") }
        let report = try await openReport(rawID)
        guard let type = ReportTargetType(rawValue: report.targetType) else { throw Self.notFound }
        let target = ReportTargets.implementation(for: type)
        let content = try await target.snapshot(report.targetID, on: database)
        try await database.transaction { tx in
            switch action {
            case .removeContent:
                try await target.remove(report.targetID, reason: note, admin: admin, services: services, on: tx)
            case .warn:
                guard let author = content.authorID else { throw Self.noAuthor }
                try await Notifier.notify(.init(
                    .system, to: author, actor: nil, target: (type.rawValue, report.targetID), subject: "A warning from the moderators",
                    detail: note, link: content.link ?? "/"), on: tx, now: now)
            case .suspendAuthor:
                guard let author = content.authorID else { throw Self.noAuthor }
                _ = try await UserSuspensions(services: services, database: tx).suspend(
                    author.uuidString, reason: note, until: suspendDays.map { now.addingTimeInterval(Double($0) * 86_400) }, admin: admin)
            }
            try await close(report, status: .resolved, action: action.rawValue, note: note, admin: admin, on: tx, now: now)
        }
        return try await queued(report.id!)
    }

    func dismiss(_ rawID: String, note rawNote: String, admin: AdminCaller, now: Date = Date()) async throws -> Queued {
        let note = try TextInput.clean(rawNote, field: "note", shape: .multiLine, length: 1...2000)
        let report = try await openReport(rawID)
        try await database.transaction { tx in
            try await close(report, status: .dismissed, action: nil, note: note, admin: admin, on: tx, now: now)
        }
        return try await queued(report.id!)
    }

    /// Open reports on one target (admin views).
    static func openCount(on type: ReportTargetType, id: UUID, on database: any Database) async throws -> Int {
        try await database.sql.raw("""
            SELECT COUNT(*) AS n FROM content_reports WHERE target_type = \(bind: type.rawValue) AND target_id = \(bind: id) AND status = 'open'
            """).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    // MARK: -

    static let noAuthor = Problem.conflict("no-author", "Nobody to act on", detail: "The reported content has no author any more.")

    private func openReport(_ rawID: String) async throws -> ContentReport {
        guard let id = UUID(uuidString: rawID), let report = try await ContentReport.find(id, on: database) else { throw Self.notFound }
        guard report.status == .open else {
            throw Problem.conflict("report-already-decided", "Already decided", detail: "This report was \(report.status.rawValue) already.")
        }
        return report
    }

    private func openReport(of reporterID: UUID, type: ReportTargetType, targetID: UUID) async throws -> ContentReport? {
        try await ContentReport.query(on: database)
            .filter(\.$reporterID == reporterID).filter(\.$targetType == type.rawValue).filter(\.$targetID == targetID)
            .filter(\.$status == .open).first()
    }

    /// Closes every open report on the report's target; the one decided first wins a race (the others find it closed).
    private func close(_ report: ContentReport, status: ContentReport.Status, action: String?, note: String, admin: AdminCaller, on tx: any Database, now: Date) async throws {
        let sql = tx.sql
        let closed = try await sql.raw("""
            UPDATE content_reports SET status = \(bind: status.rawValue), action = \(bind: action), note = \(bind: note),
                handled_by = \(bind: admin.caller.userID), handled_at = \(bind: now)
            WHERE target_type = \(bind: report.targetType) AND target_id = \(bind: report.targetID) AND status = 'open' RETURNING id
            """).all()
        guard !closed.isEmpty else {
            throw Problem.conflict("report-already-decided", "Already decided", detail: "Another admin decided this report a moment ago.")
        }
        try await AdminAudit.record(
            admin: admin, action: status == .resolved ? "report.resolve" : "report.dismiss", targetType: "report",
            targetID: report.id!.uuidString.lowercased(), before: #"{"status":"open"}"#,
            after: #"{"status":"\#(status.rawValue)","action":"\#(action ?? "none")","reports_closed":\#(closed.count)}"#, on: tx)
    }
}
