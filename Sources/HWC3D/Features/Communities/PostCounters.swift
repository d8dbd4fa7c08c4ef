import Fluent
import Foundation
import SQLKit

/// The counters in a post's row and the hot rank that follows from them, moved inside the transaction of the
/// change they count. The first `UPDATE` takes the row's lock (PostgreSQL) or the write lock (SQLite), so the rank
/// is computed from counts no concurrent change can slip between.
enum PostCounters {
    enum Counter: String, Sendable {
        case like = "like_count", love = "love_count", fire = "fire_count", wow = "wow_count", laugh = "laugh_count"
        case reactions = "reaction_count", comments = "comment_count", shares = "share_count"

        init(_ kind: PostReaction.Kind) {
            self.init(rawValue: kind.counterColumn)!
        }
    }

    /// Hot rank: `log10(max(1, reactions + 2 × comments + shares)) + created_at / 45000 s`. Ranks never change
    /// with time, only with engagement, so `ORDER BY hot_rank` reads an index; a newer post starts higher, and
    /// ten times the engagement is worth 12.5 hours of age.
    static func hotRank(reactions: Int, comments: Int, shares: Int, createdAt: Date) -> Double {
        let engagement = max(1, reactions + 2 * comments + shares)
        return log10(Double(engagement)) + createdAt.timeIntervalSince1970 / 45_000
    }

    static func add(_ changes: [(Counter, Int)], to postID: UUID, on database: any Database) async throws {
        guard !changes.isEmpty else { return }
        let sql = database.sql
        let assignments = changes.map { "\($0.0.rawValue) = \($0.0.rawValue) + \($0.1)" }.joined(separator: ", ")
        guard let row = try await sql.raw("""
            UPDATE community_posts SET \(unsafeRaw: assignments) WHERE id = \(bind: postID)
            RETURNING reaction_count, comment_count, share_count, created_at
            """).first()
        else { return }
        let rank = hotRank(
            reactions: try row.decode(column: "reaction_count", as: Int.self), comments: try row.decode(column: "comment_count", as: Int.self),
            shares: try row.decode(column: "share_count", as: Int.self), createdAt: try row.decode(column: "created_at", as: Date.self))
        try await sql.raw("UPDATE community_posts SET hot_rank = \(bind: rank) WHERE id = \(bind: postID)").run()
    }

    /// Serialises changes to one post's reactions: PostgreSQL locks its row to the end of the transaction;
    /// SQLite runs one write transaction at a time already.
    static func lock(_ postID: UUID, on database: any Database) async throws {
        let sql = database.sql
        guard sql.dialect.name == "postgresql" else { return }
        try await sql.raw("SELECT id FROM community_posts WHERE id = \(bind: postID) FOR NO KEY UPDATE").run()
    }

    /// A post or comment in a community counts as activity there.
    static func touchCommunity(_ communityID: UUID, posts: Int = 0, at now: Date, on database: any Database) async throws {
        let sql = database.sql
        try await sql.raw("""
            UPDATE communities SET post_count = post_count + \(bind: posts), last_activity_at = \(bind: now) WHERE id = \(bind: communityID)
            """).run()
    }
}
