import Foundation
import HWC3DAPI
import SQLKit

/// "More like this" under a model: listed models scored by what they share with it. Each shared tag counts 2, the
/// same category 3 (a sibling or the parent category 1), the same creator 2; ties go to the more liked, then the
/// newer. Candidates are, for each shared tag, the category, the sibling categories and the creator, the
/// `candidatesPerArm` newest listed models: a popular tag or category holds thousands of models, and scoring
/// them all would cost a scan per page view for a widget that shows eight.
struct RelatedModels {
    let sql: any SQLDatabase
    let settings: Settings

    static let limits = 1...24
    static let candidatesPerArm = 200

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
        let tagIDs = try await sql.raw(CatalogueSQL.tagIDs(ofModel: sourceID)).all()
            .map { try $0.decode(column: "tag_id", as: UUID.self) }
        let listed: SQLQueryString = "\(ListingSQL.isListed("m")) AND m.id <> \(bind: sourceID)"
        // Newest first within an arm: the order the `(tag_id, model_id)` and primary-key indexes already have, so
        // an arm stops after a few hundred rows instead of sorting every model with a popular tag.
        func arm(score: Int, join: SQLQueryString = "", where condition: SQLQueryString, newest: SQLQueryString = "m.id") -> SQLQueryString {
            """
            SELECT * FROM (SELECT m.id, \(literal: score) AS score \(ListingSQL.from(alias: "m")) \(join) WHERE \(condition) AND \(listed)
                           ORDER BY \(newest) DESC LIMIT \(literal: Self.candidatesPerArm)) a
            """
        }
        var arms = [arm(score: 2, where: "m.owner_id = \(bind: source.$owner.id)")]
        for tagID in tagIDs.prefix(10) {
            arms.append(arm(score: 2, join: CatalogueSQL.joinModelTags(alias: "mt", on: "m.id"), where: "mt.tag_id = \(bind: tagID)", newest: "mt.model_id"))
        }
        if let categoryID = source.$category.id {
            arms.append(arm(score: 3, where: "m.category_id = \(bind: categoryID)"))
            arms.append(arm(score: 1, where: "m.category_id IN (\(CatalogueSQL.neighbourCategoryIDs(of: categoryID)))"))
        }
        let rows = try await sql.raw("""
            SELECT s.id FROM (SELECT id, SUM(score) AS score FROM (\(arms.joined(separator: " UNION ALL "))) c GROUP BY id) s
            \(ListingSQL.join(alias: "m", on: "s.id"))
            ORDER BY s.score DESC, m.like_count DESC, m.id DESC LIMIT \(literal: limit)
            """).all()
        let ids = try rows.map { try $0.decode(column: "id", as: UUID.self) }
        return try await ModelCards.load(ids: ids, on: sql, settings: settings)
    }
}
