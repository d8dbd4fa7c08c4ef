import Fluent
import Foundation
import SQLKit

/// Whether someone holds an admin role, for the features that must know (sign-in, the caller of a request)
/// without reading `admin_users` themselves.
enum AdminDirectory {
    /// A person's admin record: role and extra permissions. The one lookup every admin check starts from.
    static func record(of userID: UUID, on database: any Database) async throws -> AdminUser? {
        try await AdminUser.query(on: database).filter(\.$user.$id == userID).first()
    }

    static func isAdmin(_ userID: UUID, on database: any Database) async throws -> Bool {
        try await record(of: userID, on: database) != nil
    }

    /// Every admin's role by user id: the admin list of users marks and filters admins with it. Admins are a
    /// handful of people, so one read of them all is cheaper than a join per page.
    static func roles(on database: any Database) async throws -> [UUID: String] {
        Dictionary(try await AdminUser.query(on: database).all().map { ($0.$user.id, $0.role) }, uniquingKeysWith: { first, _ in first })
    }

    /// An SQL expression, true when the user whose id is in `userIDColumn` holds an admin role: for one-statement
    /// reads that span features (the caller of a request).
    static func isAdminExpression(userIDColumn: String) -> SQLQueryString {
        "EXISTS (SELECT 1 FROM admin_users a WHERE a.user_id = \(unsafeRaw: userIDColumn))"
    }
}
