import Fluent
import Foundation
import SQLKit

/// Joining, leaving, requests, roles and bans. `communities.member_count` counts active members and moves in the
/// same transaction as the membership row; each change reads the row under the community's lock, so two
/// requests racing on one membership cannot count it twice.
struct MembershipService: Sendable {
    let database: any Database

    struct Member: Sendable {
        let user: UserSummaryColumns.Row
        let role: CommunityMember.Role
        let status: CommunityMember.Status
        let requestedAt: Date
        let joinedAt: Date?
    }

    /// A public community: member at once. A private one: a pending request. Idempotent; a ban is 403.
    func join(_ place: CommunityPlace, caller: Caller, now: Date = Date()) async throws -> (CommunityMember.Role, CommunityMember.Status) {
        let communityID = place.community.id
        let visibility = place.community.visibility
        return try await database.transaction { tx in
            try await Self.lock(communityID, on: tx)
            if let existing = try await Self.membership(communityID: communityID, userID: caller.userID, on: tx) {
                if existing.status == .banned { throw Problem.forbidden("You are banned from this community.") }
                return (existing.role, existing.status)
            }
            let status: CommunityMember.Status = visibility == .public ? .active : .pending
            let sql = tx.sql
            try await sql.raw("""
                INSERT INTO community_members (id, community_id, user_id, role, status, requested_at, joined_at)
                VALUES (\(bind: UUID.v7(now: now)), \(bind: communityID), \(bind: caller.userID), 'member', \(bind: status.rawValue),
                    \(bind: now), \(bind: status == .active ? now : nil))
                """).run()
            if status == .active {
                try await Self.addMembers(1, to: communityID, on: tx)
                try await CommunityEvents.memberJoined(caller.userID, in: communityID, on: tx, now: now)
            }
            return (.member, status)
        }
    }

    /// Leaves or withdraws a request. The owner must hand over first; a ban stays. Idempotent.
    func leave(_ place: CommunityPlace, caller: Caller) async throws {
        let communityID = place.community.id
        try await database.transaction { tx in
            try await Self.lock(communityID, on: tx)
            guard let existing = try await Self.membership(communityID: communityID, userID: caller.userID, on: tx),
                existing.status != .banned
            else { return }
            if existing.role == .owner {
                throw Problem.conflict(
                    "owner-cannot-leave", "Owner cannot leave",
                    detail: "Make another member the owner first (PATCH the member with role owner).")
            }
            try await Self.deleteRow(existing, on: tx)
        }
    }

    /// Owner first, then moderators, then members, each by joining date. Pending and banned lists are for
    /// moderators; a private community's members are for its members.
    func list(_ place: CommunityPlace, status: CommunityMember.Status, role: CommunityMember.Role?, page: PageRequest) async throws -> (items: [Member], total: Int) {
        try await place.requireReadable(on: database)
        if status != .active { try await place.requireModerator(on: database) }
        var filters: [SQLQueryString] = [
            "m.community_id = \(bind: place.community.id)", "m.status = \(bind: status.rawValue)", UserReads.isActive("u"),
        ]
        if let role { filters.append("m.role = \(bind: role.rawValue)") }
        let sql = database.sql
        let rows = try await sql.raw("""
            SELECT m.role, m.status, m.requested_at, m.joined_at, \(unsafeRaw: UserSummaryColumns.select(from: "u", prefix: "u_")),
                   COUNT(*) OVER () AS total_count
            FROM community_members m \(UserReads.join(alias: "u", on: "m.user_id"))
            WHERE \(filters.joined(separator: " AND "))
            ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'moderator' THEN 1 ELSE 2 END, m.joined_at, m.requested_at, m.id
            \(page.sqlClause)
            """).all()
        guard let first = rows.first else {
            let total = try await sql.raw("""
                SELECT COUNT(*) AS total_count FROM community_members m \(UserReads.join(alias: "u", on: "m.user_id"))
                WHERE \(filters.joined(separator: " AND "))
                """).first()?.decode(column: "total_count", as: Int.self) ?? 0
            return ([], total)
        }
        return (try rows.map(Self.member), try first.decode(column: "total_count", as: Int.self))
    }

