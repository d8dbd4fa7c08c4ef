import Foundation
import HWC3DAPI
import SQLKit

/// `ModelSummary` cards (catalogue, creator pages, related models, feeds, admin lists), read with one SQL
/// statement per batch: the model row with its creator, category and cover image joined. Lists first decide which
/// ids to show (and in what order) with their own query, then call `load(ids:)`; that split keeps the ordering
/// query narrow (ids only), so the database sorts small rows, and the card query a primary-key lookup.
enum ModelCards {
    /// Cards in the order of `ids`. Ids with no row are left out; no visibility rule is applied here, so callers
    /// pass only ids the caller may see.
    static func load(ids: [UUID], on sql: any SQLDatabase, settings: Settings) async throws -> [Components.Schemas.ModelSummary] {
        guard !ids.isEmpty else { return [] }
        var byID: [UUID: Components.Schemas.ModelSummary] = [:]
        byID.reserveCapacity(ids.count)
        // SQLite takes at most 32,766 parameters per statement; batches keep any list far below that.
        for start in stride(from: 0, to: ids.count, by: 500) {
            let batch = Array(Set(ids[start..<min(start + 500, ids.count)]))
            let rows = try await sql.prepared("\(selectClause) WHERE \(sql.idMatches("m.id", anyOf: batch))")
            for row in rows {
                let card = try card(from: row, settings: settings)
                byID[try row.decode(column: "id", as: UUID.self)] = card
            }
        }
        return ids.compactMap { byID[$0] }
    }

    /// Card columns and joins; a statement appends its own `WHERE`. The creator, the category and the cover come
    /// through their owners' joins, each under its own column prefix.
    static let selectClause: SQLQueryString = """
        SELECT m.id, m.slug, m.title, m.status, m.visibility, m.license, m.price_cents, m.currency, m.featured,
               m.formats, m.vertex_count, m.triangle_count, m.animated, m.rigged, m.view_count, m.download_count,
               m.like_count, m.comment_count, m.published_at, m.created_at, \(unsafeRaw: UserSummaryColumns.select(from: "u", prefix: "u_")),
               \(CatalogueSQL.categoryRefColumns(from: "c", prefix: "c_")), \(ModelImageReads.coverColumns(from: "i", prefix: "i_"))
        FROM models m
        \(UserReads.join(alias: "u", on: "m.owner_id"))
        \(CatalogueSQL.leftJoinCategory(alias: "c", on: "m.category_id"))
        \(ModelImageReads.leftJoinCover(alias: "i", chosen: "m.cover_image_id", modelIDColumn: "m.id"))
        """

    // MARK: a model named by another feature's row

    /// What a purchase or a sale shows of its model: enough to link to it and show its cover and creator.
    struct Reference {
        let id: UUID
        let slug: String
        let title: String
        let cover: Components.Schemas.ModelImage?
        let creator: Components.Schemas.UserSummary
    }

    /// The reference's columns, for a statement that `LEFT JOIN`s `leftJoinReference(alias:on:)` under the same
    /// alias; they come back under "<alias>_", "<alias>_u_" and "<alias>_i_".
    static func referenceColumns(alias: String) -> SQLQueryString {
        """
        \(unsafeRaw: alias).id AS \(unsafeRaw: alias)_id, \(unsafeRaw: alias).slug AS \(unsafeRaw: alias)_slug, \(unsafeRaw: alias).title AS \(unsafeRaw: alias)_title,
        \(unsafeRaw: UserSummaryColumns.select(from: alias + "_u", prefix: alias + "_u_")), \(ModelImageReads.coverColumns(from: alias + "_i", prefix: alias + "_i_"))
        """
    }

