import Fluent
import SQLKit
import Vapor

/// Profiles, following and account lifecycle (export and erasure).
struct UserService: Sendable {
    static let usernameChangeInterval: TimeInterval = 30 * 24 * 3600

    let services: AppServices
    let database: any Database

    struct ProfileChanges {
        var username: String?
        var displayName: String?
        var bio: String?
        var location: String?
        var website: String?
        var socialLinks: [String: String]?
        var skills: [String]?
    }

    static let maxSocialLinks = 15
    static let maxSkills = 30

    static let socialNetworks: Set<String> = [
        "twitter", "x", "github", "artstation", "instagram", "youtube", "linkedin", "behance", "sketchfab", "discord",
        "website", "twitch", "tiktok", "mastodon", "bluesky",
    ]

    func update(_ caller: User, with changes: ProfileChanges) async throws -> User {
        // Read afresh through Fluent so only the changed columns are written: the caller's copy came from a
        // column-by-column read that marks every field changed, and writing it back would put stale counters over
        // follows that landed meanwhile.
        guard let user = try await User.find(caller.requireID(), on: database) else { throw Problem.notFound("The account") }
        var errors: [Problem.FieldError] = []
        let displayName = changes.displayName.map {
            TextInput.clean($0, field: "display_name", shape: .singleLine, length: 1...80, errors: &errors)
        }
        let bio = changes.bio.map { TextInput.clean($0, field: "bio", shape: .multiLine, length: 0...2000, errors: &errors) }
        let location = changes.location.map {
            TextInput.clean($0, field: "location", shape: .singleLine, length: 0...100, errors: &errors)
        }
        errors += AccountRules.urlErrors(changes.website, field: "website")
        // Lists are counted before their items are looked at, so a huge list costs one comparison.
        if let links = changes.socialLinks {
            if links.count > Self.maxSocialLinks {
                errors.append(.init(field: "social_links", message: "at most \(Self.maxSocialLinks) links"))
            } else {
                for (network, url) in links {
                    if !Self.socialNetworks.contains(network.lowercased()) {
                        errors.append(.init(field: "social_links.\(network.prefix(40))", message: "unknown network; one of \(Self.socialNetworks.sorted().joined(separator: ", "))"))
                    } else {
                        errors += AccountRules.urlErrors(url, field: "social_links.\(network)")
                    }
                }
            }
        }
        var skills: [String]?
        if let raw = changes.skills {
            if raw.count > Self.maxSkills {
                errors.append(.init(field: "skills", message: "at most \(Self.maxSkills) skills"))
            } else {
                var kept: [String] = []
                var seen = Set<String>()
                for (index, skill) in raw.enumerated() {
                    if let text = TextInput.clean(skill, field: "skills[\(index)]", shape: .singleLine, length: 1...40, errors: &errors),
                        seen.insert(text.lowercased()).inserted
                    {
                        kept.append(text)
                    }
                }
                skills = kept
            }
        }
        var newUsername: String?
        if let username = changes.username?.trimmingCharacters(in: .whitespaces), username != user.username {
            errors += AccountRules.usernameErrors(username)
            if username.lowercased() != user.usernameKey, let changedAt = user.usernameChangedAt,
                Date().timeIntervalSince(changedAt) < Self.usernameChangeInterval
            {
                errors.append(.init(field: "username", message: "can be changed once every 30 days"))
            }
            newUsername = username
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
        if let newUsername {
            try await AuthService(services: services, database: database).ensureAvailable(email: nil, username: newUsername, excluding: user.id)
            if newUsername.lowercased() != user.usernameKey { user.usernameChangedAt = Date() }
            user.username = newUsername
            user.usernameKey = newUsername.lowercased()
        }
        if let displayName = displayName ?? nil { user.displayName = displayName }
        if let bio = bio ?? nil { user.bio = bio.isEmpty ? nil : bio }
        if let location = location ?? nil { user.location = location.isEmpty ? nil : location }
        if let website = changes.website { user.website = website.isEmpty ? nil : website }
        if let links = changes.socialLinks {
            user.socialLinks = Dictionary(links.filter { !$0.value.isEmpty }.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a })
        }
        if let skills { user.skills = skills }
        do {
            try await user.update(on: database)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw Problem(.conflict, "username-taken", "Username taken", detail: "That username is taken.",
                          errors: [.init(field: "username", message: "is taken")])
        }
        // The creator's names are part of each of their models' search documents.
        if newUsername != nil || changes.displayName != nil {
            try await ModelSearchIndex.refresh(ownerID: user.requireID(), on: database)
        }
        return user
    }

    func findPublic(username: String) async throws -> User {
        try await publicProfile(username: username, viewerID: nil).user
    }

