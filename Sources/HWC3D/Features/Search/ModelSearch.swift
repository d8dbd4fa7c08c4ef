import Foundation
import HWC3DAPI
import SQLKit

/// Runs catalogue queries in SQL, the same statements on SQLite and PostgreSQL except for the full-text part.
/// A page costs three statements whatever the filters: the ordered ids of the page, their cards, and one
/// `UNION ALL` statement carrying the total and the three facets; the last runs concurrently with the first two.
/// A text search ranked by relevance costs two: its page comes out of the counting statement, which has found and
/// ranked the matches already (issue 11: finding them twice was a third of an uncached search).
///
/// Facets follow the usual faceted-search rule: each facet is counted over the result with every filter applied
/// except its own, so with `license=cc0` selected the license facet still shows how many `cc-by` models there
/// would be. Category counts are per top-level category, a subcategory's models counted under their parent (what
/// a sidebar lists; `GET /categories` has the tree). Only values with at least one model appear, most first.
/// A model "has" format X when its card lists X (`models.formats`: its files whose analysis did not fail), so
/// the filter, the facet and the cards agree, and neither needs a join to `model_files`.
struct ModelSearch {
    let sql: any SQLDatabase
    let settings: Settings

    struct Result: Sendable {
        let items: [Components.Schemas.ModelSummary]
        let total: Int
        let facets: Components.Schemas.ModelFacets
    }

    enum Facet { case category, format, license }

    /// Weights of title, tags, creator and description, strongest first, for both engines' ranking functions.
    static let weights = (title: 1.0, tags: 0.5, creator: 0.3, description: 0.1)

    func run(_ criteria: ModelSearchCriteria) async throws -> Result {
        let plan = try await Plan(criteria: criteria, sql: sql)
        if criteria.sort == .relevance {
            let counted = try await counts(plan)
            let items = try await ModelCards.load(ids: counted.rankedPage, on: sql, settings: settings)
            return Result(items: items, total: counted.total, facets: counted.facets)
        }
        async let counts = counts(plan)
        let ids = try await pageIDs(plan)
        let items = try await ModelCards.load(ids: ids, on: sql, settings: settings)
        let counted = try await counts
        return Result(items: items, total: counted.total, facets: counted.facets)
    }

    // MARK: statements

    private func pageIDs(_ plan: Plan) async throws -> [UUID] {
        let criteria = plan.criteria
        var from = ListingSQL.from(alias: "m")
        var order: SQLQueryString
        switch criteria.sort {
        case .relevance:
            // A ranked page comes with the counts (`counts(_:)`); `run` never asks for one here.
            throw ProblemMiddleware.internalError
        case .newest:
            if case .owner = criteria.scope { order = "m.created_at DESC" } else { order = "m.published_at DESC" }
        case .popular: order = "m.download_count DESC"
        case .likes: order = "m.like_count DESC"
        case .views: order = "m.view_count DESC"
        case .priceAsc: order = "m.price_cents ASC"
        case .priceDesc: order = "m.price_cents DESC"
        case .trending:
            let since = UTCDay.string(dayNumber: UTCDay.number(Date()) - 6)
            from += " " + EngagementSQL.leftJoinTrendingScore(alias: "tr", on: "m.id", sinceDay: since)
            order = "COALESCE(tr.score, 0) DESC"
        }
        let page = criteria.page
        let rows = try await sql.raw("""
            SELECT m.id \(from) WHERE \(plan.conditions())
            ORDER BY \(order), m.id DESC \(page.sqlClause)
            """).all()
        return try rows.map { try $0.decode(column: "id", as: UUID.self) }
    }

    /// The models matching everything but the facet filters are found once (`hits`, materialised), then the
    /// total and each facet count that set with the other facets' filters applied; for a relevance sort, the page
    /// too, ranked from the same set. A browse of the whole catalogue
    /// filtered by facets alone counts nothing: `hits` is then the listed models' kept counts, one row per
    /// combination of category, license and formats weighted by its number (`ListingSQL.listedCombinations`).
    private struct Counted {
        let total: Int
        let facets: Components.Schemas.ModelFacets
        /// The page's ids in rank order, for a relevance sort (empty otherwise).
        let rankedPage: [UUID]
    }

