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
        let parent: PostComment? = if let rawParentID { try await validParent(rawParentID, postID: post.id!) } else { nil }
        let parentID = parent?.id
        let id = UUID.v7(now: now)
        try await database.transaction { tx in
            let sql = tx.sql
            try await sql.raw("""
                INSERT INTO post_comments (id, post_id, author_id, parent_id, body, created_at)
                VALUES (\(bind: id), \(bind: post.id!), \(bind: author.userID), \(bind: parentID), \(bind: text), \(bind: now))
                """).run()
            try await PostCounters.add([(.comments, 1)], to: post.id!, on: tx)
            try await PostCounters.touchCommunity(post.communityID, at: now, on: tx)
            try await CommunityEvents.comment(id, on: post.id!, in: post.communityID, on: tx, now: now)
            // The parent's author hears of a reply, the post's author of every comment; an author answered hears once.
            let link = PostService.path(of: post.id!, slug: place.community.slug) + "#comment-\(id.uuidString.lowercased())"
            if let parent {
                try await Notifier.notify(.init(
                    .commentReply, to: parent.authorID, actor: author.userID, target: ("post_comment", parent.id!), subject: post.title,
                    link: link), on: tx, now: now)
            }
            if parent?.authorID != post.authorID {
                try await Notifier.notify(.init(
                    .postComment, to: post.authorID, actor: author.userID, target: ("post", post.id!), subject: post.title,
                    link: link), on: tx, now: now)
            }
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
        try await markDeleted(comment, now: now)
    }

    /// Deletes in one transaction with the post's count; a comment deleted first is 404.
    func markDeleted(_ comment: PostComment, now: Date = Date()) async throws {
        try await database.transaction { tx in
            let sql = tx.sql
            let deleted = try await sql.raw("""
                UPDATE post_comments SET deleted_at = \(bind: now) WHERE id = \(bind: comment.id!) AND deleted_at IS NULL RETURNING id
                """).all()
            guard !deleted.isEmpty else { throw Self.notFound }
            try await PostCounters.add([(.comments, -1)], to: comment.postID, on: tx)
        }
    }

    /// One page of top-level comments, oldest first, with their replies (`CommentThread`).
    func page(postID: UUID, page: PageRequest) async throws -> (items: [CommentEntry], total: Int) {
        try await thread(postID).page(page, on: database.sql)
    }

    /// A comment not deleted, with its author, for the community socket.
    func entry(_ id: UUID) async throws -> CommentEntry? {
        let sql = database.sql
        let row = try await sql.raw("""
            SELECT c.id, c.parent_id, c.body, c.created_at, c.edited_at, c.deleted_at,
                   \(unsafeRaw: UserSummaryColumns.select(from: "u", prefix: "u_"))
            FROM post_comments c \(UserReads.join(alias: "u", on: "c.author_id"))
            WHERE c.id = \(bind: id) AND c.deleted_at IS NULL
            """).first()
        return try row.map { try CommentEntry(row: $0, parentID: try $0.decode(column: "parent_id", as: UUID?.self)) }
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

    private func validParent(_ raw: String, postID: UUID) async throws -> PostComment {
        guard let id = UUID(uuidString: raw), let parent = try await PostComment.find(id, on: database), parent.postID == postID else {
            throw Problem.validation(field: "parent_id", "must be the id of a comment on this post")
        }
        guard parent.parentID == nil else {
            throw Problem.validation(field: "parent_id", "must be a top-level comment: replies cannot be answered")
        }
        guard parent.deletedAt == nil else { throw Problem.validation(field: "parent_id", "the comment was deleted") }
        return parent
    }

    private func thread(_ id: UUID) -> CommentThread {
        CommentThread(table: "post_comments", scope: "c.post_id = \(bind: id)")
    }
}
