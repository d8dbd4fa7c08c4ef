import Fluent
import Foundation

/// Reports on models (`ReportableContent`): visible as `ModelAccess` says; removal is a takedown.
struct ModelReports: ReportableContent {
    func isVisible(_ id: UUID, to viewer: Caller, on database: any Database) async throws -> Bool {
        guard let model = try await ModelAsset.find(id, on: database) else { return false }
        if model.isPubliclyReachable { return true }
        return try await ModelAccess.canSeeAnything(viewer, model: model, on: database)
    }

    func snapshot(_ id: UUID, on database: any Database) async throws -> ReportedContent {
        guard let model = try await ModelAsset.find(id, on: database) else { return .gone }
        return ReportedContent(
            exists: true, removed: model.lifecycle == .takenDown || model.deletedAt != nil, title: model.title,
            text: model.description, authorID: model.$owner.id, link: "/models/\(model.slug)")
    }

    func remove(_ id: UUID, reason: String, admin: AdminCaller, services: AppServices, on database: any Database) async throws {
        guard let model = try await ModelAsset.find(id, on: database), model.lifecycle != .takenDown else { return }
        _ = try await ModelModeration(services: services, database: database, admin: admin).takeDown(model, reason: reason)
    }
}
