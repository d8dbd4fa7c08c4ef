import Fluent
import Foundation
import Vapor

/// The admin roles and what each may do: the one table every `/admin` route is checked against.
enum AdminRole: String, CaseIterable, Sendable, Codable {
    case superAdmin = "super_admin"
    case admin, moderator, support, finance

    var permissions: Set<AdminPermission> {
        switch self {
        case .superAdmin: Set(AdminPermission.allCases)
        case .admin:
            [.usersRead, .usersWrite, .modelsModerate, .communitiesModerate, .reportsHandle, .supportHandle,
             .financeRead, .contentWrite, .auditRead]
        case .moderator: [.usersRead, .modelsModerate, .communitiesModerate, .reportsHandle]
        case .support: [.usersRead, .supportHandle]
        case .finance: [.usersRead, .financeRead, .financeWrite]
        }
    }
}

/// The permissions of API.md. Each is required by at least one route's `x-policy`, or waits in `awaitingRoutes`
/// for the routes that will need it (RoutePolicyTests holds both lists to that).
enum AdminPermission: String, CaseIterable, Sendable, Codable {
    case usersRead = "users.read"
    case usersWrite = "users.write"
    case modelsModerate = "models.moderate"
    case communitiesModerate = "communities.moderate"
    case reportsHandle = "reports.handle"
    case supportHandle = "support.handle"
    case financeRead = "finance.read"
    case financeWrite = "finance.write"
    case contentWrite = "content.write"
    case settingsWrite = "settings.write"
    case adminsManage = "admins.manage"
    case auditRead = "audit.read"

    /// Part of the role table the frontend shows, but no route built yet needs them: user and admin management,
    /// communities and reports, the support desk, site content and the audit log come with their issues. A
    /// permission leaves this list in the change that gives it a route.
    static let awaitingRoutes: Set<AdminPermission> = [
        .supportHandle, .contentWrite, .adminsManage, .auditRead,
    ]
}

extension AdminUser {
    var adminRole: AdminRole { AdminRole(rawValue: role) ?? .support }

    var permissions: Set<AdminPermission> {
        adminRole.permissions.union(extraPermissions.compactMap(AdminPermission.init(rawValue:)))
    }
}

/// An admin who passed both factors in this session, with their permissions.
struct AdminCaller: Sendable {
    let caller: Caller
    let admin: AdminUser

    func require(_ permission: AdminPermission) throws {
        guard admin.permissions.contains(permission) else {
            throw Problem.forbidden("This action needs the \(permission.rawValue) permission.")
        }
    }
}

private struct AdminCallerKey: StorageKey {
    typealias Value = AdminCaller
}

extension Request {
    /// The admin the route policy admitted, if it was an admin route.
    var admittedAdmin: AdminCaller? { storage[AdminCallerKey.self] }

    /// The admin behind this request, resolved once: the route policy checks it before the handler runs, and the
    /// handler's own call reuses the answer.
    func requireAdminCaller() async throws -> AdminCaller {
        if let cached = storage[AdminCallerKey.self] { return cached }
        let admin = try await requireCaller().requireAdmin(on: db)
        storage[AdminCallerKey.self] = admin
        return admin
    }
}

extension Caller {
    /// Whether this caller is in an admin session (second factor passed) holding `permission`: how other features
    /// ask, for the rules where a moderator sees more (drafts, taken-down models) than everyone else.
    func holds(_ permission: AdminPermission, on database: any Database) async throws -> Bool {
        guard isAdmin, isAdminSession, let admin = try await AdminDirectory.record(of: userID, on: database) else { return false }
        return admin.permissions.contains(permission)
    }

    /// `/admin` needs an admin record and a session opened through the second factor; anything else is 403.
    func requireAdmin(on database: any Database) async throws -> AdminCaller {
        guard isAdminSession, let admin = try await AdminDirectory.record(of: userID, on: database) else {
            throw Problem.forbidden("This endpoint needs an admin session signed in with a second factor.")
        }
        return AdminCaller(caller: self, admin: admin)
    }
}
