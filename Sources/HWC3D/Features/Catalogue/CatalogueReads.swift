import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// The category tree and popular tags with their counts of listed models (published, public, not deleted),
/// each one SQL statement. The tree's counts are kept as models change (`ListingSQL.leftJoinListedCount`), not
/// counted per request.
struct CatalogueReads: Sendable {
    let database: any Database

    struct Node: Sendable {
        let id: UUID
        let slug: String
        let name: String
        /// Listed models filed here, plus those of its children for a top-level category.
        var modelCount: Int
        var children: [Node]
    }

    /// Top-level categories ordered by `position`, each with its children ordered the same way.
    func categoryTree() async throws -> [Node] {
        let sql = database.sql
        let rows = try await sql.raw("""
            SELECT c.id, c.slug, c.name, c.parent_id, c.position, COALESCE(n.listed_count, 0) AS model_count
            FROM categories c \(ListingSQL.leftJoinListedCount(alias: "n", inCategory: "c.id"))
            ORDER BY c.position, c.slug
            """).all()
        var roots: [Node] = []
        var children: [UUID: [Node]] = [:]
        for row in rows {
            let node = Node(
                id: try row.decode(column: "id", as: UUID.self), slug: try row.decode(column: "slug", as: String.self),
                name: try row.decode(column: "name", as: String.self),
                modelCount: try row.decode(column: "model_count", as: Int.self), children: [])
            if let parentID = try row.decode(column: "parent_id", as: UUID?.self) {
                children[parentID, default: []].append(node)
            } else {
                roots.append(node)
            }
        }
        // The tree is two levels deep: deeper rows, should an admin ever make them, stay out of the answer.
        return roots.map { root in
            var root = root
            root.children = children[root.id] ?? []
            root.modelCount += root.children.reduce(0) { $0 + $1.modelCount }
            return root
        }
    }

    static let maxTagQueryLength = 50

    /// Tags by number of listed models, then by name; tags no listed model carries are left out. `prefix` is
    /// typed text, put into tag spelling first: `Low Po` looks for tags starting with `low-po`.
    func popularTags(prefix rawPrefix: String?, limit: Int?) async throws -> [(name: String, modelCount: Int)] {
        var errors: [Problem.FieldError] = []
        let limit = limit ?? 20
        if !(1...100).contains(limit) { errors.append(.init(field: "limit", message: "must be between 1 and 100")) }
        if let rawPrefix, rawPrefix.count > Self.maxTagQueryLength {
            errors.append(.init(field: "q", message: "must be at most \(Self.maxTagQueryLength) characters"))
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }

        let sql = database.sql
        // Byte order for ties, as SQLite compares: a PostgreSQL locale would otherwise sort `low-poly` after `lowland`.
        let byName = sql.dialect.name == "postgresql" ? "name COLLATE \"C\"" : "name"
        let rows: [any SQLRow]
        if let rawPrefix, !rawPrefix.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            // Only punctuation: no tag can start with it.
            guard let prefix = Self.tagPrefix(rawPrefix) else { return [] }
            // Typed text names a few tags: count the listed models of each of those (through the tag's index),
            // not every listed model's tags. With 100,000 models, `chair` took 0.4 s the other way and 4 ms this way.
            rows = try await sql.raw("""
                SELECT name, model_count FROM (
                    SELECT t.name, (SELECT COUNT(*) FROM model_tags mt \(ListingSQL.join(alias: "m", on: "mt.model_id"))
                                    WHERE mt.tag_id = t.id AND \(ListingSQL.isListed("m"))) AS model_count
                    FROM tags t WHERE t.name LIKE \(SQLLikePattern(SQLLikePattern.escape(prefix) + "%"))) counted
                WHERE model_count > 0
                ORDER BY model_count DESC, \(unsafeRaw: byName)
                LIMIT \(literal: limit)
                """).all()
        } else {
            // Every tag: one pass over the listed models' tags.
            rows = try await sql.raw("""
                SELECT t.name, COUNT(*) AS model_count
                FROM tags t JOIN model_tags mt ON mt.tag_id = t.id \(ListingSQL.join(alias: "m", on: "mt.model_id"))
                WHERE \(ListingSQL.isListed("m"))
                GROUP BY t.id, t.name
                ORDER BY model_count DESC, \(unsafeRaw: "t." + byName)
                LIMIT \(literal: limit)
                """).all()
        }
        return try rows.map { (try $0.decode(column: "name", as: String.self), try $0.decode(column: "model_count", as: Int.self)) }
    }

    /// `TagName.normalise`'s spelling for a prefix: lower case, runs of anything but letters and digits become
    /// one `-`, none leading; a trailing one is kept (`low ` is a finished word, so it matches `low-poly` and
    /// not `lowland`). No length minimum, since one letter is a fine start for autocomplete.
    static func tagPrefix(_ raw: String) -> String? {
        var prefix = ""
        var pendingSeparator = false
        for scalar in raw.lowercased().unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                if pendingSeparator, !prefix.isEmpty { prefix.append("-") }
                pendingSeparator = false
                prefix.unicodeScalars.append(scalar)
            } else {
                pendingSeparator = true
            }
        }
        if prefix.isEmpty { return nil }
        if pendingSeparator { prefix.append("-") }
        return prefix
    }
}
