import Fluent
import Foundation
import SQLKit

/// The reads behind every authenticated request and every profile view, as single SQL statements decoded
/// straight into models. Fluent's own hydration walks each model by reflection, which profiling showed costs
/// more than the query itself on these paths (see the benchmark in the README).
enum UserReads {
    /// A profile as a viewer sees it: the account with this username key and whether `viewerID` follows it, in
    /// one statement (a signed-in profile view was two, the second through Fluent).
    static func profile(usernameKey: String, viewerID: UUID?, on database: any Database) async throws -> (user: User, followed: Bool)? {
        let followed: SQLQueryString = if let viewerID {
            "EXISTS (SELECT 1 FROM user_follows f WHERE f.follower_id = \(bind: viewerID) AND f.followee_id = u.id)"
        } else {
            "FALSE"
        }
        guard let row = try await database.preparedFirst("""
            SELECT u.*, \(followed) AS followed_by_viewer FROM users u WHERE u.username_key = \(bind: usernameKey)
            """)
        else { return nil }
        return (try UserRow(from: row).model(), try row.decode(column: "followed_by_viewer", as: Bool.self))
    }

    /// `JOIN users <alias> ON <alias>.id = <userIDColumn>`, and the row it adds decodes with `UserRow`: for the
    /// one-statement reads of other features that need the whole user (the caller of a request).
    static func join(alias: String, on userIDColumn: String) -> SQLQueryString {
        "JOIN users \(unsafeRaw: alias) ON \(unsafeRaw: alias).id = \(unsafeRaw: userIDColumn)"
    }

    /// One person by id, whatever the account's status (admin views, a model's creator); one statement.
    static func user(id: UUID, on database: any Database) async throws -> User? {
        let sql = database.sql
        let row = try await sql.raw("SELECT * FROM users WHERE id = \(bind: id)").first()
        return try row.map { try UserRow(from: $0).model() }
    }

    /// A subquery listing the id of the account with this username key (none: no such account), for filters
    /// such as "models by this creator".
    static func ids(usernameKey: String) -> SQLQueryString {
        "SELECT u.id FROM users u WHERE u.username_key = \(bind: usernameKey)"
    }

    /// True when the user joined under `alias` (see `join(alias:on:)`) may be shown to others: not suspended,
    /// not erased.
    /// A person as lists show them, by id, whatever the account's status (admin views).
    static func summary(id: UUID, on database: any Database) async throws -> UserSummaryColumns.Row? {
        let sql = database.sql
        return try await sql.raw("SELECT \(unsafeRaw: UserSummaryColumns.select(from: "u", prefix: "u_")) FROM users u WHERE u.id = \(bind: id)")
            .first().map { try UserSummaryColumns.Row(from: $0, prefix: "u_") }
    }

    /// A subquery of the ids of the people `userID` follows (the feed).
    static func followeeIDs(of userID: UUID) -> SQLQueryString {
        "SELECT followee_id FROM user_follows WHERE follower_id = \(bind: userID)"
    }

    static func isActive(_ alias: String) -> SQLQueryString {
        "\(unsafeRaw: alias).status = 'active'"
    }
}

/// A `users` row as stored, column for column.
struct UserRow {
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
