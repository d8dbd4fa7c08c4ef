import Fluent
import Foundation
import SQLKit

/// Whether someone holds an admin role, for the features that must know (sign-in, the caller of a request)
/// without reading `admin_users` themselves.
enum AdminDirectory {
    static func isAdmin(_ userID: UUID, on database: any Database) async throws -> Bool {
        try await AdminUser.query(on: database).filter(\.$user.$id == userID).count() > 0
    }

    /// An SQL expression, true when the user whose id is in `userIDColumn` holds an admin role: for one-statement
    /// reads that span features (the caller of a request).
    static func isAdminExpression(userIDColumn: String) -> SQLQueryString {
        "EXISTS (SELECT 1 FROM admin_users a WHERE a.user_id = \(unsafeRaw: userIDColumn))"
    }
}
