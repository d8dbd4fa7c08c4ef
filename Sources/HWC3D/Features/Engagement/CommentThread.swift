import Foundation
import HWC3DAPI
import SQLKit

/// A comment as readers see it, on a model or on a post: a placeholder (`deleted`) carries no body and no author.
/// Both comment threads read the same columns (`id`, `body`, `created_at`, `edited_at`, `deleted_at` and the
/// author's `UserSummaryColumns` under "u_") and answer the same contract types.
struct CommentEntry: Sendable {
    let id: UUID
    let parentID: UUID?
    let body: String?
    let author: UserSummaryColumns.Row?
    let deleted: Bool
    let createdAt: Date
    let editedAt: Date?
    var replies: [CommentEntry]

    init(id: UUID, parentID: UUID?, body: String?, author: UserSummaryColumns.Row?, deleted: Bool, createdAt: Date, editedAt: Date?, replies: [CommentEntry]) {
        self.id = id
        self.parentID = parentID
        self.body = body
        self.author = author
        self.deleted = deleted
        self.createdAt = createdAt
        self.editedAt = editedAt
        self.replies = replies
    }

    init(row: any SQLRow, parentID: UUID?) throws {
        let deleted = try row.decode(column: "deleted_at", as: Date?.self) != nil
        self.init(
            id: try row.decode(column: "id", as: UUID.self), parentID: parentID,
            body: deleted ? nil : try row.decode(column: "body", as: String.self),
            author: deleted ? nil : try UserSummaryColumns.Row(from: row, prefix: "u_"), deleted: deleted,
            createdAt: try row.decode(column: "created_at", as: Date.self),
            editedAt: deleted ? nil : try row.decode(column: "edited_at", as: Date?.self), replies: [])
    }
}

/// The read of a comment thread, one reply level, for every feature that keeps one (model comments here, post
/// comments in Communities). The owner of the table passes its name and the filter for the thing commented on, so
/// the statement is the owner's; the shape of the thread and how a page is cut are written once.
/// The table has `id`, `parent_id`, `author_id`, `body`, `created_at`, `edited_at` and `deleted_at`. Comments of
/// suspended or erased accounts are left out while they are.
struct CommentThread {
    /// The comments table, as its owner names it.
    let table: SQLQueryString
    /// The thread's comments under the alias `c`: `c.model_id = $1`.
    let scope: SQLQueryString

    /// One page of top-level comments, oldest first, with all their replies: two statements whatever the page
    /// size (a third only to count when the page is past the end). A deleted comment with visible replies stays as
    /// a placeholder.
    func page(_ page: PageRequest, on database: any SQLDatabase) async throws -> (items: [CommentEntry], total: Int) {
        let shown: SQLQueryString = """
            FROM \(table) c \(UserReads.join(alias: "u", on: "c.author_id"))
            WHERE \(scope) AND c.parent_id IS NULL AND \(UserReads.isActive("u"))
              AND (c.deleted_at IS NULL
                   OR EXISTS (SELECT 1 FROM \(table) r WHERE r.parent_id = c.id AND r.deleted_at IS NULL))
            """
        let rows = try await database.raw("""
            SELECT c.id, c.body, c.created_at, c.edited_at, c.deleted_at,
                   \(unsafeRaw: UserSummaryColumns.select(from: "u", prefix: "u_")), COUNT(*) OVER () AS total_count
            \(shown)
            ORDER BY c.created_at, c.id \(page.sqlClause)
            """).all()
        guard let first = rows.first else {
            let total = try await database.raw("SELECT COUNT(*) AS total_count \(shown)").first()?
                .decode(column: "total_count", as: Int.self) ?? 0
            return ([], total)
        }
        let total = try first.decode(column: "total_count", as: Int.self)
        var items = try rows.map { try CommentEntry(row: $0, parentID: nil) }
        let replies = try await replies(of: items.map(\.id), on: database)
        for index in items.indices { items[index].replies = replies[items[index].id] ?? [] }
        return (items, total)
    }

    /// Visible replies of the given top-level comments, oldest first, grouped by parent: one statement.
    func replies(of parentIDs: [UUID], on database: any SQLDatabase) async throws -> [UUID: [CommentEntry]] {
        guard !parentIDs.isEmpty else { return [:] }
        let rows = try await database.raw("""
            SELECT c.id, c.parent_id, c.body, c.created_at, c.edited_at, c.deleted_at,
                   \(unsafeRaw: UserSummaryColumns.select(from: "u", prefix: "u_"))
            FROM \(table) c \(UserReads.join(alias: "u", on: "c.author_id"))
            WHERE c.parent_id IN (\(binds: parentIDs)) AND c.deleted_at IS NULL AND \(UserReads.isActive("u"))
            ORDER BY c.created_at, c.id
            """).all()
        var grouped: [UUID: [CommentEntry]] = [:]
        for row in rows {
            let parentID = try row.decode(column: "parent_id", as: UUID.self)
            grouped[parentID, default: []].append(try CommentEntry(row: row, parentID: parentID))
        }
        return grouped
    }
}

extension Components.Schemas.Comment {
    init(_ entry: CommentEntry, settings: Settings) {
        self.init(
            id: entry.id.uuidString.lowercased(), parentId: entry.parentID?.uuidString.lowercased(), body: entry.body,
            author: entry.author.map { .init($0, settings: settings) }, deleted: entry.deleted, createdAt: entry.createdAt,
            editedAt: entry.editedAt, replies: entry.replies.map { .init($0, settings: settings) })
    }
}

extension Components.Schemas.CommentReply {
    init(_ entry: CommentEntry, settings: Settings) {
        self.init(
            id: entry.id.uuidString.lowercased(), parentId: entry.parentID?.uuidString.lowercased(), body: entry.body,
            author: entry.author.map { .init($0, settings: settings) }, deleted: entry.deleted, createdAt: entry.createdAt,
            editedAt: entry.editedAt)
    }
}
