import Fluent
import Foundation
import HWC3DAPI
import SQLKit
import Vapor

/// The admin console's view of accounts: the people list, searched and filtered.
extension APIHandler {
    func adminListUsers(_ input: Operations.AdminListUsers.Input) async throws -> Operations.AdminListUsers.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let query = User.query(on: req.db)
        if let q = input.query.q?.trimmingCharacters(in: .whitespaces), !q.isEmpty {
            guard q.count <= 100 else { throw Problem.validation(field: "q", "must be at most 100 characters") }
            let pattern = SQLLikePattern.containing(q.lowercased())
            query.group(.or) { group in
                group.filter(.sql(SQLBinaryExpression(SQLIdentifier("email"), .like, pattern)))
                group.filter(.sql(SQLBinaryExpression(SQLIdentifier("username_key"), .like, pattern)))
                group.filter(.sql(SQLBinaryExpression(SQLFunction("lower", args: SQLIdentifier("display_name")), .like, pattern)))
            }
        }
        if let status = input.query.status, let mapped = User.Status(rawValue: status.rawValue) { query.filter(\.$status == mapped) }
        if let verified = input.query.verified {
            if verified { query.filter(\.$emailVerifiedAt != nil) } else { query.filter(\.$emailVerifiedAt == nil) }
        }
        let rolesByUser = try await AdminDirectory.roles(on: req.db)
        if let isAdmin = input.query.isAdmin {
            let ids = Array(rolesByUser.keys)
            if isAdmin { query.filter(\.$id ~~ ids) } else { query.filter(\.$id !~ ids) }
        }
        let total = try await query.count()
        switch input.query.sort ?? .newest {
        case .newest: query.sort(\.$createdAt, .descending)
        case .oldest: query.sort(\.$createdAt, .ascending)
        case .username: query.sort(\.$usernameKey)
        case .email: query.sort(\.$email)
        case .lastLogin: query.sort(\.$lastLoginAt, .descending)
        }
        let users = try await query.range(page.rows).all()
        let items = users.map { user in
            Components.Schemas.AdminUserListItem(
                id: user.id!.uuidString.lowercased(), email: user.email, username: user.username, displayName: user.displayName,
                emailVerified: user.isEmailVerified, status: .init(rawValue: user.status.rawValue) ?? .active,
                isAdmin: rolesByUser[user.id!] != nil, role: rolesByUser[user.id!].flatMap(Components.Schemas.AdminRole.init(rawValue:)),
                createdAt: user.createdAt ?? Date(), lastLoginAt: user.lastLoginAt)
        }
        return .ok(.init(body: .json(.init(items: items, meta: page.meta(total: total)))))
    }
}