    /// `status: active` approves a request (owner or moderator); `role` is the owner's: moderator, member, or owner
    /// to hand over (the old owner stays as a moderator).
    func update(_ place: CommunityPlace, userID rawUserID: String, role: CommunityMember.Role?, approve: Bool, now: Date = Date()) async throws -> Member {
        try await place.requireModerator(on: database)
        guard role != nil || approve else { throw Problem.validation(field: "role", "give a role or status") }
        let actingAsAdmin = !place.isCommunityModerator
        if role != nil, !place.isOwner, !actingAsAdmin {
            throw Problem.forbidden("Only the community's owner can change roles.")
        }
        let communityID = place.community.id
        let target = try Self.userID(rawUserID)
        try await database.transaction { tx in
            try await Self.lock(communityID, on: tx)
            guard var existing = try await Self.membership(communityID: communityID, userID: target, on: tx), existing.status != .banned
            else { throw Self.memberNotFound }
            let sql = tx.sql
            if approve, existing.status == .pending {
                try await sql.raw("""
                    UPDATE community_members SET status = 'active', joined_at = \(bind: now) WHERE id = \(bind: existing.id)
                    """).run()
                try await Self.addMembers(1, to: communityID, on: tx)
                try await CommunityEvents.memberJoined(target, in: communityID, on: tx, now: now)
                existing.status = .active
            }
            guard let role, role != existing.role else { return }
            guard existing.status == .active else {
                throw Problem.conflict("not-a-member", "Not a member", detail: "Approve the request before giving a role.")
            }
            if existing.role == .owner {
                throw Problem.conflict("owner-role", "Owner's role", detail: "Hand the community to another member to change the owner's role.")
            }
            if role == .owner {
                // Handing over: the old owner stays on as a moderator.
                try await sql.raw("UPDATE community_members SET role = 'moderator' WHERE community_id = \(bind: communityID) AND role = 'owner'").run()
                try await sql.raw("UPDATE communities SET owner_id = \(bind: target), updated_at = \(bind: now) WHERE id = \(bind: communityID)").run()
            }
            try await sql.raw("UPDATE community_members SET role = \(bind: role.rawValue) WHERE id = \(bind: existing.id)").run()
        }
        return try await member(communityID: communityID, userID: target)
    }

    /// Removes a member, refuses a request, or with `ban` bans the user (a row that stays, so they cannot come
    /// back). Deleting a ban lifts it. Moderators act on members; the owner on moderators too; nobody on the owner.
    func remove(_ place: CommunityPlace, userID rawUserID: String, ban: Bool, now: Date = Date()) async throws {
        try await place.requireModerator(on: database)
        let communityID = place.community.id
        let target = try Self.userID(rawUserID)
        let actingAsAdmin = !place.isCommunityModerator
        let callerIsOwner = place.isOwner
        try await database.transaction { tx in
            try await Self.lock(communityID, on: tx)
            let existing = try await Self.membership(communityID: communityID, userID: target, on: tx)
            if let existing {
                if existing.role == .owner && existing.status == .active {
                    throw Problem.forbidden("The owner cannot be removed; the owner can hand the community over.")
                }
                if existing.role == .moderator && existing.status == .active && !callerIsOwner && !actingAsAdmin {
                    throw Problem.forbidden("Only the owner can remove a moderator.")
                }
            }
            try await CommunityEvents.accessRevoked(target, in: communityID, on: tx, now: now)
            guard ban else {
                guard let existing else { throw Self.memberNotFound }
                try await Self.deleteRow(existing, on: tx)
                return
            }
            if let existing {
                if existing.status == .banned { return }
                try await Self.deleteRow(existing, on: tx)
            } else {
                guard try await UserDirectory.exists(target, on: tx) else { throw Self.memberNotFound }
            }
            let sql = tx.sql
            try await sql.raw("""
                INSERT INTO community_members (id, community_id, user_id, role, status, requested_at)
                VALUES (\(bind: UUID.v7(now: now)), \(bind: communityID), \(bind: target), 'member', 'banned', \(bind: now))
                """).run()
        }
    }

