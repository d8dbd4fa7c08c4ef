import Fluent
import Foundation
import HWC3DAPI
import SQLKit
import Vapor

/// `/admin/models`: the review queue and moderation decisions. Every route needs `models.moderate`.
extension APIHandler {
    func adminListModels(_ input: Operations.AdminListModels.Input) async throws -> Operations.AdminListModels.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        var conditions: [SQLQueryString] = ["m.deleted_at IS NULL"]
        if let status = input.query.status {
            guard ModelAsset.Status(rawValue: status) != nil else {
                throw Problem.validation(field: "status", "must be one of \(ModelAsset.Status.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            conditions.append("m.status = \(bind: status)")
        } else {
            conditions.append("m.status <> 'draft'")
        }
        if let q = input.query.q?.trimmingCharacters(in: .whitespaces), !q.isEmpty {
            guard q.count <= 200 else { throw Problem.validation(field: "q", "must be at most 200 characters") }
            let pattern = SQLLikePattern.containing(q.lowercased())
            conditions.append("(LOWER(m.title) LIKE \(pattern) OR m.slug LIKE \(pattern) OR u.username_key LIKE \(pattern))")
        }
        let filter = conditions.dropFirst().reduce(conditions[0]) { $0 + " AND " + $1 }
        let sql = req.db.sql
        let total = try await sql.raw("SELECT COUNT(*) AS n FROM models m \(UserReads.join(alias: "u", on: "m.owner_id")) WHERE \(filter)")
            .first()?.decode(column: "n", as: Int.self) ?? 0
        // Waiting longest first: the review queue is first come, first served.
        let rows = try await sql.raw("""
            SELECT m.id, m.submitted_at, u.email, \(ModerationSQL.openReports(on: .model, idColumn: "m.id")) AS reports_count,
                   \(LikelyCopies.count(modelIDColumn: "m.id")) AS likely_copy_count FROM models m \(UserReads.join(alias: "u", on: "m.owner_id")) WHERE \(filter)
            ORDER BY CASE WHEN m.status = 'pending_review' THEN 0 ELSE 1 END,
                     CASE WHEN m.status = 'pending_review' THEN m.submitted_at END ASC, m.created_at DESC, m.id DESC
            \(page.sqlClause)
            """).all()
        let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
        let cardsByID = try await ModelCards.loadByID(ids: ids, on: sql, settings: services.settings)
        var items: [Components.Schemas.AdminModelListItem] = []
        for row in rows {
            guard let card = cardsByID[try row.decode(column: "id", as: UUID.self)] else { continue }
            items.append(.init(
                model: card, ownerEmail: try row.decode(column: "email", as: String.self),
                submittedAt: try row.decode(column: "submitted_at", as: Date?.self),
                reportsCount: try row.decode(column: "reports_count", as: Int.self),
                likelyCopyCount: try row.decode(column: "likely_copy_count", as: Int.self)))
        }
        return .ok(.init(body: .json(.init(items: items, meta: page.meta(total: total)))))
    }

    func adminGetModel(_ input: Operations.AdminGetModel.Input) async throws -> Operations.AdminGetModel.Output {
        let (_, model) = try await moderatedModel(input.path.id)
        let req = try request
        let caller = try signedIn
        let detail = try await ModelDetails(services: services, database: req.db).load(model, for: caller)
        let ownerEmail = try await UserDirectory.email(of: model.$owner.id, on: req.db)
        return .ok(.init(body: .json(.init(
            model: detail, ownerEmail: ownerEmail ?? "",
            history: try await ModelModeration.history(of: model.requireID(), on: req.db),
            reportsCount: try await ReportService.openCount(on: .model, id: model.requireID(), on: req.db),
            likelyCopies: try await LikelyCopies.of(modelID: model.requireID(), on: req.db.sql, settings: services.settings)))))
    }

    func adminApproveModel(_ input: Operations.AdminApproveModel.Input) async throws -> Operations.AdminApproveModel.Output {
        let notACopy = if case .json(let body)? = input.body { body.notACopy ?? false } else { false }
        let (admin, model) = try await moderatedModel(input.path.id)
        let req = try request
        let decided = try await ModelModeration(services: services, database: req.db, admin: admin).approve(model, notACopy: notACopy)
        return .ok(.init(body: .json(try await ModelDetails(services: services, database: req.db).load(decided, for: admin.caller))))
    }

    func adminRejectModel(_ input: Operations.AdminRejectModel.Input) async throws -> Operations.AdminRejectModel.Output {
        let body = switch input.body { case .json(let json): json }
        let (admin, model) = try await moderatedModel(input.path.id)
        let req = try request
        let decided = try await ModelModeration(services: services, database: req.db, admin: admin).reject(model, reason: body.reason)
        return .ok(.init(body: .json(try await ModelDetails(services: services, database: req.db).load(decided, for: admin.caller))))
    }

    func adminFeatureModel(_ input: Operations.AdminFeatureModel.Input) async throws -> Operations.AdminFeatureModel.Output {
        let body = switch input.body { case .json(let json): json }
        let (admin, model) = try await moderatedModel(input.path.id)
        let req = try request
        let decided = try await ModelModeration(services: services, database: req.db, admin: admin).feature(model, featured: body.featured)
        return .ok(.init(body: .json(try await ModelDetails(services: services, database: req.db).load(decided, for: admin.caller))))
    }

    func adminTakedownModel(_ input: Operations.AdminTakedownModel.Input) async throws -> Operations.AdminTakedownModel.Output {
        let body = switch input.body { case .json(let json): json }
        let (admin, model) = try await moderatedModel(input.path.id)
        let req = try request
        let decided = try await ModelModeration(services: services, database: req.db, admin: admin).takeDown(model, reason: body.reason)
        return .ok(.init(body: .json(try await ModelDetails(services: services, database: req.db).load(decided, for: admin.caller))))
    }

    /// The admin (with `models.moderate`) and the model, whatever its status; deleted models are gone for everyone.
    private func moderatedModel(_ key: String) async throws -> (AdminCaller, ModelAsset) {
        let req = try request
        let admin = try self.admin
        guard let model = try await ModelAccess.find(key, on: req.db, allowSlug: false), model.deletedAt == nil else {
            throw ModelAccess.notFound
        }
        return (admin, model)
    }
}
