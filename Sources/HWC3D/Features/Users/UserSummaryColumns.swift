import Foundation
import HWC3DAPI
import SQLKit

/// The `users` columns a `UserSummary` needs, selected under a prefix next to other tables' columns, so lists of
/// likes and comments get their people in the same query instead of one lookup per row.
enum UserSummaryColumns {
    static let columns = ["id", "username", "display_name", "avatar_key", "is_creator"]

    /// `u.id AS u_id, u.username AS u_username, …`
    static func select(from alias: String, prefix: String) -> String {
        columns.map { "\(alias).\($0) AS \(prefix)\($0)" }.joined(separator: ", ")
    }

    struct Row: Sendable {
        let id: UUID
        let username: String
        let displayName: String
        let avatarKey: String?
        let isCreator: Bool

        init(from row: any SQLRow, prefix: String) throws {
            id = try row.decode(column: prefix + "id", as: UUID.self)
            username = try row.decode(column: prefix + "username", as: String.self)
            displayName = try row.decode(column: prefix + "display_name", as: String.self)
            avatarKey = try row.decode(column: prefix + "avatar_key", as: String?.self)
            isCreator = try row.decode(column: prefix + "is_creator", as: Bool.self)
        }

        init(_ user: User) {
            id = user.id!
            username = user.username
            displayName = user.displayName
            avatarKey = user.avatarKey
            isCreator = user.isCreator
        }
    }
}

extension Components.Schemas.UserSummary {
    init(_ row: UserSummaryColumns.Row, settings: Settings) {
        self.init(
            id: row.id.uuidString.lowercased(), username: row.username, displayName: row.displayName,
            avatarUrl: UserMedia.url(for: row.avatarKey, settings: settings), isCreator: row.isCreator)
    }
}