    private func counts(_ plan: Plan) async throws -> Counted {
        func restricted(_ arm: SQLQueryString, excluding facet: Facet?) -> SQLQueryString {
            let predicates = plan.facetFilters(on: "h", excluding: facet)
            return predicates.isEmpty ? arm : arm + " WHERE " + predicates.joined(separator: " AND ")
        }
        let hits: SQLQueryString
        let count: SQLQueryString
        if plan.keptCountsSuffice {
            // A few thousand small rows: reading them in each arm is cheaper than copying them first.
            hits = "hits AS NOT MATERIALIZED (SELECT category_id, license, formats, n FROM \(ListingSQL.listedCombinations) kept)"
            count = "CAST(SUM(h.n) AS BIGINT)"
        } else if plan.criteria.sort == .relevance {
            // The matches with their rank (lower is better on both engines), found once for the counts and the page.
            hits = "hits AS MATERIALIZED (\(rankedMatches(plan)))"
            count = "COUNT(*)"
        } else {
            hits = """
                hits AS MATERIALIZED (
                    SELECT m.id, m.category_id, m.license, m.formats \(ListingSQL.from(alias: "m")) WHERE \(plan.conditions(excludingFacets: true)))
                """
            count = "COUNT(*)"
        }
        let totalArm = restricted("SELECT 'total' AS facet, '' AS value, '' AS label, COALESCE(\(count), 0) AS n FROM hits h", excluding: nil)
        // Categories and formats are grouped by the hits' own values first (a few dozen), then rolled up to the top
        // category or split into formats: the joins and the LIKE then run per group, not per hit. (PostgreSQL sums
        // bigints into numeric; the casts keep every count an integer.)
        let categoryArm = """
            SELECT 'category', top.slug, top.name, CAST(SUM(g.n) AS BIGINT) FROM (
                \(restricted("SELECT h.category_id, \(count) AS n FROM hits h", excluding: .category)) GROUP BY h.category_id) g
            \(CatalogueSQL.joinTopCategory(alias: "top", of: "g.category_id"))
            GROUP BY top.slug, top.name
            """ as SQLQueryString
        let licenseArm = restricted("SELECT 'license', h.license, '', \(count) FROM hits h", excluding: .license) + " GROUP BY h.license"
        let formatValues = ModelSearchCriteria.formats.map { "SELECT '\(unsafeRaw: $0)' AS value" as SQLQueryString }
        let formatArm = """
            SELECT 'format', fmt.value, '', CAST(SUM(g.n) AS BIGINT) FROM (
                \(restricted("SELECT h.formats, \(count) AS n FROM hits h", excluding: .format)) GROUP BY h.formats) g
            JOIN (\(formatValues.joined(separator: " UNION ALL "))) fmt ON (',' || g.formats || ',') LIKE ('%,' || fmt.value || ',%')
            GROUP BY fmt.value
            """ as SQLQueryString
        var pageArm: SQLQueryString = ""
        if plan.criteria.sort == .relevance {
            // The page's ids with their place, every filter applied; the rows' order is restored from `n`.
            pageArm = """
                 UNION ALL SELECT 'page', CAST(ranked.id AS TEXT), '', ranked.place FROM (
                    \(restricted("SELECT h.id, ROW_NUMBER() OVER (ORDER BY h.rank, h.id DESC) AS place FROM hits h", excluding: nil))
                    ORDER BY h.rank, h.id DESC \(plan.criteria.page.sqlClause)) ranked
                """
        }
        let rows = try await sql.raw("""
            WITH \(hits)
            \(totalArm) UNION ALL \(categoryArm) UNION ALL \(licenseArm) UNION ALL \(formatArm)\(pageArm)
            """).all()
        var total = 0
        var categories: [Components.Schemas.FacetCount] = []
        var formats: [Components.Schemas.FacetCount] = []
        var licenses: [Components.Schemas.FacetCount] = []
        var page: [(place: Int, id: UUID)] = []
        for row in rows {
            let facet = try row.decode(column: "facet", as: String.self)
            let value = try row.decode(column: "value", as: String.self)
            let count = try row.decode(column: "n", as: Int.self)
            switch facet {
            case "total": total = count
            case "category": categories.append(.init(value: value, label: try row.decode(column: "label", as: String.self), count: count))
            case "license": licenses.append(.init(value: value, label: FacetLabels.license(value), count: count))
            case "page": if let id = UUID(uuidString: value) { page.append((count, id)) }
            default: formats.append(.init(value: value, label: FacetLabels.format(value), count: count))
            }
        }
        let ordered: (Components.Schemas.FacetCount, Components.Schemas.FacetCount) -> Bool = {
            $0.count != $1.count ? $0.count > $1.count : $0.value < $1.value
        }
        return Counted(
            total: total,
            facets: .init(categories: categories.sorted(by: ordered), formats: formats.sorted(by: ordered), licenses: licenses.sorted(by: ordered)),
            rankedPage: page.sorted { $0.place < $1.place }.map(\.id))
    }

