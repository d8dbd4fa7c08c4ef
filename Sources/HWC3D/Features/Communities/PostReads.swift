import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// Posts as readers see them, in one statement per list (plus one for the attached models' cards): the post's
/// row with its counters, its community, its author and the reader's reaction. Posts of suspended or erased
/// authors are left out.
struct PostReads: Sendable {
    let database: any Database

    enum Sort: String, Sendable { case hot, new, top }

    /// Pinned posts take at most this many places at the top of a community.
    static let maxPinned = 5

    struct View: Sendable {
        let id: UUID
        let community: Components.Schemas.CommunityRef
        let author: UserSummaryColumns.Row
        let title: String
        let body: String
        let bodyHTML: String
        let images: [UploadedImages.Attached]
        let listedModelID: UUID?
        let pinned: Bool
        let reactions: Components.Schemas.ReactionCounts
        let reactionCount: Int
        let commentCount: Int
        let shareCount: Int
        let myReaction: PostReaction.Kind?
        let createdAt: Date
        let editedAt: Date?
    }

    func one(_ postID: UUID, reader: Caller?) async throws -> View? {
        try await database.prepared(statement(reader: reader, where: "p.id = \(bind: postID) AND p.deleted_at IS NULL", order: "p.id"))
            .first.map(Self.view)
    }

    /// One page: pinned posts first (newest pin first), then the rest in `sort` order. Each part first picks its
    /// ids from its own index (a narrow row per post, the limit written into the statement so the planner walks the
    /// index and stops), then the page's posts are read by id: the sort never touches bodies or joins. `total` is
    /// the community's count of posts.
    func page(of place: CommunityPlace, reader: Caller?, sort: Sort, page: PageRequest) async throws -> (items: [View], total: Int) {
        let communityID = place.community.id
        let pinned = try await ids(
            where: "p.community_id = \(bind: communityID) AND p.pinned_at IS NOT NULL AND p.deleted_at IS NULL",
            order: "p.pinned_at DESC, p.id DESC", limit: PostReads.maxPinned * 4, offset: 0)
        var chosen = Array(pinned.dropFirst(page.offset).prefix(page.perPage))
        let wanted = page.perPage - chosen.count
        if wanted > 0 {
            let order: SQLQueryString = switch sort {
            case .hot: "p.hot_rank DESC, p.id DESC"
            case .new: "p.created_at DESC, p.id DESC"
            case .top: "p.reaction_count DESC, p.id DESC"
            }
            chosen += try await ids(
                where: "p.community_id = \(bind: communityID) AND p.pinned_at IS NULL AND p.deleted_at IS NULL",
                order: order, limit: wanted, offset: max(0, page.offset - pinned.count))
        }
        return (try await views(chosen, reader: reader), max(place.community.postCount, chosen.count + page.offset))
    }

    /// Posts of the live communities `userID` is an active member of, newest first, strictly before `cursor`
    /// (`created_at`, `id`): the community half of the feed. On PostgreSQL each community gives its newest from its
    /// own index (`LATERAL ... LIMIT`) and only those are sorted; SQLite walks the same index per community.
    func memberFeed(of userID: UUID, before cursor: (Date, UUID)?, limit: Int) async throws -> [View] {
        let sql = database.sql
        var filter: SQLQueryString = "p.deleted_at IS NULL"
        if let cursor { filter = "\(filter) AND \(TimeCursor.before(cursor, time: "p.created_at", id: "p.id"))" }
        let memberships: SQLQueryString = """
            SELECT mc.community_id FROM community_members mc JOIN communities c ON c.id = mc.community_id
            WHERE mc.user_id = \(bind: userID) AND mc.status = 'active' AND \(CommunityAccess.isLive)
            """
        let rows: [any SQLRow]
        if sql.dialect.name == "postgresql" {
            rows = try await database.prepared("""
                SELECT p.id FROM (\(memberships)) m CROSS JOIN LATERAL (
                    SELECT p.id, p.created_at FROM community_posts p \(UserReads.join(alias: "u", on: "p.author_id"))
                    WHERE p.community_id = m.community_id AND \(filter) AND \(UserReads.isActive("u"))
                    ORDER BY p.created_at DESC, p.id DESC LIMIT \(literal: limit)) p
                ORDER BY p.created_at DESC, p.id DESC LIMIT \(literal: limit)
                """)
        } else {
            rows = try await sql.raw("""
                SELECT p.id FROM community_posts p \(UserReads.join(alias: "u", on: "p.author_id"))
                WHERE p.community_id IN (\(memberships)) AND \(filter) AND \(UserReads.isActive("u"))
                ORDER BY p.created_at DESC, p.id DESC LIMIT \(literal: limit)
                """).all()
        }
        return try await views(try rows.map { try $0.decode(column: "id", as: UUID.self) }, reader: nil)
    }

    /// The ids of one ordered slice of posts, by active authors. Kept prepared: a lookup by community down one
    /// index, whose plan does not depend on the values.
    private func ids(where filter: SQLQueryString, order: SQLQueryString, limit: Int, offset: Int) async throws -> [UUID] {
        try await database.prepared("""
            SELECT p.id FROM community_posts p \(UserReads.join(alias: "u", on: "p.author_id"))
            WHERE \(filter) AND \(UserReads.isActive("u"))
            ORDER BY \(order) LIMIT \(literal: limit) OFFSET \(literal: offset)
            """).map { try $0.decode(column: "id", as: UUID.self) }
    }

