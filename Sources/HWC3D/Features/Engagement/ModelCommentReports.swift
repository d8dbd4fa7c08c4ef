import Fluent
import Foundation

/// Reports on model comments (`ReportableContent`): visible while the comment and its model are; removal deletes
/// it as a moderator would.
struct ModelCommentReports: ReportableContent {
    func isVisible(_ id: UUID, to viewer: Caller, on database: any Database) async throws -> Bool {
        guard let comment = try await ModelComment.find(id, on: database), comment.deletedAt == nil else { return false }
        return (try? await ModelAccess.visible(comment.$model.id.uuidString, caller: viewer, on: database)) != nil
    }

    func snapshot(_ id: UUID, on database: any Database) async throws -> ReportedContent {
        guard let comment = try await ModelComment.find(id, on: database) else { return .gone }
        let model = try await ModelAccess.model(comment.$model.id, on: database)
        return ReportedContent(
            exists: true, removed: comment.deletedAt != nil, title: model?.title, text: comment.body, authorID: comment.$author.id,
            link: model.map { "/models/\($0.slug)#comment-\(id.uuidString.lowercased())" })
    }

    func remove(_ id: UUID, reason: String, admin: AdminCaller, services: AppServices, on database: any Database) async throws {
        guard let comment = try await ModelComment.find(id, on: database), comment.deletedAt == nil else { return }
        try await ModelCommentService(database: database).markDeleted(comment)
    }
}
