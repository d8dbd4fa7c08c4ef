import Fluent
import Foundation

/// The admin action log: every decision an admin (or the command line) takes, with before and after.
enum AdminAudit {
    static func record(admin: AdminCaller?, action: String, targetType: String, targetID: String?,
                       before: String? = nil, after: String? = nil, ip: String? = nil, on database: any Database) async throws {
        try await AdminAction(
            actorUserID: admin?.caller.userID, action: action, targetType: targetType, targetID: targetID,
            before: before, after: after, ip: ip ?? CurrentRequest.value?.clientIP
        ).create(on: database)
    }

    /// What admins did to one target, oldest first: a model's moderation history, for instance.
    static func history(targetType: String, targetID: UUID, on database: any Database) async throws -> [AdminAction] {
        try await AdminAction.query(on: database)
            .filter(\.$targetType == targetType).filter(\.$targetID == targetID.uuidString.lowercased())
            .sort(\.$createdAt).all()
    }
}
