import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// The admin console's communities and posts (`communities.moderate`): every community whatever its state and
/// every live post, private ones included, the most reported first; verifying, suspending, handing over and
/// deleting, each recorded as an admin action with the change in one transaction.
struct CommunityModeration: Sendable {
    let database: any Database
    let admin: AdminCaller

    enum Status: String, Sendable { case live, suspended, deleted }

    struct Entry: Sendable {
        let place: CommunityPlace
        let suspendedAt: Date?
        let deletedAt: Date?
        let reportsCount: Int
    }

    func list(q: String?, status: Status?, page: PageRequest) async throws -> (items: [Entry], total: Int) {
        var filters: [SQLQueryString] = []
        switch status {
        case .live: filters.append(CommunityAccess.isLive)
        case .suspended: filters.append("c.suspended_at IS NOT NULL AND c.deleted_at IS NULL")
        case .deleted: filters.append("c.deleted_at IS NOT NULL")
        case nil: filters.append("c.deleted_at IS NULL")
        }
        if let q = q?.trimmingCharacters(in: .whitespaces), !q.isEmpty {
            guard q.count <= 100 else { throw Problem.validation(field: "q", "must be at most 100 characters") }
            let pattern = SQLLikePattern.containing(q.lowercased())
            filters.append("(LOWER(c.name) LIKE \(pattern) OR c.slug LIKE \(pattern))")
        }
        let sql = database.sql
        let rows = try await sql.raw("""
            SELECT \(CommunityRecord.columns), c.suspended_at, c.deleted_at,
                   \(ModerationSQL.openReports(on: .community, idColumn: "c.id")) AS reports_count, COUNT(*) OVER () AS total_count
            FROM \(CommunityRecord.source(for: nil))
            WHERE \(filters.joined(separator: " AND "))
            ORDER BY reports_count DESC, c.created_at DESC, c.id DESC \(page.sqlClause)
            """).all()
        let items = try rows.map(Self.entry)
        guard let first = rows.first else {
            let total = try await sql.raw("SELECT COUNT(*) AS n FROM communities c WHERE \(filters.joined(separator: " AND "))").first()?
                .decode(column: "n", as: Int.self) ?? 0
            return ([], total)
        }
        return (items, try first.decode(column: "total_count", as: Int.self))
    }

    func entry(_ rawID: String) async throws -> Entry {
        guard let id = UUID(uuidString: rawID) else { throw CommunityAccess.notFound }
        let sql = database.sql
        guard let row = try await sql.raw("""
            SELECT \(CommunityRecord.columns), c.suspended_at, c.deleted_at,
                   \(ModerationSQL.openReports(on: .community, idColumn: "c.id")) AS reports_count
            FROM \(CommunityRecord.source(for: nil)) WHERE c.id = \(bind: id)
            """).first()
        else { throw CommunityAccess.notFound }
        return try Self.entry(row)
    }

    func update(_ rawID: String, verified: Bool?, suspended: Bool?, ownerID rawOwnerID: String?, now: Date = Date()) async throws -> Entry {
        let before = try await entry(rawID)
        guard before.deletedAt == nil else { throw CommunityAccess.notFound }
        let communityID = before.place.community.id
        try await database.transaction { tx in
            let sql = tx.sql
            var assignments: [SQLQueryString] = []
            if let verified { assignments.append("verified_at = \(bind: verified ? now : nil)") }
            if let suspended { assignments.append("suspended_at = \(bind: suspended ? now : nil)") }
            if !assignments.isEmpty {
                assignments.append("updated_at = \(bind: now)")
                try await sql.raw("UPDATE communities SET \(assignments.joined(separator: ", ")) WHERE id = \(bind: communityID)").run()
            }
            if let rawOwnerID {
                guard let ownerID = UUID(uuidString: rawOwnerID),
                    let membership = try await MembershipService.membership(communityID: communityID, userID: ownerID, on: tx),
                    membership.status == .active
                else { throw Problem.validation(field: "owner_id", "must be an active member of the community") }
                if membership.role != .owner {
                    try await sql.raw("UPDATE community_members SET role = 'moderator' WHERE community_id = \(bind: communityID) AND role = 'owner'").run()
                    try await sql.raw("UPDATE community_members SET role = 'owner' WHERE id = \(bind: membership.id)").run()
                    try await sql.raw("UPDATE communities SET owner_id = \(bind: ownerID), updated_at = \(bind: now) WHERE id = \(bind: communityID)").run()
                }
            }
            try await AdminAudit.record(
                admin: admin, action: "community.update", targetType: "community", targetID: communityID.uuidString.lowercased(),
                before: Self.state(before), after: #"{"verified":\#(verified.map(String.init) ?? "null"),"suspended":\#(suspended.map(String.init) ?? "null"),"owner_id":"\#(rawOwnerID ?? "")"}"#,
                on: tx)
        }
        return try await entry(rawID)
    }

    func delete(_ rawID: String, now: Date = Date()) async throws {
        let before = try await entry(rawID)
        guard before.deletedAt == nil else { throw CommunityAccess.notFound }
        try await database.transaction { tx in
            let sql = tx.sql
            try await sql.raw("UPDATE communities SET deleted_at = \(bind: now), updated_at = \(bind: now) WHERE id = \(bind: before.place.community.id)").run()
            try await AdminAudit.record(
                admin: admin, action: "community.delete", targetType: "community",
                targetID: before.place.community.id.uuidString.lowercased(), before: Self.state(before), after: #"{"deleted":true}"#, on: tx)
        }
    }

    /// Live posts, most reported first, then the newest; one statement plus the attached models' cards.
    func posts(communitySlug: String?, page: PageRequest, settings: Settings) async throws -> (items: [(PostReads.View, Components.Schemas.ModelSummary?, Int)], total: Int) {
        let reads = PostReads(database: database)
        let result = try await reads.moderationPage(communitySlug: communitySlug?.lowercased(), page: page)
        let cards = try await reads.modelCards(for: result.items.map(\.0), settings: settings)
        return (result.items.map { ($0.0, $0.0.listedModelID.flatMap { cards[$0] }, $0.1) }, result.total)
    }

    func deletePost(_ rawID: String) async throws {
        guard let id = UUID(uuidString: rawID), let post = try await CommunityPost.find(id, on: database), post.deletedAt == nil else {
            throw CommunityAccess.postNotFound
        }
        try await database.transaction { tx in
            try await PostService(database: tx).markDeleted(post)
            try await AdminAudit.record(
                admin: admin, action: "post.delete", targetType: "post", targetID: id.uuidString.lowercased(),
                before: #"{"deleted":false}"#, after: #"{"deleted":true}"#, on: tx)
        }
    }

    private static func entry(_ row: any SQLRow) throws -> Entry {
        Entry(
            place: try CommunityAccess.place(from: row, caller: nil),
            suspendedAt: try row.decode(column: "suspended_at", as: Date?.self), deletedAt: try row.decode(column: "deleted_at", as: Date?.self),
            reportsCount: try row.decode(column: "reports_count", as: Int.self))
    }

    private static func state(_ entry: Entry) -> String {
        #"{"verified":\#(entry.place.community.verified),"suspended":\#(entry.suspendedAt != nil),"owner_id":"\#(entry.place.community.ownerID.uuidString.lowercased())"}"#
    }
}
