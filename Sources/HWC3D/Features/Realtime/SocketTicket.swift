import Crypto
import Fluent
import Foundation
import SQLKit

/// A single-use, 30-second pass to open a socket, for clients that cannot send the session cookie with the
/// upgrade (another origin, a native app). Stored hashed, bound to the session that asked for it; any instance
/// can redeem it, once.
final class SocketTicket: Model, @unchecked Sendable {
    static let schema = "socket_tickets"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "user_id") var userID: UUID
    @Field(key: "session_id") var sessionID: UUID
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

enum SocketTickets {
    static let lifetime: TimeInterval = 30

    static func issue(for caller: Caller, on database: any Database, now: Date = Date()) async throws -> (ticket: String, expiresAt: Date) {
        let ticket = SecureRandom.token(bytes: 32)
        let expiresAt = now.addingTimeInterval(lifetime)
        let sql = database.sql
        try await sql.raw("""
            INSERT INTO socket_tickets (id, token_hash, user_id, session_id, expires_at, created_at)
            VALUES (\(bind: UUID.v7(now: now)), \(bind: hash(ticket)), \(bind: caller.userID), \(bind: caller.sessionID),
                    \(bind: expiresAt), \(bind: now))
            """).run()
        // Spent and expired tickets are of no use to anyone: cleared as new ones are made.
        try await sql.raw("DELETE FROM socket_tickets WHERE expires_at < \(bind: now.addingTimeInterval(-3600))").run()
        return (ticket, expiresAt)
    }

    /// The session a live, unused ticket was issued to, marking it used in the same statement so two redemptions
    /// cannot both succeed; nil for an unknown, spent or expired ticket.
    static func redeem(_ ticket: String, on database: any Database, now: Date = Date()) async throws -> (userID: UUID, sessionID: UUID)? {
        guard ticket.count <= 100 else { return nil }
        let sql = database.sql
        guard let row = try await sql.raw("""
            UPDATE socket_tickets SET used_at = \(bind: now)
            WHERE token_hash = \(bind: hash(ticket)) AND used_at IS NULL AND expires_at > \(bind: now)
            RETURNING user_id, session_id
            """).first()
        else { return nil }
        return (try row.decode(column: "user_id", as: UUID.self), try row.decode(column: "session_id", as: UUID.self))
    }

    private static func hash(_ ticket: String) -> String {
        SHA256.hash(data: Data(ticket.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
