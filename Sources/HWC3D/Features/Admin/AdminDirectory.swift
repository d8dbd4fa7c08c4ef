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

    /// An SQL expression, true when the user whose id is in `userIDColumn` holds an admin role: for one-statement
    /// reads that span features (the caller of a request).
    static func isAdminExpression(userIDColumn: String) -> SQLQueryString {
        "EXISTS (SELECT 1 FROM admin_users a WHERE a.user_id = \(unsafeRaw: userIDColumn))"
    }
}
