import Fluent
import Foundation
import SQLKit

/// Whom to write to: the name and address other features put on an email, without reading `users` themselves.
struct MailRecipient: Sendable {
    let id: UUID
    let displayName: String
    let email: String
}

/// How other features look a person up. Erased accounts have no address any more and are nobody to write to.
enum UserDirectory {
    /// The accounts an admin means by a username or an email address (finance filters).
    static func ids(matching identifier: String, on database: any Database) async throws -> [UUID] {
        try await User.query(on: database).group(.or) {
            $0.filter(\.$usernameKey == identifier.lowercased()).filter(\.$email == AccountRules.normaliseEmail(identifier))
        }.all().compactMap(\.id)
    }

    /// The address on the account as stored (an erased account's is a placeholder), for admin views.
    static func email(of id: UUID, on database: any Database) async throws -> String? {
        try await User.find(id, on: database)?.email
    }

    static func recipient(_ id: UUID, on database: any Database) async throws -> MailRecipient? {
        // Three columns, not the whole account through Fluent: every sale queues two of these (issue 11).
        guard let row = try await database.preparedFirst("""
            SELECT display_name, email, status FROM users WHERE id = \(bind: id)
            """),
            try row.decode(column: "status", as: String.self) != User.Status.deleted.rawValue
        else { return nil }
        return MailRecipient(id: id, displayName: try row.decode(column: "display_name", as: String.self), email: try row.decode(column: "email", as: String.self))
    }

    /// Whether an account with this id exists and is not erased (a ban names a real person).
    static func exists(_ id: UUID, on database: any Database) async throws -> Bool {
        guard let row = try await database.preparedFirst("SELECT status FROM users WHERE id = \(bind: id)") else { return false }
        return try row.decode(column: "status", as: String.self) != User.Status.deleted.rawValue
    }

    /// Whether the account may be addressed now: active, not suspended or erased.
    static func isActive(_ id: UUID, on database: any Database) async throws -> Bool {
        guard let row = try await database.preparedFirst("SELECT status FROM users WHERE id = \(bind: id)") else { return false }
        return try row.decode(column: "status", as: String.self) == User.Status.active.rawValue
    }
}
