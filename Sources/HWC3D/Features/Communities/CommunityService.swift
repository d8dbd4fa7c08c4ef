import Fluent
import Foundation
import SQLKit

/// Creating, editing, deleting and listing communities. The creator becomes the owner and first member in the
/// same transaction as the community.
struct CommunityService: Sendable {
    let database: any Database

    struct Draft: Sendable {
        var name: String
        var slug: String
        var description: String
        var rules: String?
        var visibility: Community.Visibility
        var category: String?
    }

    struct Changes: Sendable {
        var name: String?
        var description: String?
        /// `""` clears.
        var rules: String?
        var visibility: Community.Visibility?
        /// `""` clears.
        var category: String?
    }

    enum Sort: String, Sendable { case members, activity, newest }

    /// Slugs that would shadow a page of the site or read as official.
    static let reservedSlugs: Set<String> = ["new", "create", "admin", "api", "search", "settings", "hwc3d", "official", "support", "help"]

    @discardableResult
    func create(_ draft: Draft, owner: Caller, now: Date = Date()) async throws -> UUID {
        let name = try Self.validName(draft.name)
        let slug = try Self.validSlug(draft.slug)
        let description = try Self.validDescription(draft.description)
        let rules = try draft.rules.map(Self.validRules) ?? nil
        let categoryID = try await categoryID(draft.category)
        let id = UUID.v7(now: now)
        try await database.transaction { tx in
            let sql = tx.sql
            let inserted = try await sql.raw("""
                INSERT INTO communities (id, slug, name, description, rules, rules_html, visibility, category_id, owner_id,
                    member_count, post_count, created_at, updated_at)
                VALUES (\(bind: id), \(bind: slug), \(bind: name), \(bind: description), \(bind: rules),
                    \(bind: rules.map(MarkdownRenderer.html)), \(bind: draft.visibility.rawValue), \(bind: categoryID),
                    \(bind: owner.userID), 1, 0, \(bind: now), \(bind: now))
                ON CONFLICT (slug) DO NOTHING RETURNING id
                """).all()
            guard !inserted.isEmpty else {
                throw Problem.conflict("slug-taken", "Slug taken", detail: "A community already uses the slug \(slug).")
            }
            try await sql.raw("""
                INSERT INTO community_members (id, community_id, user_id, role, status, requested_at, joined_at)
                VALUES (\(bind: UUID.v7(now: now)), \(bind: id), \(bind: owner.userID), 'owner', 'active', \(bind: now), \(bind: now))
                """).run()
        }
        return id
    }

    /// The owner or a moderator; `visibility` is the owner's alone.
    func update(_ place: CommunityPlace, changes: Changes, now: Date = Date()) async throws {
        try await place.requireModerator(on: database)
        let community = place.community
        if changes.visibility != nil, changes.visibility != community.visibility, !place.isOwner,
            !(try await place.isModeratingAdmin(on: database))
        {
            throw Problem.forbidden("Only the owner can change who may read the community.")
        }
        var assignments: [SQLQueryString] = []
        if let name = changes.name { assignments.append("name = \(bind: try Self.validName(name))") }
        if let description = changes.description { assignments.append("description = \(bind: try Self.validDescription(description))") }
        if let rules = changes.rules {
            let cleaned = rules.isEmpty ? nil : try Self.validRules(rules)
            assignments.append("rules = \(bind: cleaned), rules_html = \(bind: cleaned.map(MarkdownRenderer.html))")
        }
        if let visibility = changes.visibility { assignments.append("visibility = \(bind: visibility.rawValue)") }
        if let category = changes.category { assignments.append("category_id = \(bind: try await categoryID(category.isEmpty ? nil : category))") }
        guard !assignments.isEmpty else { return }
        assignments.append("updated_at = \(bind: now)")
        let write = (assignments: assignments, opens: changes.visibility == .public && community.visibility == .private)
        try await database.transaction { tx in
            try await tx.sql.raw("UPDATE communities SET \(write.assignments.joined(separator: ", ")) WHERE id = \(bind: community.id)").run()
            // A private community that turns public lets its pending requests in, in the same transaction: nobody
            // needs approval any more, and no request may stay pending in a public community.
            if write.opens {
                try await MembershipService(database: tx).admitPending(communityID: community.id, now: now)
            }
        }
    }

