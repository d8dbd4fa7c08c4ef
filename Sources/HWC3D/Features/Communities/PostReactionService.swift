import Fluent
import Foundation
import SQLKit

/// One reaction per user per post, replaceable. Every change locks the post first, then reads the user's
/// reaction, so concurrent reactions (the same user's included) serialise and the per-type counts stay equal to
/// the rows.
struct PostReactionService: Sendable {
    let database: any Database

    struct State: Sendable {
        let mine: PostReaction.Kind?
        let counts: [PostReaction.Kind: Int]
        let total: Int
    }

    func react(_ post: CommunityPost, in place: CommunityPlace, caller: Caller, kind: PostReaction.Kind, now: Date = Date()) async throws -> State {
        try await place.requireMember(on: database, to: "react")
        let postID = post.id!
        try await database.transaction { tx in
            try await PostCounters.lock(postID, on: tx)
            let sql = tx.sql
            let previous = try await sql.raw("SELECT id, type FROM post_reactions WHERE post_id = \(bind: postID) AND user_id = \(bind: caller.userID)").first()
            if let previous {
                let old = PostReaction.Kind(rawValue: try previous.decode(column: "type", as: String.self))
                guard old != kind else { return }
                try await sql.raw("UPDATE post_reactions SET type = \(bind: kind.rawValue), created_at = \(bind: now) WHERE id = \(bind: try previous.decode(column: "id", as: UUID.self))").run()
                var changes: [(PostCounters.Counter, Int)] = [(.init(kind), 1)]
                if let old { changes.append((.init(old), -1)) }
                try await PostCounters.add(changes, to: postID, on: tx)
                try await CommunityEvents.reactions(of: postID, in: post.communityID, on: tx, now: now)
            } else {
                try await sql.raw("""
                    INSERT INTO post_reactions (id, post_id, user_id, type, created_at)
                    VALUES (\(bind: UUID.v7(now: now)), \(bind: postID), \(bind: caller.userID), \(bind: kind.rawValue), \(bind: now))
                    """).run()
                try await PostCounters.add([(.init(kind), 1), (.reactions, 1)], to: postID, on: tx)
                try await Notifier.notify(.init(
                    .postReaction, to: post.authorID, actor: caller.userID, target: ("post", postID), subject: post.title,
                    link: PostService.path(of: postID, slug: place.community.slug)), on: tx, now: now)
                try await CommunityEvents.reactions(of: postID, in: post.communityID, on: tx, now: now)
            }
        }
        return try await state(postID, userID: caller.userID)
    }

    /// Idempotent.
    func unreact(_ post: CommunityPost, in place: CommunityPlace, caller: Caller, now: Date = Date()) async throws -> State {
        try await place.requireReadable(on: database)
        let postID = post.id!
        try await database.transaction { tx in
            try await PostCounters.lock(postID, on: tx)
            let sql = tx.sql
            let removed = try await sql.raw("""
                DELETE FROM post_reactions WHERE post_id = \(bind: postID) AND user_id = \(bind: caller.userID) RETURNING type
                """).all()
            guard let row = removed.first, let kind = PostReaction.Kind(rawValue: try row.decode(column: "type", as: String.self)) else { return }
            try await PostCounters.add([(.init(kind), -1), (.reactions, -1)], to: postID, on: tx)
            try await CommunityEvents.reactions(of: postID, in: post.communityID, on: tx, now: now)
        }
        return try await state(postID, userID: caller.userID)
    }

    /// The counts alone, as everyone sees them.
    func counts(_ postID: UUID) async throws -> State {
        try await state(postID, userID: nil)
    }

    private func state(_ postID: UUID, userID: UUID?) async throws -> State {
        let sql = database.sql
        guard let row = try await sql.raw("""
            SELECT p.like_count, p.love_count, p.fire_count, p.wow_count, p.laugh_count, p.reaction_count, r.type AS mine
            FROM community_posts p LEFT JOIN post_reactions r ON r.post_id = p.id AND r.user_id = \(bind: userID ?? CommunityAccess.nobody)
            WHERE p.id = \(bind: postID)
            """).first()
        else { throw CommunityAccess.postNotFound }
        var counts: [PostReaction.Kind: Int] = [:]
        for kind in PostReaction.Kind.allCases { counts[kind] = try row.decode(column: kind.counterColumn, as: Int.self) }
        return State(
            mine: try row.decode(column: "mine", as: String?.self).flatMap(PostReaction.Kind.init(rawValue:)), counts: counts,
            total: try row.decode(column: "reaction_count", as: Int.self))
    }
}
