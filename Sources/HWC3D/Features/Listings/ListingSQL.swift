import Foundation
import SQLKit

/// SQL pieces over `models` for the one-statement reads of other features (search, related models, category and
/// tag counts, engagement counters), so they never name Listings' table nor restate what "listed" means. The reader
/// may still refer to the model's columns through the alias it chose, for its own filters and sorts.
enum ListingSQL {
    /// `FROM models <alias>`.
    static func from(alias: String) -> SQLQueryString {
        "FROM models \(unsafeRaw: alias)"
    }

    /// `JOIN models <alias> ON <alias>.id = <modelIDColumn>`.
    static func join(alias: String, on modelIDColumn: String) -> SQLQueryString {
        "JOIN models \(unsafeRaw: alias) ON \(unsafeRaw: alias).id = \(unsafeRaw: modelIDColumn)"
    }

    /// `LEFT JOIN` of the count of listed models filed in the category whose id is in `categoryIDColumn`, read as
    /// `<alias>.listed_count` (NULL: none). Kept by triggers on `models` (`CreateListedModelCounts`).
    static func leftJoinListedCount(alias: String, inCategory categoryIDColumn: String) -> SQLQueryString {
        """
        LEFT JOIN (SELECT category_id, SUM(listed_count) AS listed_count FROM listed_model_counts GROUP BY category_id) \(unsafeRaw: alias)
        ON \(unsafeRaw: alias).category_id = \(unsafeRaw: categoryIDColumn)
        """
    }

    /// The listed models as the kept counts have them: one row per combination of `category_id`, `license` and
    /// `formats` that has listed models, with their number in `n`. A subquery to put after `FROM`, the same counts
    /// as grouping `FROM models m WHERE isListed(m)` by those three columns, at a few thousand rows, not every model.
    static let listedCombinations: SQLQueryString = """
        (SELECT category_id, license, formats, listed_count AS n FROM listed_model_counts WHERE listed_count > 0)
        """

    /// True for a model anyone may find in the catalogue: published, public, not deleted, and not withheld while its
    /// creator is suspended (`CreatorWithholding`).
    static func isListed(_ alias: String) -> SQLQueryString {
        """
        \(unsafeRaw: alias).status = 'published' AND \(unsafeRaw: alias).visibility = 'public' AND \(unsafeRaw: alias).deleted_at IS NULL \
        AND \(unsafeRaw: alias).withheld_at IS NULL
        """
    }

    /// True for a model that has passed review and is not deleted, whatever its visibility or its creator's standing:
    /// what another creator's upload must not copy (`LikelyCopies`).
    static func isPublished(_ alias: String) -> SQLQueryString {
        "\(unsafeRaw: alias).status = 'published' AND \(unsafeRaw: alias).deleted_at IS NULL"
    }

    /// The current value of one counter of one model, as a scalar subquery (NULL when there is no such model).
    static func counterValue(_ counter: ModelCounters.Counter, of modelID: UUID) -> SQLQueryString {
        "(SELECT \(unsafeRaw: counter.rawValue) FROM models WHERE id = \(bind: modelID))"
    }

    /// The newest change to any model (`updated_at`, which every write path and `ModelCounters.touch` move), as a
    /// scalar subquery; NULL for an empty catalogue. One probe of the `updated_at` index.
    static let lastChange: SQLQueryString = "(SELECT MAX(updated_at) FROM models)"
}
