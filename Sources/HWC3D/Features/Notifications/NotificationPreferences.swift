import Fluent
import Foundation
import SQLKit

/// Per-type choices for in-app and email notifications; a type without a row has its defaults.
enum NotificationPreferences {
    struct Choice: Sendable, Equatable {
        var inApp: Bool
        var email: Bool
    }

    static func defaults(_ type: NotificationType) -> Choice {
        Choice(inApp: type.defaultInApp, email: type.defaultEmail)
    }

    static func choice(of userID: UUID, for type: NotificationType, on database: any Database) async throws -> Choice {
        guard let row = try await database.preparedFirst("""
            SELECT in_app, email FROM notification_preferences WHERE user_id = \(bind: userID) AND type = \(bind: type.rawValue)
            """)
        else { return defaults(type) }
        return Choice(inApp: try row.decode(column: "in_app", as: Bool.self), email: try row.decode(column: "email", as: Bool.self))
    }

    /// Every type with the user's choice, in the order of `NotificationType.allCases`.
    static func all(of userID: UUID, on database: any Database) async throws -> [(NotificationType, Choice)] {
        let sql = database.sql
        let rows = try await sql.raw("SELECT type, in_app, email FROM notification_preferences WHERE user_id = \(bind: userID)").all()
        var stored: [String: Choice] = [:]
        for row in rows {
            stored[try row.decode(column: "type", as: String.self)] = Choice(
                inApp: try row.decode(column: "in_app", as: Bool.self), email: try row.decode(column: "email", as: Bool.self))
        }
        return NotificationType.allCases.map { ($0, stored[$0.rawValue] ?? defaults($0)) }
    }

    /// Sets what is given and keeps the rest. The email of types that send their own transactional email cannot
    /// be turned off here (422).
    static func update(_ userID: UUID, changes: [(NotificationType, inApp: Bool?, email: Bool?)], on database: any Database, now: Date = Date()) async throws {
        for (type, _, email) in changes where type.hasOwnEmail && email == false {
            throw Problem.validation(field: "items", "\(type.rawValue): its email is a receipt or account notice and is always sent")
        }
        try await database.transaction { tx in
            for (type, inApp, email) in changes {
                var choice = try await choice(of: userID, for: type, on: tx)
                if let inApp { choice.inApp = inApp }
                if let email { choice.email = email }
                try await set(userID, type: type, choice: choice, on: tx, now: now)
            }
        }
    }

    static func set(_ userID: UUID, type: NotificationType, choice: Choice, on database: any Database, now: Date = Date()) async throws {
        let sql = database.sql
        try await sql.raw("""
            INSERT INTO notification_preferences (id, user_id, type, in_app, email, updated_at)
            VALUES (\(bind: UUID.v7(now: now)), \(bind: userID), \(bind: type.rawValue), \(bind: choice.inApp), \(bind: choice.email), \(bind: now))
            ON CONFLICT (user_id, type) DO UPDATE SET in_app = excluded.in_app, email = excluded.email, updated_at = excluded.updated_at
            """).run()
    }
}

/// The signed link in a notification email that turns that type's email off without signing in (RFC 8058's
/// one-click unsubscribe posts it). Keyed from the server secret; it names the user and the type and nothing else.
struct UnsubscribeToken {
    let secret: String

    func token(userID: UUID, type: NotificationType) -> String {
        SecretBox.mac(secret: secret, message: "unsubscribe:\(userID.uuidString.lowercased()):\(type.rawValue)")
    }

    func isValid(_ token: String, userID: UUID, type: NotificationType) -> Bool {
        constantTimeEquals(Array(token.utf8), Array(self.token(userID: userID, type: type).utf8))
    }

    /// The frontend page that confirms and posts the unsubscribe.
    func link(userID: UUID, type: NotificationType, settings: Settings) -> String {
        "\(settings.frontendURL)/notifications/unsubscribe?user=\(userID.uuidString.lowercased())&type=\(type.rawValue)&token=\(token(userID: userID, type: type))"
    }
}
