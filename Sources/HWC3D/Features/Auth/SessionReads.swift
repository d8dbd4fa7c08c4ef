import Fluent
import Foundation
import SQLKit

/// The read behind every authenticated request, as one SQL statement decoded straight into models: Fluent's own
/// hydration walks each model by reflection, which profiling showed costs more than the query itself here.
enum SessionReads {
    struct CallerRecord {
        let user: User
        let session: AuthSession
        let isAdmin: Bool
    }

    /// The session, its user and whether the user is an admin, in one round trip.
    static func caller(sessionID: UUID, on database: any Database) async throws -> CallerRecord? {
        guard let row = try await database.preparedFirst("""
            SELECT u.*, s.user_id AS s_user_id, s.is_admin AS s_is_admin, s.user_agent AS s_user_agent, s.ip AS s_ip,
                   s.last_used_at AS s_last_used_at, s.expires_at AS s_expires_at, s.revoked_at AS s_revoked_at,
                   s.created_at AS s_created_at,
                   \(AdminDirectory.isAdminExpression(userIDColumn: "u.id")) AS s_is_admin_user
            FROM auth_sessions s \(UserReads.join(alias: "u", on: "s.user_id"))
            WHERE s.id = \(bind: sessionID)
            """)
        else { return nil }
        let user = try UserRow(from: row).model()
        let session = AuthSession()
        session.id = sessionID
        session.$user.id = try row.decode(column: "s_user_id", as: UUID.self)
        session.isAdmin = try row.decode(column: "s_is_admin", as: Bool.self)
        session.userAgent = try row.decode(column: "s_user_agent", as: String?.self)
        session.ip = try row.decode(column: "s_ip", as: String?.self)
        session.lastUsedAt = try row.decode(column: "s_last_used_at", as: Date.self)
        session.expiresAt = try row.decode(column: "s_expires_at", as: Date.self)
        session.revokedAt = try row.decode(column: "s_revoked_at", as: Date?.self)
        session.createdAt = try row.decode(column: "s_created_at", as: Date?.self)
        session.$id.exists = true
        return CallerRecord(user: user, session: session, isAdmin: try row.decode(column: "s_is_admin_user", as: Bool.self))
    }

    /// The sessions among `ids` that can still be used now: not revoked, not expired, their account active. For
    /// long-lived connections (sockets) that authenticated once and must end with their session.
    static func live(_ ids: Set<UUID>, on database: any Database, now: Date = Date()) async throws -> Set<UUID> {
        guard !ids.isEmpty else { return [] }
        let sql = database.sql
        var live: Set<UUID> = []
        let all = Array(ids)
        for start in stride(from: 0, to: all.count, by: 500) {
            let batch = Array(all[start..<min(start + 500, all.count)])
            let rows = try await sql.raw("""
                SELECT s.id FROM auth_sessions s \(UserReads.join(alias: "u", on: "s.user_id"))
                WHERE \(sql.idMatches("s.id", anyOf: batch)) AND s.revoked_at IS NULL AND s.expires_at > \(bind: now)
                  AND \(UserReads.isActive("u"))
                """).all()
            for row in rows { live.insert(try row.decode(column: "id", as: UUID.self)) }
        }
        return live
    }
}