    /// When a private community turns public, its pending requests become members.
    func admitPending(communityID: UUID, now: Date) async throws {
        try await database.transaction { tx in
            try await Self.lock(communityID, on: tx)
            let sql = tx.sql
            let admitted = try await sql.raw("""
                UPDATE community_members SET status = 'active', joined_at = \(bind: now)
                WHERE community_id = \(bind: communityID) AND status = 'pending' RETURNING id
                """).all()
            if !admitted.isEmpty { try await Self.addMembers(admitted.count, to: communityID, on: tx) }
        }
    }

    func member(communityID: UUID, userID: UUID) async throws -> Member {
        let sql = database.sql
        guard let row = try await sql.raw("""
            SELECT m.role, m.status, m.requested_at, m.joined_at, \(unsafeRaw: UserSummaryColumns.select(from: "u", prefix: "u_"))
            FROM community_members m \(UserReads.join(alias: "u", on: "m.user_id"))
            WHERE m.community_id = \(bind: communityID) AND m.user_id = \(bind: userID)
            """).first()
        else { throw Self.memberNotFound }
        return try Self.member(row)
    }

    /// The active members of a community but one, for a post's notifications.
    static func activeMemberIDs(of communityID: UUID, except userID: UUID, on database: any Database) async throws -> [UUID] {
        let sql = database.sql
        return try await sql.raw("""
            SELECT user_id FROM community_members
            WHERE community_id = \(bind: communityID) AND status = 'active' AND user_id <> \(bind: userID)
            """).all().map { try $0.decode(column: "user_id", as: UUID.self) }
    }

    // MARK: -

    static let memberNotFound = Problem.notFound("The member")

    struct Row {
        let id: UUID
        let communityID: UUID
        var role: CommunityMember.Role
        var status: CommunityMember.Status
    }

    /// Serialises membership changes of one community: PostgreSQL locks its row to the end of the transaction;
    /// SQLite runs one write transaction at a time already.
    static func lock(_ communityID: UUID, on database: any Database) async throws {
        let sql = database.sql
        guard sql.dialect.name == "postgresql" else { return }
        try await sql.raw("SELECT id FROM communities WHERE id = \(bind: communityID) FOR NO KEY UPDATE").run()
    }

    static func membership(communityID: UUID, userID: UUID, on database: any Database) async throws -> Row? {
        let sql = database.sql
        guard let row = try await sql.raw("""
            SELECT id, community_id, role, status FROM community_members WHERE community_id = \(bind: communityID) AND user_id = \(bind: userID)
            """).first()
        else { return nil }
        return Row(
            id: try row.decode(column: "id", as: UUID.self), communityID: try row.decode(column: "community_id", as: UUID.self),
            role: CommunityMember.Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .member,
            status: CommunityMember.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .pending)
    }

    private static func deleteRow(_ row: Row, on database: any Database) async throws {
        let sql = database.sql
        try await sql.raw("DELETE FROM community_members WHERE id = \(bind: row.id)").run()
        if row.status == .active { try await addMembers(-1, to: row.communityID, on: database) }
    }

    static func addMembers(_ delta: Int, to communityID: UUID, on database: any Database) async throws {
        let sql = database.sql
        try await sql.raw("UPDATE communities SET member_count = member_count + \(bind: delta) WHERE id = \(bind: communityID)").run()
    }

    private static func userID(_ raw: String) throws -> UUID {
        guard let id = UUID(uuidString: raw) else { throw memberNotFound }
        return id
    }

    private static func member(_ row: any SQLRow) throws -> Member {
        Member(
            user: try UserSummaryColumns.Row(from: row, prefix: "u_"),
            role: CommunityMember.Role(rawValue: try row.decode(column: "role", as: String.self)) ?? .member,
            status: CommunityMember.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .pending,
            requestedAt: try row.decode(column: "requested_at", as: Date.self),
            joinedAt: try row.decode(column: "joined_at", as: Date?.self))
    }
}
