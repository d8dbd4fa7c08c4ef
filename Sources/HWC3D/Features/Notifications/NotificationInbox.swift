import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// A user's notifications: the list, the unread count, marking read and deleting. Every statement is scoped to
/// the caller's own rows, so another user's notification id answers 404, like one that does not exist.
struct NotificationInbox: Sendable {
    let database: any Database
    let userID: UUID

    static let notFound = Problem.notFound("The notification")

    /// Newest change first; `unread` keeps the unread ones, `type` one type. One statement (a second to count
    /// past the last page).
    func page(unread: Bool, type: NotificationType?, page: PageRequest, settings: Settings) async throws -> (items: [Components.Schemas.Notification], total: Int) {
        var filters: [SQLQueryString] = ["n.user_id = \(bind: userID)"]
        if unread { filters.append("n.read_at IS NULL") }
        if let type { filters.append("n.type = \(bind: type.rawValue)") }
        let sql = database.sql
        let rows = try await sql.raw("""
            SELECT \(Self.columns), COUNT(*) OVER () AS total_count
            FROM notifications n \(Self.actorJoin)
            WHERE \(filters.joined(separator: " AND "))
            ORDER BY n.updated_at DESC, n.id DESC \(page.sqlClause)
            """).all()
        guard let first = rows.first else {
            let total = try await sql.raw("SELECT COUNT(*) AS total_count FROM notifications n WHERE \(filters.joined(separator: " AND "))")
                .first()?.decode(column: "total_count", as: Int.self) ?? 0
            return ([], total)
        }
        return (try rows.map { try Self.notification($0, settings: settings) }, try first.decode(column: "total_count", as: Int.self))
    }

    func one(_ id: UUID, settings: Settings) async throws -> Components.Schemas.Notification? {
        try await database.preparedFirst("""
            SELECT \(Self.columns) FROM notifications n \(Self.actorJoin) WHERE n.id = \(bind: id) AND n.user_id = \(bind: userID)
            """).map { try Self.notification($0, settings: settings) }
    }

    func unreadCount() async throws -> Int {
        try await database.preparedFirst("""
            SELECT COUNT(*) AS unread FROM notifications WHERE user_id = \(bind: userID) AND read_at IS NULL
            """)?.decode(column: "unread", as: Int.self) ?? 0
    }

    func markRead(_ rawID: String, now: Date = Date()) async throws {
        guard let id = UUID(uuidString: rawID) else { throw Self.notFound }
        try await database.transaction { tx in
            let sql = tx.sql
            let found = try await sql.raw("""
                SELECT read_at FROM notifications WHERE id = \(bind: id) AND user_id = \(bind: userID)
                """).first()
            guard let found else { throw Self.notFound }
            guard try found.decode(column: "read_at", as: Date?.self) == nil else { return }
            try await sql.raw("UPDATE notifications SET read_at = \(bind: now) WHERE id = \(bind: id)").run()
            try await NotificationFeed.read([id], of: userID, on: tx, now: now)
        }
    }

    /// How many were marked.
    @discardableResult
    func markAllRead(now: Date = Date()) async throws -> Int {
        try await database.transaction { tx in
            let sql = tx.sql
            let marked = try await sql.raw("""
                UPDATE notifications SET read_at = \(bind: now) WHERE user_id = \(bind: userID) AND read_at IS NULL RETURNING id
                """).all()
            if !marked.isEmpty { try await NotificationFeed.read(nil, of: userID, on: tx, now: now) }
            return marked.count
        }
    }

    func delete(_ rawID: String) async throws {
        guard let id = UUID(uuidString: rawID) else { throw Self.notFound }
        let sql = database.sql
        let deleted = try await sql.raw("DELETE FROM notifications WHERE id = \(bind: id) AND user_id = \(bind: userID) RETURNING id").all()
        guard !deleted.isEmpty else { throw Self.notFound }
    }

    // MARK: -

    static let columns: SQLQueryString = """
        n.id, n.type, n.target_type, n.target_id, n.actor_count, n.subject, n.detail, n.link, n.read_at, n.created_at, n.updated_at,
        \(unsafeRaw: UserSummaryColumns.select(from: "a", prefix: "a_"))
        """
    static let actorJoin: SQLQueryString = "LEFT \(UserReads.join(alias: "a", on: "n.actor_id"))"

    static func notification(_ row: any SQLRow, settings: Settings) throws -> Components.Schemas.Notification {
        let type = NotificationType(rawValue: try row.decode(column: "type", as: String.self)) ?? .system
        let actor = try row.decode(column: "a_id", as: UUID?.self) != nil ? try UserSummaryColumns.Row(from: row, prefix: "a_") : nil
        let actorCount = try row.decode(column: "actor_count", as: Int.self)
        let subject = try row.decode(column: "subject", as: String.self)
        let detail = try row.decode(column: "detail", as: String?.self)
        let targetID = try row.decode(column: "target_id", as: UUID?.self)
        let targetType = try row.decode(column: "target_type", as: String?.self)
        return .init(
            id: try row.decode(column: "id", as: UUID.self).uuidString.lowercased(),
            _type: .init(rawValue: type.rawValue) ?? .system,
            text: NotificationText.sentence(type: type, actor: actor?.displayName, others: max(0, actorCount - 1), subject: subject, detail: detail),
            actor: actor.map { .init($0, settings: settings) }, actorCount: actorCount,
            target: targetType.flatMap { type in targetID.map { .init(_type: type, id: $0.uuidString.lowercased()) } },
            subject: subject, detail: detail, link: try row.decode(column: "link", as: String.self),
            read: try row.decode(column: "read_at", as: Date?.self) != nil,
            createdAt: try row.decode(column: "created_at", as: Date.self), updatedAt: try row.decode(column: "updated_at", as: Date.self))
    }
}