    /// The model whose id is in `modelIDColumn`, with its creator and cover. A left join all through, so a row whose
    /// model is gone still comes back (`reference(from:alias:settings:)` is then nil); no visibility rule applies, since
    /// a buyer keeps seeing what they bought after it is unlisted.
    static func leftJoinReference(alias: String, on modelIDColumn: String) -> SQLQueryString {
        """
        LEFT JOIN (models \(unsafeRaw: alias) \(UserReads.join(alias: alias + "_u", on: alias + ".owner_id"))) ON \(unsafeRaw: alias).id = \(unsafeRaw: modelIDColumn)
        \(ModelImageReads.leftJoinCover(alias: alias + "_i", chosen: alias + ".cover_image_id", modelIDColumn: alias + ".id"))
        """
    }

    static func reference(from row: any SQLRow, alias: String, settings: Settings) throws -> Reference? {
        guard let id = try row.decode(column: alias + "_id", as: UUID?.self) else { return nil }
        return Reference(
            id: id, slug: try row.decode(column: alias + "_slug", as: String.self), title: try row.decode(column: alias + "_title", as: String.self),
            cover: try ModelImageReads.cover(from: row, prefix: alias + "_i_", settings: settings),
            creator: Components.Schemas.UserSummary(try UserSummaryColumns.Row(from: row, prefix: alias + "_u_"), settings: settings))
    }

    /// `load(ids:)` keyed by model id, for readers that place cards beside their own rows.
    static func loadByID(ids: [UUID], on sql: any SQLDatabase, settings: Settings) async throws -> [UUID: Components.Schemas.ModelSummary] {
        var byID: [UUID: Components.Schemas.ModelSummary] = [:]
        for card in try await load(ids: ids, on: sql, settings: settings) {
            if let id = UUID(uuidString: card.id) { byID[id] = card }
        }
        return byID
    }

    static func card(from row: any SQLRow, settings: Settings) throws -> Components.Schemas.ModelSummary {
        let id = try row.decode(column: "id", as: UUID.self)
        let priceCents = try row.decode(column: "price_cents", as: Int.self)
        let formats = try row.decode(column: "formats", as: String.self)
            .split(separator: ",").compactMap { Components.Schemas.MeshFormat(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
        let creator = Components.Schemas.UserSummary(try UserSummaryColumns.Row(from: row, prefix: "u_"), settings: settings)
        let category = try CatalogueSQL.categoryRef(from: row, prefix: "c_")
        let cover = try ModelImageReads.cover(from: row, prefix: "i_", settings: settings)
        let status = try row.decode(column: "status", as: String.self)
        let visibility = try row.decode(column: "visibility", as: String.self)
        let license = try row.decode(column: "license", as: String.self)
        return .init(
            id: id.uuidString.lowercased(),
            slug: try row.decode(column: "slug", as: String.self),
            title: try row.decode(column: "title", as: String.self),
            status: .init(rawValue: status) ?? .draft,
            visibility: .init(rawValue: visibility) ?? ._private,
            license: .init(rawValue: license) ?? .standard,
            priceCents: priceCents,
            currency: try row.decode(column: "currency", as: String.self),
            isFree: priceCents == 0,
            featured: try row.decode(column: "featured", as: Bool.self),
            creator: creator,
            category: category,
            coverImage: cover,
            formats: formats,
            vertexCount: try row.decode(column: "vertex_count", as: Int.self),
            triangleCount: try row.decode(column: "triangle_count", as: Int.self),
            animated: try row.decode(column: "animated", as: Bool.self),
            rigged: try row.decode(column: "rigged", as: Bool.self),
            counters: .init(
                views: try row.decode(column: "view_count", as: Int.self),
                downloads: try row.decode(column: "download_count", as: Int.self),
                likes: try row.decode(column: "like_count", as: Int.self),
                comments: try row.decode(column: "comment_count", as: Int.self)),
            publishedAt: try row.decode(column: "published_at", as: Date?.self),
            createdAt: try row.decode(column: "created_at", as: Date?.self) ?? Date(timeIntervalSince1970: 0))
    }
}