    /// The owner, or an admin holding `communities.moderate`.
    func delete(_ place: CommunityPlace, now: Date = Date()) async throws {
        if !place.isOwner, !(try await place.isModeratingAdmin(on: database)) {
            try await place.requireReadable(on: database)
            throw Problem.forbidden("Only the community's owner can delete it.")
        }
        let sql = database.sql
        try await sql.raw("UPDATE communities SET deleted_at = \(bind: now), updated_at = \(bind: now) WHERE id = \(bind: place.community.id) AND deleted_at IS NULL").run()
    }

    /// One page of live communities, with the caller's memberships: two statements (the page, the categories).
    func list(caller: Caller?, query: String?, category: String?, sort: Sort, page: PageRequest) async throws -> (items: [CommunityPlace], total: Int) {
        var filters: [SQLQueryString] = [CommunityAccess.isLive]
        if let query = query?.trimmingCharacters(in: .whitespacesAndNewlines), !query.isEmpty {
            guard query.count <= 100 else { throw Problem.validation(field: "q", "must be at most 100 characters") }
            let pattern = SQLLikePattern.containing(query.lowercased())
            filters.append("(LOWER(c.name) LIKE \(pattern) OR LOWER(c.description) LIKE \(pattern))")
        }
        if let category, !category.isEmpty {
            filters.append("c.category_id IN (\(CatalogueSQL.categoryIDs(underSlug: category.lowercased())))")
        }
        let order: SQLQueryString = switch sort {
        case .members: "c.member_count DESC, c.id DESC"
        case .activity: "c.last_activity_at IS NULL, c.last_activity_at DESC, c.id DESC"
        case .newest: "c.created_at DESC, c.id DESC"
        }
        let sql = database.sql
        let rows = try await sql.raw("""
            SELECT \(CommunityRecord.columns), COUNT(*) OVER () AS total_count FROM \(CommunityRecord.source(for: caller))
            WHERE \(filters.joined(separator: " AND "))
            ORDER BY \(order) \(page.sqlClause)
            """).all()
        guard let first = rows.first else {
            let total = try await sql.raw("SELECT COUNT(*) AS total_count FROM communities c WHERE \(filters.joined(separator: " AND "))")
                .first()?.decode(column: "total_count", as: Int.self) ?? 0
            return ([], total)
        }
        return (try rows.map { try CommunityAccess.place(from: $0, caller: caller) }, try first.decode(column: "total_count", as: Int.self))
    }

    // MARK: - Validation

    static func validName(_ raw: String) throws -> String {
        try TextInput.clean(raw, field: "name", shape: .singleLine, length: 3...80)
    }

    static func validDescription(_ raw: String) throws -> String {
        try TextInput.clean(raw, field: "description", shape: .multiLine, length: 0...2000)
    }

    static func validRules(_ raw: String) throws -> String {
        try TextInput.clean(raw, field: "rules", shape: .multiLine, length: 1...10_000)
    }

    /// 3 to 50 of a-z and 0-9, with single hyphens inside; stored as given, compared lower-cased.
    static func validSlug(_ raw: String) throws -> String {
        let slug = raw.lowercased()
        let scalars = Array(slug.unicodeScalars)
        let valid = (3...50).contains(scalars.count)
            && scalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
            && scalars.first != "-" && scalars.last != "-" && !slug.contains("--")
        guard valid else {
            throw Problem.validation(field: "slug", "must be 3 to 50 letters a-z, digits and single hyphens, not starting or ending with one")
        }
        guard !reservedSlugs.contains(slug) else { throw Problem.validation(field: "slug", "is reserved") }
        return slug
    }

    private func categoryID(_ slug: String?) async throws -> UUID? {
        guard let slug else { return nil }
        guard let category = try await Category.withSlug(slug, on: database) else {
            throw Problem.validation(field: "category", "must be the slug of a catalogue category")
        }
        return category.id
    }
}