    /// The models matching the text and every filter but the facets', each with its `rank` (lower is better):
    /// FTS5's bm25 on SQLite, PostgreSQL's `ts_rank` negated. The weights are the same on both (`weights`).
    private func rankedMatches(_ plan: Plan) -> SQLQueryString {
        let weights = Self.weights
        let others = plan.conditions(excludingFacets: true, includeText: false)
        if plan.isPostgres {
            // Each match looks up its model by key. The LATERAL with LIMIT keeps the planner from hashing every listed
            // model, which it chose when it could not use a parallel worker (55 ms instead of 12 on 100,000 models),
            // and from starting a worker process per search, which costs more than it saves under concurrent
            // searches. 104 -> 185 searches/s at 16 connections.
            return """
                SELECT m.id, m.category_id, m.license, m.formats,
                       -ts_rank('{\(unsafeRaw: "\(weights.description),\(weights.creator),\(weights.tags),\(weights.title)")}',
                                sd.search_vector, to_tsquery('simple', \(bind: plan.textQuery)), 1) AS rank
                FROM model_search_docs sd
                CROSS JOIN LATERAL (
                    SELECT m.id, m.category_id, m.license, m.formats \(ListingSQL.from(alias: "m"))
                    WHERE m.id = sd.model_id AND \(others) LIMIT 1) m
                WHERE sd.search_vector @@ to_tsquery('simple', \(bind: plan.textQuery))
                """
        }
        // bm25 is only defined on rows of the full-text query itself, so the match is a subquery joined to models.
        return """
            SELECT m.id, m.category_id, m.license, m.formats, fts.rank
            FROM (SELECT d.model_id, bm25(models_fts, \(unsafeRaw: "\(weights.title), \(weights.tags), \(weights.creator), \(weights.description)")) AS rank
                  FROM models_fts JOIN model_search_docs d ON d.doc_id = models_fts.rowid
                  WHERE models_fts MATCH \(bind: plan.textQuery)) fts
            \(ListingSQL.join(alias: "m", on: "fts.model_id"))
            WHERE \(others)
            """
    }
}

extension ModelSearch {
    /// A criteria with its database-dependent parts resolved: category slug to ids, words to the engine's syntax.
    struct Plan: Sendable {
        let criteria: ModelSearchCriteria
        let isPostgres: Bool
        let categoryIDs: [UUID]?
        /// `'chair':* & 'low':*` for PostgreSQL's `to_tsquery`, `"chair"* "low"*` for FTS5's MATCH: every word a
        /// quoted prefix, all required. Words hold only letters and digits, so nothing in them is syntax.
        let textQuery: String

        init(criteria: ModelSearchCriteria, sql: any SQLDatabase) async throws {
            self.criteria = criteria
            isPostgres = sql.dialect.name == "postgresql"
            textQuery = isPostgres
                ? criteria.words.map { "'\($0)':*" }.joined(separator: " & ")
                : criteria.words.map { "\"\($0)\"*" }.joined(separator: " ")
            if let slug = criteria.categorySlug {
                let rows = try await sql.raw(CatalogueSQL.categoryIDs(underSlug: slug)).all()
                guard !rows.isEmpty else { throw Problem.validation(field: "category", "no category has this slug") }
                categoryIDs = try rows.map { try $0.decode(column: "id", as: UUID.self) }
            } else {
                categoryIDs = nil
            }
        }

