import Foundation
import HWC3DAPI
import SQLKit

/// "More like this" under a model: listed models scored by what they share with it. Each shared tag counts 2, the
/// same category 3 (the same top-level category 1), the same creator 2; ties go to the more liked, then the newer.
/// Candidates come from three narrow index lookups (tags, category, creator) rather than a scan of the catalogue.
struct RelatedModels {
    let sql: any SQLDatabase
    let settings: Settings

    static let limits = 1...24

    static func validatedLimit(_ limit: Int?) throws -> Int {
        let value = limit ?? 8
        guard limits.contains(value) else {
            throw Problem.validation(field: "limit", "must be between \(limits.lowerBound) and \(limits.upperBound)")
        }
        return value
    }

    /// `source` must already be known visible to the caller (`ModelAccess.visible`).
    func list(for source: ModelAsset, limit: Int) async throws -> [Components.Schemas.ModelSummary] {
        let sourceID = try source.requireID()
        let tagIDs = try await sql.raw("SELECT tag_id FROM model_tags WHERE model_id = \(bind: sourceID)").all()
            .map { try $0.decode(column: "tag_id", as: UUID.self) }
        var arms: [SQLQueryString] = [
            "SELECT m.id, 2 AS score FROM models m WHERE m.owner_id = \(bind: source.$owner.id)",
        ]
        if !tagIDs.isEmpty {
            arms.append("SELECT mt.model_id AS id, 2 AS score FROM model_tags mt WHERE mt.tag_id IN (\(binds: tagIDs))")
        }
        if let categoryID = source.$category.id {
            arms.append("SELECT m.id, 3 AS score FROM models m WHERE m.category_id = \(bind: categoryID)")
            // Siblings under the same parent are related too, more loosely.
            arms.append("""
                SELECT m.id, 1 AS score FROM models m
                WHERE m.category_id IN (SELECT s.id FROM categories s JOIN categories c ON c.id = \(bind: categoryID)
                                        WHERE s.id <> c.id AND (s.parent_id = COALESCE(c.parent_id, c.id) OR s.id = c.parent_id))
                """)
        }
        let rows = try await sql.raw("""
            SELECT m.id FROM (SELECT id, SUM(score) AS score FROM (\(arms.joined(separator: " UNION ALL "))) a GROUP BY id) s
            JOIN models m ON m.id = s.id
            WHERE m.id <> \(bind: sourceID) AND m.status = 'published' AND m.visibility = 'public' AND m.deleted_at IS NULL
            ORDER BY s.score DESC, m.like_count DESC, m.id DESC LIMIT \(literal: limit)
            """).all()
        let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
        return try await ModelCards.load(ids: ids, on: sql, settings: settings)
    }
}
