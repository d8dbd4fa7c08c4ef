import Fluent
import Foundation

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
        guard let user = try await User.find(id, on: database), user.status != .deleted else { return nil }
        return MailRecipient(id: id, displayName: user.displayName, email: user.email)
    }
}
