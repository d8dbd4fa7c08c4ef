import Fluent
import Foundation
import SQLKit

/// The rules of model comments: one reply level, a 15-minute edit window for the author, deletion by the
/// author, the model's owner or a moderator, and `models.comment_count` equal to the number of comments not
/// deleted (replies included; placeholders are not comments any more), moved in the same transaction as the row.
struct ModelCommentService: Sendable {
    static let editWindow: TimeInterval = 15 * 60
    static let maxLength = 5000

    let database: any Database

    func create(on model: ModelAsset, author: User, body: String, parentID rawParentID: String?, now: Date = Date()) async throws -> CommentEntry {
        let text = try Self.validBody(body)
        let parent: ModelComment? = if let rawParentID { try await validParent(rawParentID, modelID: model.id!) } else { nil }
        let parentID = parent?.id
        let id = UUID.v7(now: now)
        try await database.transaction { tx in
            let sql = tx.sql
            try await sql.raw("""
                INSERT INTO model_comments (id, model_id, author_id, parent_id, body, created_at)
                VALUES (\(bind: id), \(bind: model.id!), \(bind: author.id!), \(bind: parentID), \(bind: text), \(bind: now))
                """).run()
            try await ModelCounters.add(1, to: .comments, of: model.id!, on: tx)
            // The parent's author hears of a reply, the owner of every comment; an owner answered hears once.
            let link = "/models/\(model.slug)#comment-\(id.uuidString.lowercased())"
            if let parent {
                try await Notifier.notify(.init(
                    .commentReply, to: parent.$author.id, actor: author.id!, target: ("comment", parent.id!), subject: model.title,
                    link: link), on: tx, now: now)
            }
            if parent?.$author.id != model.$owner.id {
                try await Notifier.notify(.init(
                    .modelComment, to: model.$owner.id, actor: author.id!, target: ("model", model.id!), subject: model.title,
                    link: link), on: tx, now: now)
            }
        }
        return CommentEntry(
            id: id, parentID: parentID, body: text, author: .init(author), deleted: false, createdAt: now, editedAt: nil,
            replies: [])
    }

    /// Only the author, and only within the edit window. The answer carries the comment's current replies.
    func edit(_ rawCommentID: String, on model: ModelAsset, caller: Caller, body: String, now: Date = Date()) async throws -> CommentEntry {
        let comment = try await existing(rawCommentID, modelID: model.id!)
        guard comment.$author.id == caller.userID else {
            throw Problem.forbidden("Only the comment's author can edit it.")
        }
        guard now.timeIntervalSince(comment.createdAt) <= Self.editWindow else {
            throw Problem.conflict(
                "edit-window-closed", "Edit window closed",
                detail: "Comments can be edited for \(Int(Self.editWindow / 60)) minutes after posting.")
        }
        let text = try Self.validBody(body)
        let sql = database.sql
        // Guarded by `deleted_at IS NULL`, so an edit racing a delete cannot resurrect anything.
        let updated = try await sql.raw("""
            UPDATE model_comments SET body = \(bind: text), edited_at = \(bind: now)
            WHERE id = \(bind: comment.id!) AND deleted_at IS NULL RETURNING id
            """).all()
        guard !updated.isEmpty else { throw Self.notFound }
        let replies = comment.parentID == nil ? try await thread(model.id!).replies(of: [comment.id!], on: database.sql)[comment.id!] ?? [] : []
        return CommentEntry(
            id: comment.id!, parentID: comment.parentID, body: text, author: .init(caller.user), deleted: false,
            createdAt: comment.createdAt, editedAt: now, replies: replies)
    }

    /// The author, the model's owner, or an admin session holding `models.moderate`; others get 403.
    func delete(_ rawCommentID: String, on model: ModelAsset, caller: Caller, now: Date = Date()) async throws {
        let comment = try await existing(rawCommentID, modelID: model.id!)
        var allowed = comment.$author.id == caller.userID || model.$owner.id == caller.userID
        if !allowed { allowed = try await ModelAccess.isModerator(caller, on: database) }
        guard allowed else {
            throw Problem.forbidden("Only the comment's author, the model's owner or a moderator can delete it.")
        }
        try await markDeleted(comment, now: now)
    }

    /// One page of top-level comments, oldest first, with their replies (`CommentThread`).
    func page(modelID: UUID, page: PageRequest) async throws -> (items: [CommentEntry], total: Int) {
        try await thread(modelID).page(page, on: database.sql)
    }

    /// Comments posted since `start` and not deleted, for owner statistics.
    func countPosted(modelID: UUID, since start: Date) async throws -> Int {
        let sql = database.sql
        return try await sql.raw("""
            SELECT COUNT(*) AS posted FROM model_comments
            WHERE model_id = \(bind: modelID) AND deleted_at IS NULL AND created_at >= \(bind: start)
            """).first()?.decode(column: "posted", as: Int.self) ?? 0
    }

    /// Deletes in one transaction with the model's counter; a comment someone deleted first is 404.
    func markDeleted(_ comment: ModelComment, now: Date = Date()) async throws {
        let modelID = comment.$model.id
        try await database.transaction { tx in
            let sql = tx.sql
            let deleted = try await sql.raw("""
                UPDATE model_comments SET deleted_at = \(bind: now)
                WHERE id = \(bind: comment.id!) AND deleted_at IS NULL RETURNING id
                """).all()
            // Someone else deleted it first: the counter already moved once.
            guard !deleted.isEmpty else { throw Self.notFound }
            try await ModelCounters.add(-1, to: .comments, of: modelID, on: tx)
        }
    }

    // MARK: -

    static let notFound = Problem.notFound("The comment")

    static func validBody(_ raw: String) throws -> String {
        try TextInput.clean(raw, field: "body", shape: .multiLine, length: 1...maxLength)
    }

    /// A visible comment of this model; anything else (unknown, deleted, another model's) is 404.
    private func existing(_ rawID: String, modelID: UUID) async throws -> ModelComment {
        guard let id = UUID(uuidString: rawID),
            let comment = try await ModelComment.find(id, on: database),
            comment.$model.id == modelID, comment.deletedAt == nil
        else { throw Self.notFound }
        return comment
    }

    private func validParent(_ raw: String, modelID: UUID) async throws -> ModelComment {
        let notHere = Problem.validation(field: "parent_id", "must be the id of a comment on this model")
        guard let id = UUID(uuidString: raw), let parent = try await ModelComment.find(id, on: database),
            parent.$model.id == modelID
        else { throw notHere }
        guard parent.parentID == nil else {
            throw Problem.validation(field: "parent_id", "must be a top-level comment: replies cannot be answered")
        }
        guard parent.deletedAt == nil else { throw Problem.validation(field: "parent_id", "the comment was deleted") }
        return parent
    }

    private func thread(_ id: UUID) -> CommentThread {
        CommentThread(table: "model_comments", scope: "c.model_id = \(bind: id)")
    }
}
