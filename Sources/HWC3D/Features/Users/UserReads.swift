import Fluent
import Foundation
import SQLKit

/// The reads behind every authenticated request and every profile view, as single SQL statements decoded
/// straight into models. Fluent's own hydration walks each model by reflection, which profiling showed costs
/// more than the query itself on these paths (see the benchmark in the README).
enum UserReads {
    static func user(usernameKey: String, on database: any Database) async throws -> User? {
        let sql = database.sql
        let row = try await sql.raw("SELECT * FROM users WHERE username_key = \(bind: usernameKey)").first()
        return try row.map { try UserRow(from: $0).model() }
    }

    struct CallerRecord {
        let user: User
        let session: AuthSession
        let isAdmin: Bool
    }

    /// The session, its user and whether the user is an admin, in one round trip.
    static func caller(sessionID: UUID, on database: any Database) async throws -> CallerRecord? {
        let sql = database.sql
        guard let row = try await sql.raw("""
            SELECT u.*, s.user_id AS s_user_id, s.is_admin AS s_is_admin, s.user_agent AS s_user_agent, s.ip AS s_ip,
                   s.last_used_at AS s_last_used_at, s.expires_at AS s_expires_at, s.revoked_at AS s_revoked_at,
                   s.created_at AS s_created_at,
                   (SELECT COUNT(*) FROM admin_users a WHERE a.user_id = u.id) AS s_admin_count
            FROM auth_sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id = \(bind: sessionID)
            """).first()
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
        let admins = try row.decode(column: "s_admin_count", as: Int.self)
        return CallerRecord(user: user, session: session, isAdmin: admins > 0)
    }
}

/// A `users` row as stored, column for column.
private struct UserRow {
    let id: UUID
    let email, username, usernameKey, displayName: String
    let passwordHash, bio, location, website, avatarKey, bannerKey: String?
    let socialLinks: [String: String]
    let skills: [String]
    let emailVerifiedAt, usernameChangedAt, lastLoginAt, createdAt, updatedAt: Date?
    let isCreator: Bool
    let status: String
    let followersCount, followingCount, modelsCount: Int

    init(from row: any SQLRow) throws {
        id = try row.decode(column: "id", as: UUID.self)
        email = try row.decode(column: "email", as: String.self)
        username = try row.decode(column: "username", as: String.self)
        usernameKey = try row.decode(column: "username_key", as: String.self)
        displayName = try row.decode(column: "display_name", as: String.self)
        passwordHash = try row.decode(column: "password_hash", as: String?.self)
        bio = try row.decode(column: "bio", as: String?.self)
        location = try row.decode(column: "location", as: String?.self)
        website = try row.decode(column: "website", as: String?.self)
        avatarKey = try row.decode(column: "avatar_key", as: String?.self)
        bannerKey = try row.decode(column: "banner_key", as: String?.self)
        socialLinks = try row.decode(column: "social_links", as: [String: String].self)
        skills = try row.decode(column: "skills", as: [String].self)
        emailVerifiedAt = try row.decode(column: "email_verified_at", as: Date?.self)
        usernameChangedAt = try row.decode(column: "username_changed_at", as: Date?.self)
        lastLoginAt = try row.decode(column: "last_login_at", as: Date?.self)
        createdAt = try row.decode(column: "created_at", as: Date?.self)
        updatedAt = try row.decode(column: "updated_at", as: Date?.self)
        isCreator = try row.decode(column: "is_creator", as: Bool.self)
        status = try row.decode(column: "status", as: String.self)
        followersCount = try row.decode(column: "followers_count", as: Int.self)
        followingCount = try row.decode(column: "following_count", as: Int.self)
        modelsCount = try row.decode(column: "models_count", as: Int.self)
    }

    /// A model that Fluent treats as loaded from the database, so `update(on:)` writes it back.
    func model() -> User {
        let user = User()
        user.id = id
        user.email = email
        user.username = username
        user.usernameKey = usernameKey
        user.passwordHash = passwordHash
        user.displayName = displayName
        user.bio = bio
        user.location = location
        user.website = website
        user.socialLinks = socialLinks
        user.skills = skills
        user.avatarKey = avatarKey
        user.bannerKey = bannerKey
        user.emailVerifiedAt = emailVerifiedAt
        user.isCreator = isCreator
        user.status = User.Status(rawValue: status) ?? .suspended
        user.usernameChangedAt = usernameChangedAt
        user.lastLoginAt = lastLoginAt
        user.followersCount = followersCount
        user.followingCount = followingCount
        user.modelsCount = modelsCount
        user.createdAt = createdAt
        user.updatedAt = updatedAt
        user.$id.exists = true
        return user
    }
}