    /// The posts with these ids, in the order given: one statement.
    func views(_ ids: [UUID], reader: Caller?) async throws -> [View] {
        guard !ids.isEmpty else { return [] }
        let rows = try await database.prepared(statement(reader: reader, where: database.sql.idMatches("p.id", anyOf: ids), order: "p.id"))
        var byID: [UUID: View] = [:]
        for row in rows {
            let view = try Self.view(row)
            byID[view.id] = view
        }
        return ids.compactMap { byID[$0] }
    }

    /// Live posts of live communities, private ones included, with their open reports, most reported first: the
    /// admin console's list.
    func moderationPage(communitySlug: String?, page: PageRequest) async throws -> (items: [(View, Int)], total: Int) {
        var filter: SQLQueryString = "p.deleted_at IS NULL AND c.deleted_at IS NULL"
        if let communitySlug { filter = "\(filter) AND c.slug = \(bind: communitySlug)" }
        let sql = database.sql
        let counted = try await sql.raw("""
            SELECT p.id, \(ModerationSQL.openReports(on: .post, idColumn: "p.id")) AS reports_count, COUNT(*) OVER () AS total_count
            FROM community_posts p JOIN communities c ON c.id = p.community_id
            WHERE \(filter)
            ORDER BY reports_count DESC, p.created_at DESC, p.id DESC \(page.sqlClause)
            """).all()
        var total = try counted.first?.decode(column: "total_count", as: Int.self) ?? 0
        if counted.isEmpty {
            total = try await sql.raw("SELECT COUNT(*) AS n FROM community_posts p JOIN communities c ON c.id = p.community_id WHERE \(filter)")
                .first()?.decode(column: "n", as: Int.self) ?? 0
        }
        var reports: [UUID: Int] = [:]
        for row in counted { reports[try row.decode(column: "id", as: UUID.self)] = try row.decode(column: "reports_count", as: Int.self) }
        let views = try await views(try counted.map { try $0.decode(column: "id", as: UUID.self) }, reader: nil)
        return (views.map { ($0, reports[$0.id] ?? 0) }, total)
    }

    /// The cards of the listed models the posts attach, by model id: one statement.
    func modelCards(for views: [View], settings: Settings) async throws -> [UUID: Components.Schemas.ModelSummary] {
        try await ModelCards.loadByID(ids: views.compactMap(\.listedModelID), on: database.sql, settings: settings)
    }

    // MARK: -

    private func statement(reader: Caller?, where filter: SQLQueryString, order: SQLQueryString, limit: SQLQueryString = "") -> SQLQueryString {
        """
        SELECT p.id, p.title, p.body, p.body_html, p.images, p.pinned_at, p.like_count, p.love_count, p.fire_count, p.wow_count,
               p.laugh_count, p.reaction_count, p.comment_count, p.share_count, p.created_at, p.edited_at,
               CASE WHEN \(ListingSQL.isListed("m")) THEN p.model_id END AS listed_model_id,
               c.id AS c_id, c.slug AS c_slug, c.name AS c_name, c.visibility AS c_visibility,
               \(unsafeRaw: UserSummaryColumns.select(from: "u", prefix: "u_")), r.type AS my_reaction
        FROM community_posts p
        JOIN communities c ON c.id = p.community_id
        \(UserReads.join(alias: "u", on: "p.author_id"))
        LEFT \(ListingSQL.join(alias: "m", on: "p.model_id"))
        LEFT JOIN post_reactions r ON r.post_id = p.id AND r.user_id = \(bind: reader?.userID ?? CommunityAccess.nobody)
        WHERE \(filter) AND \(UserReads.isActive("u"))
        ORDER BY \(order) \(limit)
        """
    }

    private static func view(_ row: any SQLRow) throws -> View {
        View(
            id: try row.decode(column: "id", as: UUID.self),
            community: .init(
                id: try row.decode(column: "c_id", as: UUID.self).uuidString.lowercased(), slug: try row.decode(column: "c_slug", as: String.self),
                name: try row.decode(column: "c_name", as: String.self),
                visibility: .init(rawValue: try row.decode(column: "c_visibility", as: String.self)) ?? ._private),
            author: try UserSummaryColumns.Row(from: row, prefix: "u_"),
            title: try row.decode(column: "title", as: String.self),
            body: try row.decode(column: "body", as: String.self),
            bodyHTML: try row.decode(column: "body_html", as: String.self),
            images: try JSONDecoder().decode([UploadedImages.Attached].self, from: Data(try row.decode(column: "images", as: String.self).utf8)),
            listedModelID: try row.decode(column: "listed_model_id", as: UUID?.self),
            pinned: try row.decode(column: "pinned_at", as: Date?.self) != nil,
            reactions: .init(
                like: try row.decode(column: "like_count", as: Int.self), love: try row.decode(column: "love_count", as: Int.self),
                fire: try row.decode(column: "fire_count", as: Int.self), wow: try row.decode(column: "wow_count", as: Int.self),
                laugh: try row.decode(column: "laugh_count", as: Int.self)),
            reactionCount: try row.decode(column: "reaction_count", as: Int.self),
            commentCount: try row.decode(column: "comment_count", as: Int.self),
            shareCount: try row.decode(column: "share_count", as: Int.self),
            myReaction: try row.decode(column: "my_reaction", as: String?.self).flatMap(PostReaction.Kind.init(rawValue:)),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            editedAt: try row.decode(column: "edited_at", as: Date?.self))
    }
}