        /// The `WHERE` over `models m`: every filter, or every filter but the three facets' own.
        func conditions(excludingFacets: Bool = false, includeText: Bool = true) -> SQLQueryString {
            predicates(excludingFacets: excludingFacets, includeText: includeText).joined(separator: " AND ")
        }

        /// Whether the whole catalogue's listed models, narrowed by facet filters only, are what is counted: then the
        /// kept counts give the total and the facets. Asked of the predicates themselves, so a filter added later
        /// cannot be forgotten here.
        var keptCountsSuffice: Bool {
            if case .catalogue = criteria.scope { return predicates(excludingFacets: true, includeText: true).count == 1 }
            return false
        }

        private func predicates(excludingFacets: Bool, includeText: Bool) -> [SQLQueryString] {
            var parts: [SQLQueryString] = []
            switch criteria.scope {
            case .catalogue:
                parts.append(ListingSQL.isListed("m"))
            case .creator(let ownerID):
                parts.append("m.owner_id = \(bind: ownerID) AND \(ListingSQL.isListed("m"))")
            case .owner(let ownerID, let status):
                parts.append("m.owner_id = \(bind: ownerID) AND m.deleted_at IS NULL")
                if let status { parts.append("m.status = \(bind: status.rawValue)") }
            }
            if includeText, !criteria.words.isEmpty {
                if isPostgres {
                    parts.append("m.id IN (SELECT sd.model_id FROM model_search_docs sd WHERE sd.search_vector @@ to_tsquery('simple', \(bind: textQuery)))")
                } else {
                    parts.append("""
                        m.id IN (SELECT d.model_id FROM models_fts JOIN model_search_docs d ON d.doc_id = models_fts.rowid
                                 WHERE models_fts MATCH \(bind: textQuery))
                        """)
                }
            }
            if !excludingFacets { parts += facetFilters(on: "m", excluding: nil) }
            for tag in criteria.tags {
                parts.append(CatalogueSQL.hasTag(named: tag, modelIDColumn: "m.id"))
            }
            if let free = criteria.free { parts.append(free ? "m.price_cents = 0" : "m.price_cents > 0") }
            if let value = criteria.minPrice { parts.append("m.price_cents >= \(bind: value)") }
            if let value = criteria.maxPrice { parts.append("m.price_cents <= \(bind: value)") }
            if let value = criteria.minPolys { parts.append("m.triangle_count >= \(bind: value)") }
            if let value = criteria.maxPolys { parts.append("m.triangle_count <= \(bind: value)") }
            if let value = criteria.animated { parts.append("m.animated = \(bind: value)") }
            if let value = criteria.rigged { parts.append("m.rigged = \(bind: value)") }
            if let value = criteria.featured { parts.append("m.featured = \(bind: value)") }
            parts += criteria.quality.predicates(on: "m")
            if let key = criteria.creatorKey {
                parts.append(key.isEmpty ? "1 = 0" : "m.owner_id IN (\(UserReads.ids(usernameKey: key)))")
            }
            return parts
        }

        /// The category, format and license filters over the models under `alias`, but `facet`'s own.
        func facetFilters(on alias: String, excluding facet: Facet?) -> [SQLQueryString] {
            var parts: [SQLQueryString] = []
            if facet != .category, let categoryIDs { parts.append("\(ident: alias).category_id IN (\(binds: categoryIDs))") }
            if facet != .license, let license = criteria.license { parts.append("\(ident: alias).license = \(bind: license)") }
            if facet != .format, let format = criteria.format {
                parts.append("(',' || \(ident: alias).formats || ',') LIKE \(bind: "%,\(format),%")")
            }
            return parts
        }
    }
}

/// Human labels of facet values.
enum FacetLabels {
    static func license(_ value: String) -> String {
        switch value {
        case "cc0": "CC0"
        case "cc-by": "CC BY"
        case "cc-by-sa": "CC BY-SA"
        case "cc-by-nc": "CC BY-NC"
        case "standard": "Standard"
        case "editorial": "Editorial"
        default: value
        }
    }

    static func format(_ value: String) -> String {
        switch value {
        case "gltf": "glTF"
        case "blend": "Blender"
        default: value.uppercased()
        }
    }
}
