import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// A community as one caller stands in it: the community's row and the caller's membership, read in one
/// statement. Every community and post route starts here, so the rules of who reads, posts and moderates live in
/// one place. What a caller may not read answers 404, never 403: a private community's posts, comments and members
/// do not reveal that they exist.
struct CommunityPlace: Sendable {
    let community: CommunityRecord
    let role: CommunityMember.Role?
    let status: CommunityMember.Status?
    let caller: Caller?

    var isMember: Bool { status == .active }
    var isCommunityModerator: Bool { isMember && (role == .owner || role == .moderator) }
    var isOwner: Bool { isMember && role == .owner }

    /// The community's content: anyone for a public community, except the banned; members of a private one.
    var canReadContent: Bool {
        switch community.visibility {
        case .public: status != .banned
        case .private: isMember
        }
    }

    /// An admin session holding `communities.moderate`; asked only when the community's own roles do not decide.
    func isModeratingAdmin(on database: any Database) async throws -> Bool {
        guard let caller else { return false }
        return try await caller.holds(.communitiesModerate, on: database)
    }

    func requireReadable(on database: any Database) async throws {
        if canReadContent { return }
        if try await isModeratingAdmin(on: database) { return }
        throw CommunityAccess.contentNotFound
    }

    /// Posting, commenting, reacting: active members only.
    func requireMember(on database: any Database, to action: String) async throws {
        try await requireReadable(on: database)
        guard isMember else {
            throw Problem.forbidden(status == .banned ? "You are banned from this community." : "Join the community to \(action).")
        }
    }

    /// The owner and moderators of the community, or a moderating admin.
    func requireModerator(on database: any Database) async throws {
        try await requireReadable(on: database)
        if isCommunityModerator { return }
        if try await isModeratingAdmin(on: database) { return }
        throw Problem.forbidden("Only the community's owner or moderators can do this.")
    }
}

/// A `communities` row, column for column, with the caller's membership when the statement joined it.
struct CommunityRecord: Sendable {
    let id: UUID
    let slug: String
    let name: String
    let description: String
    let rules: String?
    let rulesHTML: String?
    let visibility: Community.Visibility
    let categoryID: UUID?
    let ownerID: UUID
    let owner: UserSummaryColumns.Row
    let category: Components.Schemas.CategoryRef?
    let verified: Bool
    let memberCount: Int
    let postCount: Int
    let lastActivityAt: Date?
    let createdAt: Date

    /// The community's columns, its owner's (under "o_") and its category's (under "cat_"), and the caller's
    /// membership (`my_role`, `my_status`); with `source(for:)` after `FROM`.
    static let columns: SQLQueryString = """
        c.id, c.slug, c.name, c.description, c.rules, c.rules_html, c.visibility, c.category_id, c.owner_id, c.member_count,
        c.post_count, c.last_activity_at, c.created_at, c.verified_at, \(unsafeRaw: UserSummaryColumns.select(from: "o", prefix: "o_")),
        \(CatalogueSQL.categoryRefColumns(from: "cat", prefix: "cat_")), my.role AS my_role, my.status AS my_status
        """

    /// `communities c` with its owner, its category and the caller's membership.
    static func source(for caller: Caller?) -> SQLQueryString {
        """
        communities c \(UserReads.join(alias: "o", on: "c.owner_id")) \(CatalogueSQL.leftJoinCategory(alias: "cat", on: "c.category_id"))
        \(CommunityAccess.membershipJoin(caller))
        """
    }

