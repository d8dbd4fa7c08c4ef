import Fluent
import Foundation
import SQLKit

/// Writing posts: members post, authors edit, authors and moderators delete, moderators pin. The community's
/// `post_count` and `last_activity_at` move in the post's transaction.
struct PostService: Sendable {
    static let maxTitle = 300
    static let maxBody = 40_000
    static let maxImages = 10

    let database: any Database

    func create(
        in place: CommunityPlace, author: Caller, title: String, body: String, modelID: String?, imageIDs: [String]?, now: Date = Date()
    ) async throws -> UUID {
        try await place.requireMember(on: database, to: "post")
        let title = try Self.validTitle(title)
        let body = try Self.validBody(body)
        let imageIDs = try Self.validImageIDs(imageIDs ?? [])
        let model = try await attachable(modelID, caller: author)
        let id = UUID.v7(now: now)
        let html = MarkdownRenderer.html(body)
        let rank = PostCounters.hotRank(reactions: 0, comments: 0, shares: 0, createdAt: now)
        let communityID = place.community.id
        try await database.transaction { tx in
            let sql = tx.sql
            let images = try await Self.attachImages(imageIDs, to: id, author: author.userID, on: tx)
            try await sql.raw("""
                INSERT INTO community_posts (id, community_id, author_id, title, body, body_html, images, model_id, like_count, love_count,
                    fire_count, wow_count, laugh_count, reaction_count, comment_count, share_count, hot_rank, created_at)
                VALUES (\(bind: id), \(bind: communityID), \(bind: author.userID), \(bind: title), \(bind: body), \(bind: html),
                    \(bind: images), \(bind: model), 0, 0, 0, 0, 0, 0, 0, 0, \(bind: rank), \(bind: now))
                """).run()
            try await PostCounters.touchCommunity(communityID, posts: 1, at: now, on: tx)
            try await CommunityEvents.post("post.created", id, in: communityID, on: tx, now: now)
            // Members who turned `community_post` on hear of it; everyone else is left alone.
            let members = try await MembershipService.activeMemberIDs(of: communityID, except: author.userID, on: tx)
            let community = place.community
            try await Notifier.notifyOptedIn(members, event: { member in
                .init(.communityPost, to: member, actor: author.userID, target: ("post", id), subject: title, detail: community.name,
                      link: Self.path(of: id, slug: community.slug))
            }, on: tx, now: now)
        }
        return id
    }

    /// The author only. `modelID` `""` detaches the model; `imageIDs` replaces the images (those left out are removed).
    func edit(
        _ post: CommunityPost, in place: CommunityPlace, caller: Caller, title: String?, body: String?, modelID: String?,
        imageIDs: [String]?, now: Date = Date()
    ) async throws {
        guard post.authorID == caller.userID else { throw Problem.forbidden("Only the post's author can edit it.") }
        let imageIDs = try imageIDs.map(Self.validImageIDs)
        var assignments: [SQLQueryString] = []
        if let title { assignments.append("title = \(bind: try Self.validTitle(title))") }
        if let body {
            let text = try Self.validBody(body)
            assignments.append("body = \(bind: text), body_html = \(bind: MarkdownRenderer.html(text))")
        }
        if let modelID {
            assignments.append("model_id = \(bind: modelID.isEmpty ? nil : try await attachable(modelID, caller: caller))")
        }
        guard !assignments.isEmpty || imageIDs != nil else { return }
        assignments.append("edited_at = \(bind: now)")
        let changes = assignments
        try await database.transaction { tx in
            let sql = tx.sql
            var changes = changes
            if let imageIDs {
                changes.append("images = \(bind: try await Self.attachImages(imageIDs, to: post.id!, author: caller.userID, on: tx))")
            }
            let updated = try await sql.raw("""
                UPDATE community_posts SET \(changes.joined(separator: ", ")) WHERE id = \(bind: post.id!) AND deleted_at IS NULL RETURNING id
                """).all()
            guard !updated.isEmpty else { throw CommunityAccess.postNotFound }
            try await CommunityEvents.post("post.updated", post.id!, in: post.communityID, on: tx, now: now)
        }
    }

    /// The author, the community's owner and moderators, or a moderating admin.
    func delete(_ post: CommunityPost, in place: CommunityPlace, caller: Caller, now: Date = Date()) async throws {
        if post.authorID != caller.userID {
            do {
                try await place.requireModerator(on: database)
            } catch let problem as Problem where problem.status == .forbidden {
                throw Problem.forbidden("Only the post's author, the community's moderators or an admin can delete it.")
            }
        }
        try await markDeleted(post, now: now)
    }

