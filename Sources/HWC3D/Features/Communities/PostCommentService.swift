import Fluent
import Foundation
import SQLKit

/// Comments on posts: members comment, one reply level, authors edit (keeping `edited_at`), authors and the
/// community's moderators delete. `comment_count` counts comments not deleted (replies included) and moves with
/// the row, with the post's hot rank and the community's last activity.
struct PostCommentService: Sendable {
    static let maxLength = 5000

    let database: any Database

    func create(on post: CommunityPost, in place: CommunityPlace, author: Caller, body: String, parentID rawParentID: String?, now: Date = Date()) async throws -> CommentEntry {
        try await place.requireMember(on: database, to: "comment")
        let text = try Self.validBody(body)
        let parentID: UUID? = if let rawParentID { try await validParent(rawParentID, postID: post.id!) } else { nil }
        let id = UUID.v7(now: now)
        try await database.transaction { tx in
            let sql = tx.sql
            try await sql.raw("""
                INSERT INTO post_comments (id, post_id, author_id, parent_id, body, created_at)
                VALUES (\(bind: id), \(bind: post.id!), \(bind: author.userID), \(bind: parentID), \(bind: text), \(bind: now))
                """).run()
            try await PostCounters.add([(.comments, 1)], to: post.id!, on: tx)
            try await PostCounters.touchCommunity(post.communityID, at: now, on: tx)
        }
        return CommentEntry(
            id: id, parentID: parentID, body: text, author: .init(author.user), deleted: false, createdAt: now, editedAt: nil, replies: [])
    }

    /// The author only; the answer carries the comment's current replies.
    func edit(_ rawCommentID: String, on post: CommunityPost, caller: Caller, body: String, now: Date = Date()) async throws -> CommentEntry {
        let comment = try await existing(rawCommentID, postID: post.id!)
        guard comment.authorID == caller.userID else { throw Problem.forbidden("Only the comment's author can edit it.") }
        let text = try Self.validBody(body)
        let sql = database.sql
        let updated = try await sql.raw("""
            UPDATE post_comments SET body = \(bind: text), edited_at = \(bind: now)
            WHERE id = \(bind: comment.id!) AND deleted_at IS NULL RETURNING id
            """).all()
        guard !updated.isEmpty else { throw Self.notFound }
        let replies = comment.parentID == nil ? try await thread(post.id!).replies(of: [comment.id!], on: database.sql)[comment.id!] ?? [] : []
        return CommentEntry(
            id: comment.id!, parentID: comment.parentID, body: text, author: .init(caller.user), deleted: false,
            createdAt: comment.createdAt, editedAt: now, replies: replies)
    }

    /// The author, the community's owner and moderators, or a moderating admin.
    func delete(_ rawCommentID: String, on post: CommunityPost, in place: CommunityPlace, caller: Caller, now: Date = Date()) async throws {
        let comment = try await existing(rawCommentID, postID: post.id!)
        if comment.authorID != caller.userID {
            do {
                try await place.requireModerator(on: database)
            } catch let problem as Problem where problem.status == .forbidden {
                throw Problem.forbidden("Only the comment's author, the community's moderators or an admin can delete it.")
            }
        }
        try await database.transaction { tx in
            let sql = tx.sql
            let deleted = try await sql.raw("""
                UPDATE post_comments SET deleted_at = \(bind: now) WHERE id = \(bind: comment.id!) AND deleted_at IS NULL RETURNING id
                """).all()
            guard !deleted.isEmpty else { throw Self.notFound }
            try await PostCounters.add([(.comments, -1)], to: post.id!, on: tx)
        }
    }

    /// One page of top-level comments, oldest first, with their replies (`CommentThread`).
    func page(postID: UUID, page: PageRequest) async throws -> (items: [CommentEntry], total: Int) {
        try await thread(postID).page(page, on: database.sql)
    }

    // MARK: -

    static let notFound = Problem.notFound("The comment")

    static func validBody(_ raw: String) throws -> String {
        try TextInput.clean(raw, field: "body", shape: .multiLine, length: 1...maxLength)
    }

    private func existing(_ rawID: String, postID: UUID) async throws -> PostComment {
        guard let id = UUID(uuidString: rawID), let comment = try await PostComment.find(id, on: database),
            comment.postID == postID, comment.deletedAt == nil
        else { throw Self.notFound }
        return comment
    }

    private func validParent(_ raw: String, postID: UUID) async throws -> UUID {
        guard let id = UUID(uuidString: raw), let parent = try await PostComment.find(id, on: database), parent.postID == postID else {
            throw Problem.validation(field: "parent_id", "must be the id of a comment on this post")
        }
        guard parent.parentID == nil else {
            throw Problem.validation(field: "parent_id", "must be a top-level comment: replies cannot be answered")
        }
        guard parent.deletedAt == nil else { throw Problem.validation(field: "parent_id", "the comment was deleted") }
        return id
    }

    private func thread(_ id: UUID) -> CommentThread {
        CommentThread(table: "post_comments", scope: "c.post_id = \(bind: id)")
    }
}
