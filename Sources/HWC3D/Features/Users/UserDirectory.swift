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
    static func recipient(_ id: UUID, on database: any Database) async throws -> MailRecipient? {
        guard let user = try await User.find(id, on: database), user.status != .deleted else { return nil }
        return MailRecipient(id: id, displayName: user.displayName, email: user.email)
    }
}