    init(from row: any SQLRow) throws {
        id = try row.decode(column: "id", as: UUID.self)
        slug = try row.decode(column: "slug", as: String.self)
        name = try row.decode(column: "name", as: String.self)
        description = try row.decode(column: "description", as: String.self)
        rules = try row.decode(column: "rules", as: String?.self)
        rulesHTML = try row.decode(column: "rules_html", as: String?.self)
        visibility = Community.Visibility(rawValue: try row.decode(column: "visibility", as: String.self)) ?? .private
        categoryID = try row.decode(column: "category_id", as: UUID?.self)
        ownerID = try row.decode(column: "owner_id", as: UUID.self)
        owner = try UserSummaryColumns.Row(from: row, prefix: "o_")
        category = try CatalogueSQL.categoryRef(from: row, prefix: "cat_")
        verified = try row.decode(column: "verified_at", as: Date?.self) != nil
        memberCount = try row.decode(column: "member_count", as: Int.self)
        postCount = try row.decode(column: "post_count", as: Int.self)
        lastActivityAt = try row.decode(column: "last_activity_at", as: Date?.self)
        createdAt = try row.decode(column: "created_at", as: Date.self)
    }
}

enum CommunityAccess {
    static let notFound = Problem.notFound("The community")
    static let contentNotFound = Problem.notFound("The community")
    static let postNotFound = Problem.notFound("The post")

    /// Live communities only: deleted and suspended ones answer 404.
    static let isLive: SQLQueryString = "c.deleted_at IS NULL AND c.suspended_at IS NULL"

    /// The caller's membership columns (`my_role`, `my_status`), for a statement over `communities c`.
    static func membershipJoin(_ caller: Caller?) -> SQLQueryString {
        "LEFT JOIN community_members my ON my.community_id = c.id AND my.user_id = \(bind: caller?.userID ?? nobody)"
    }

    /// The nil UUID, which matches no user: a signed-out reader's statements join the reader's rows on it and get
    /// NULLs, with the same text (one prepared statement) as a signed-in reader's.
    static let nobody = UUID(uuidString: "00000000-0000-0000-0000-000000000000")!

    static func place(slug: String, caller: Caller?, on database: any Database) async throws -> CommunityPlace {
        guard slug.count <= 60 else { throw notFound }
        let row = try await database.preparedFirst("""
            SELECT \(CommunityRecord.columns) FROM \(CommunityRecord.source(for: caller))
            WHERE c.slug = \(bind: slug.lowercased()) AND \(isLive)
            """)
        guard let row else { throw notFound }
        return try place(from: row, caller: caller)
    }

    /// By id, for the community's socket.
    static func place(id: UUID, caller: Caller?, on database: any Database) async throws -> CommunityPlace {
        guard let row = try await database.preparedFirst("""
            SELECT \(CommunityRecord.columns) FROM \(CommunityRecord.source(for: caller))
            WHERE c.id = \(bind: id) AND \(isLive)
            """)
        else { throw notFound }
        return try place(from: row, caller: caller)
    }

    static func place(from row: any SQLRow, caller: Caller?) throws -> CommunityPlace {
        CommunityPlace(
            community: try CommunityRecord(from: row),
            role: try row.decode(column: "my_role", as: String?.self).flatMap(CommunityMember.Role.init(rawValue:)),
            status: try row.decode(column: "my_status", as: String?.self).flatMap(CommunityMember.Status.init(rawValue:)),
            caller: caller)
    }

    /// The community of a post, as the caller stands in it, with the post's row; 404 for an unknown or deleted
    /// post, or one the caller may not read.
    static func post(_ rawID: String, caller: Caller?, on database: any Database) async throws -> (CommunityPlace, CommunityPost) {
        guard let id = UUID(uuidString: rawID), let post = try await CommunityPost.find(id, on: database), post.deletedAt == nil
        else { throw postNotFound }
        return (try await readablePlace(of: post.communityID, caller: caller, on: database), post)
    }

    /// The community a post or comment lives in, for a caller who may read it; 404 (as the post) otherwise.
    static func readablePlace(of communityID: UUID, caller: Caller?, on database: any Database) async throws -> CommunityPlace {
        let row = try await database.preparedFirst("""
            SELECT \(CommunityRecord.columns) FROM \(CommunityRecord.source(for: caller))
            WHERE c.id = \(bind: communityID) AND \(isLive)
            """)
        guard let row else { throw postNotFound }
        let place = try place(from: row, caller: caller)
        do {
            try await place.requireReadable(on: database)
        } catch let problem as Problem where problem.status == .notFound {
            throw postNotFound
        }
        return place
    }
}