    /// Deletes in one transaction with the community's count and the socket's event; a post deleted first is 404.
    func markDeleted(_ post: CommunityPost, now: Date = Date()) async throws {
        try await database.transaction { tx in
            let sql = tx.sql
            let deleted = try await sql.raw("""
                UPDATE community_posts SET deleted_at = \(bind: now), pinned_at = NULL WHERE id = \(bind: post.id!) AND deleted_at IS NULL RETURNING id
                """).all()
            guard !deleted.isEmpty else { throw CommunityAccess.postNotFound }
            // A removed post's pictures go with it: a moderator's removal must not leave them reachable.
            try await UploadedImages.detach(from: Self.imageHolder(post.id!), on: tx)
            try await sql.raw("UPDATE communities SET post_count = post_count - 1 WHERE id = \(bind: post.communityID)").run()
            try await CommunityEvents.post("post.deleted", post.id!, in: post.communityID, on: tx, now: now)
        }
    }

    /// Toggles the pin: the community's owner and moderators, or a moderating admin. At most `PostReads.maxPinned`.
    func togglePin(_ post: CommunityPost, in place: CommunityPlace, now: Date = Date()) async throws {
        try await place.requireModerator(on: database)
        try await database.transaction { tx in
            try await MembershipService.lock(post.communityID, on: tx)
            let sql = tx.sql
            if post.pinnedAt != nil {
                try await sql.raw("UPDATE community_posts SET pinned_at = NULL WHERE id = \(bind: post.id!)").run()
                try await CommunityEvents.post("post.updated", post.id!, in: post.communityID, on: tx, now: now)
                return
            }
            let pinned = try await sql.raw("""
                SELECT COUNT(*) AS n FROM community_posts
                WHERE community_id = \(bind: post.communityID) AND pinned_at IS NOT NULL AND deleted_at IS NULL
                """).first()?.decode(column: "n", as: Int.self) ?? 0
            guard pinned < PostReads.maxPinned else {
                throw Problem.conflict(
                    "too-many-pinned", "Too many pinned posts",
                    detail: "A community pins at most \(PostReads.maxPinned) posts; unpin one first.")
            }
            try await sql.raw("UPDATE community_posts SET pinned_at = \(bind: now) WHERE id = \(bind: post.id!) AND deleted_at IS NULL").run()
            try await CommunityEvents.post("post.updated", post.id!, in: post.communityID, on: tx, now: now)
        }
    }

    /// Records a share once per user; answers the post's address and its share count.
    func share(_ post: CommunityPost, in place: CommunityPlace, caller: Caller, settings: Settings, now: Date = Date()) async throws -> (url: String, count: Int) {
        try await database.transaction { tx in
            let sql = tx.sql
            let inserted = try await sql.raw("""
                INSERT INTO post_shares (id, post_id, user_id, created_at)
                VALUES (\(bind: UUID.v7(now: now)), \(bind: post.id!), \(bind: caller.userID), \(bind: now))
                ON CONFLICT (post_id, user_id) DO NOTHING RETURNING id
                """).all()
            if !inserted.isEmpty { try await PostCounters.add([(.shares, 1)], to: post.id!, on: tx) }
        }
        let sql = database.sql
        let count = try await sql.raw("SELECT share_count FROM community_posts WHERE id = \(bind: post.id!)").first()?
            .decode(column: "share_count", as: Int.self) ?? 0
        return (Self.url(of: post.id!, slug: place.community.slug, settings: settings), count)
    }

    static func url(of postID: UUID, slug: String, settings: Settings) -> String {
        settings.frontendURL + path(of: postID, slug: slug)
    }

    /// The post's page on the site.
    static func path(of postID: UUID, slug: String) -> String {
        "/communities/\(slug)/posts/\(postID.uuidString.lowercased())"
    }

    // MARK: -

    static func validTitle(_ raw: String) throws -> String {
        try TextInput.clean(raw, field: "title", shape: .singleLine, length: 1...maxTitle)
    }

    static func validBody(_ raw: String) throws -> String {
        try TextInput.clean(raw, field: "body", shape: .multiLine, length: 1...maxBody)
    }

    /// Uploaded images a post holds are held as `post`.
    static func imageHolder(_ postID: UUID) -> UploadedImages.Holder { .init(kind: "post", id: postID) }

    static func validImageIDs(_ raw: [String]) throws -> [UUID] {
        guard raw.count <= maxImages else { throw Problem.validation(field: "image_ids", "holds at most \(maxImages) images") }
        return try raw.map { text in
            guard let id = UUID(uuidString: text) else { throw Problem.validation(field: "image_ids", "must be image ids (UUIDs)") }
            return id
        }
    }

    /// Inside the post's transaction: the images become the post's, in order, as the JSON the post row keeps.
    private static func attachImages(_ ids: [UUID], to postID: UUID, author: UUID, on tx: any Database) async throws -> String {
        let images = try await UploadedImages.attach(ids, to: imageHolder(postID), owner: author, field: "image_ids", on: tx)
        return String(decoding: try JSONEncoder().encode(images), as: UTF8.self)
    }

    /// A model the author may point readers to: published and reachable, or the author's own published model.
    private func attachable(_ rawID: String?, caller: Caller) async throws -> UUID? {
        guard let rawID else { return nil }
        do {
            return try await ModelAccess.interactive(rawID, caller: caller, on: database).requireID()
        } catch let problem as Problem where problem.status == .notFound {
            throw Problem.validation(field: "model_id", "must be the id of a published model")
        }
    }
}
