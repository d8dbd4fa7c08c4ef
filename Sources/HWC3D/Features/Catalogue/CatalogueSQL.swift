import Foundation
import HWC3DAPI
import SQLKit

/// SQL pieces over `categories`, `tags` and `model_tags` for the one-statement reads of other features (cards,
/// search, related models, the search index), so they never name Catalogue's tables nor restate how the category
/// tree or a model's tags are stored.
enum CatalogueSQL {
    // MARK: categories

    /// `LEFT JOIN` of the category whose id is in `categoryIDColumn`; its `CategoryRef` columns are
    /// `categoryRefColumns(from: alias, prefix:)` and decode with `categoryRef(from:prefix:)`.
    static func leftJoinCategory(alias: String, on categoryIDColumn: String) -> SQLQueryString {
        "LEFT JOIN categories \(unsafeRaw: alias) ON \(unsafeRaw: alias).id = \(unsafeRaw: categoryIDColumn)"
    }

    /// `c.id AS c_id, c.slug AS c_slug, c.name AS c_name`.
    static func categoryRefColumns(from alias: String, prefix: String) -> SQLQueryString {
        "\(unsafeRaw: ["id", "slug", "name"].map { "\(alias).\($0) AS \(prefix)\($0)" }.joined(separator: ", "))"
    }

    /// The category selected by `categoryRefColumns`; nil when the left join found none.
    static func categoryRef(from row: any SQLRow, prefix: String) throws -> Components.Schemas.CategoryRef? {
        guard let id = try row.decode(column: prefix + "id", as: UUID?.self) else { return nil }
        return .init(
            id: id.uuidString.lowercased(), slug: try row.decode(column: prefix + "slug", as: String.self),
            name: try row.decode(column: prefix + "name", as: String.self))
    }

    /// Joins, under `alias`, the top-level category of the category whose id is in `categoryIDColumn` (itself when
    /// it is top-level): what sidebars count a subcategory's models under. The tree is two levels deep.
    static func joinTopCategory(alias: String, of categoryIDColumn: String) -> SQLQueryString {
        let leaf = alias + "_leaf"
        return """
            JOIN categories \(unsafeRaw: leaf) ON \(unsafeRaw: leaf).id = \(unsafeRaw: categoryIDColumn) \
            JOIN categories \(unsafeRaw: alias) ON \(unsafeRaw: alias).id = COALESCE(\(unsafeRaw: leaf).parent_id, \(unsafeRaw: leaf).id)
            """
    }

    /// A statement whose `id` column lists the category with this slug and its children (no row: no such slug).
    static func categoryIDs(underSlug slug: String) -> SQLQueryString {
        """
        SELECT c.id FROM categories c LEFT JOIN categories p ON p.id = c.parent_id
        WHERE c.slug = \(bind: slug) OR p.slug = \(bind: slug)
        """
    }

    /// A subquery listing the categories near `categoryID` but not it: its siblings, its parent, and (for a
    /// top-level category) its children.
    static func neighbourCategoryIDs(of categoryID: UUID) -> SQLQueryString {
        """
        SELECT s.id FROM categories s JOIN categories c ON c.id = \(bind: categoryID)
        WHERE s.id <> c.id AND (s.parent_id = COALESCE(c.parent_id, c.id) OR s.id = c.parent_id)
        """
    }

    // MARK: tags

    /// A statement whose `tag_id` column lists the tags of one model.
    static func tagIDs(ofModel modelID: UUID) -> SQLQueryString {
        "SELECT tag_id FROM model_tags WHERE model_id = \(bind: modelID)"
    }

    /// `JOIN` of a model's tag links under `alias`, whose `tag_id` and `model_id` columns the reader filters and
    /// sorts on (the `(tag_id, model_id)` index serves a tag's models newest first).
    static func joinModelTags(alias: String, on modelIDColumn: String) -> SQLQueryString {
        "JOIN model_tags \(unsafeRaw: alias) ON \(unsafeRaw: alias).model_id = \(unsafeRaw: modelIDColumn)"
    }

    /// True when the model whose id is in `modelIDColumn` carries the tag `name` (spelled as stored).
    static func hasTag(named name: String, modelIDColumn: String) -> SQLQueryString {
        """
        EXISTS (SELECT 1 FROM model_tags mt JOIN tags t ON t.id = mt.tag_id
                WHERE mt.model_id = \(unsafeRaw: modelIDColumn) AND t.name = \(bind: name))
        """
    }

    /// A scalar subquery: the names of the tags of the model whose id is in `modelIDColumn`, separated by one
    /// space, in no particular order; NULL for a model without tags.
    static func tagNames(ofModel modelIDColumn: String, on sql: any SQLDatabase) -> SQLQueryString {
        let list: SQLQueryString = sql.dialect.name == "postgresql" ? "string_agg(t.name, ' ')" : "group_concat(t.name, ' ')"
        return "(SELECT \(list) FROM model_tags mt JOIN tags t ON t.id = mt.tag_id WHERE mt.model_id = \(unsafeRaw: modelIDColumn))"
    }
}