    /// An active account by username, and whether the viewer follows it (never themselves).
    func publicProfile(username: String, viewerID: UUID?) async throws -> (user: User, followed: Bool) {
        guard username.count <= 60,
            let found = try await UserReads.profile(usernameKey: username.lowercased(), viewerID: viewerID, on: database),
            found.user.status == .active
        else { throw Problem.notFound("User") }
        return (found.user, found.followed && found.user.id != viewerID)
    }

    /// Idempotent. The counters move only when the row really appears, in the same transaction, with an
    /// in-place increment, so concurrent follows keep them exact.
    func follow(followerID: UUID, username: String) async throws -> (following: Bool, followers: Int) {
        let target = try await findPublic(username: username)
        guard target.id != followerID else {
            throw Problem(.unprocessableEntity, "cannot-follow-self", "Cannot follow yourself", detail: "You cannot follow yourself.")
        }
        try await database.transaction { tx in
            let sql = tx.sql
            let inserted = try await sql.raw("""
                INSERT INTO user_follows (id, follower_id, followee_id, created_at)
                VALUES (\(bind: UUID.v7()), \(bind: followerID), \(bind: target.id!), \(bind: Date()))
                ON CONFLICT (follower_id, followee_id) DO NOTHING RETURNING id
                """).all()
            guard !inserted.isEmpty else { return }
            try await adjustCounters(follower: followerID, followee: target.id!, by: 1, sql: sql)
            try await Notifier.notify(.init(
                .follow, to: target.id!, actor: followerID, target: ("user", target.id!), subject: target.displayName,
                link: "/users/\(target.username)"), on: tx)
        }
        return (true, try await followersCount(of: target.id!))
    }

    func unfollow(followerID: UUID, username: String) async throws -> (following: Bool, followers: Int) {
        let target = try await findPublic(username: username)
        try await database.transaction { tx in
            let sql = tx.sql
            let deleted = try await sql.raw("""
                DELETE FROM user_follows WHERE follower_id = \(bind: followerID) AND followee_id = \(bind: target.id!) RETURNING id
                """).all()
            guard !deleted.isEmpty else { return }
            try await adjustCounters(follower: followerID, followee: target.id!, by: -1, sql: sql)
        }
        return (false, try await followersCount(of: target.id!))
    }

    private func adjustCounters(follower: UUID, followee: UUID, by delta: Int, sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE users SET followers_count = followers_count + \(bind: delta) WHERE id = \(bind: followee)").run()
        try await sql.raw("UPDATE users SET following_count = following_count + \(bind: delta) WHERE id = \(bind: follower)").run()
    }

    private func followersCount(of userID: UUID) async throws -> Int {
        try await User.find(userID, on: database)?.followersCount ?? 0
    }

    struct Page<T> {
        let items: [T]
        let total: Int
    }

    enum FollowDirection { case followers, following }

    func followList(of username: String, direction: FollowDirection, page: PageRequest) async throws -> Page<User> {
        let user = try await findPublic(username: username)
        let query = UserFollow.query(on: database)
        switch direction {
        case .followers: query.filter(\.$followee.$id == user.id!).join(User.self, on: \UserFollow.$follower.$id == \User.$id)
        case .following: query.filter(\.$follower.$id == user.id!).join(User.self, on: \UserFollow.$followee.$id == \User.$id)
        }
        query.filter(User.self, \.$status == .active)
        let total = try await query.count()
        let rows = try await query.sort(\.$createdAt, .descending).range(page.rows).all()
        return Page(items: try rows.map { try $0.joined(User.self) }, total: total)
    }

    enum SearchSort: String { case relevance, followers, newest, username }

    func search(q: String?, sort: SearchSort?, page: PageRequest) async throws -> Page<User> {
        let query = User.query(on: database).filter(\.$status == .active)
        let term = q?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        if !term.isEmpty {
            guard term.count <= 100 else { throw Problem.validation(field: "q", "must be at most 100 characters") }
            let pattern = SQLLikePattern.containing(term.lowercased())
            query.group(.or) { group in
                group.filter(.sql(SQLBinaryExpression(SQLIdentifier("username_key"), .like, pattern)))
                group.filter(.sql(SQLBinaryExpression(SQLFunction("lower", args: SQLIdentifier("display_name")), .like, pattern)))
            }
        }
        let total = try await query.count()
        switch sort ?? (term.isEmpty ? .followers : .relevance) {
        case .relevance, .followers: query.sort(\.$followersCount, .descending).sort(\.$usernameKey)
        case .newest: query.sort(\.$createdAt, .descending)
        case .username: query.sort(\.$usernameKey)
        }
        let users = try await query.range(page.rows).all()
        return Page(items: users, total: total)
    }
}
