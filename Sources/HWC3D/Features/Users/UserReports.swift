import Fluent
import Foundation

/// Reports on accounts (`ReportableContent`): any account not erased; removal is a suspension.
struct UserReports: ReportableContent {
    func isVisible(_ id: UUID, to viewer: Caller, on database: any Database) async throws -> Bool {
        try await UserDirectory.isActive(id, on: database)
    }

    func snapshot(_ id: UUID, on database: any Database) async throws -> ReportedContent {
        guard let user = try await UserReads.user(id: id, on: database) else { return .gone }
        return ReportedContent(
            exists: true, removed: user.status != .active, title: user.displayName, text: user.bio, authorID: id,
            link: "/users/\(user.username)")
    }

    func remove(_ id: UUID, reason: String, admin: AdminCaller, services: AppServices, on database: any Database) async throws {
        _ = try await UserSuspensions(services: services, database: database).suspend(id.uuidString, reason: reason, until: nil, admin: admin)
    }
}
