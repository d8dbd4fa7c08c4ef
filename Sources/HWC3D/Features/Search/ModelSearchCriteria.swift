import Foundation

/// A validated catalogue query: what `GET /models` and `GET /users/{username}/models` ask of `ModelSearch`.
/// Validation collects every problem at once, so a client fixes its query in one round.
struct ModelSearchCriteria: Sendable {
    enum Sort: String, CaseIterable, Sendable {
        case relevance, newest, popular, likes, views, trending, priceAsc = "price_asc", priceDesc = "price_desc"
    }

    /// Which models a query may ever return, before any filter.
    enum Scope: Sendable {
        /// Listed models: published, public, not deleted.
        case catalogue
        /// One creator's listed models.
        case creator(UUID)
        /// The owner's own page: every model not deleted, optionally one status.
        case owner(UUID, status: ModelAsset.Status?)
    }

    static let maxQueryLength = 200
    static let maxTags = 10
    static let formats = ["glb", "gltf", "obj", "fbx", "blend"]

    var scope: Scope = .catalogue
    /// The query's searchable words; empty means no text query (a `q` of only punctuation is ignored, as a
    /// marketplace's search box would, rather than matching nothing).
    var words: [String] = []
    var categorySlug: String?
    var tags: [String] = []
    var format: String?
    var license: String?
    var free: Bool?
    var minPrice: Int?
    var maxPrice: Int?
    var minPolys: Int?
    var maxPolys: Int?
    var animated: Bool?
    var rigged: Bool?
    var featured: Bool?
    /// The main file's quality figures (issue 13).
    var quality = QualityFilters()
    /// Lower-cased username of the creator; empty when the value cannot be anyone's username.
    var creatorKey: String?
    var sort: Sort = .newest
    var page: PageRequest

    init(scope: Scope = .catalogue, page: PageRequest) {
        self.scope = scope
        self.page = page
    }

    /// The catalogue's query parameters, as the client sent them.
    init(
        q: String?, category: String?, tags: String?, format: String?, license: String?, free: Bool?,
        minPrice: Int?, maxPrice: Int?, minPolys: Int?, maxPolys: Int?, animated: Bool?, rigged: Bool?,
        creator: String?, featured: Bool?, sort: String?, page: Int?, perPage: Int?,
        quality: QualityFilters.Query = .init()
    ) throws {
        var errors: [Problem.FieldError] = []
        let pageRequest: PageRequest
        do {
            pageRequest = try PageRequest(page: page, perPage: perPage)
        } catch let problem as Problem {
            errors += problem.errors
            pageRequest = try PageRequest(page: 1, perPage: 20)
        }
        self.init(page: pageRequest)

        if let q {
            if q.count > Self.maxQueryLength {
                errors.append(.init(field: "q", message: "must be at most \(Self.maxQueryLength) characters"))
            } else {
                words = SearchWords.queryWords(q)
            }
        }
        if let category = category?.trimmingCharacters(in: .whitespaces), !category.isEmpty {
            if category.count <= 100, category.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) {
                categorySlug = category.lowercased()
            } else {
                errors.append(.init(field: "category", message: "no category has this slug"))
            }
        }
        if let tags {
            // The list is split only as far as the limit allows, so a query with thousands of tags costs no more
            // than one with eleven.
            let pieces = tags.split(separator: ",", maxSplits: Self.maxTags, omittingEmptySubsequences: true)
                .filter { !$0.allSatisfy(\.isWhitespace) }
            if pieces.count > Self.maxTags {
                errors.append(.init(field: "tags", message: "at most \(Self.maxTags) tags"))
            } else {
                var names: [String] = []
                var seen = Set<String>()
                for raw in pieces {
                    guard let name = TagName.normalise(String(raw)) else {
                        errors.append(.init(field: "tags", message: "'\(raw.prefix(40))' is not a valid tag (2 to 32 letters, digits or dashes)"))
                        continue
                    }
                    if seen.insert(name).inserted { names.append(name) }
                }
                self.tags = names
            }
        }
        if let format, !format.isEmpty {
            let value = format.lowercased()
            if Self.formats.contains(value) { self.format = value } else {
                errors.append(.init(field: "format", message: "must be one of \(Self.formats.joined(separator: ", "))"))
            }
        }
        if let license, !license.isEmpty {
            let value = license.lowercased()
            if ModelAsset.License(rawValue: value) != nil { self.license = value } else {
                errors.append(.init(field: "license", message: "must be one of \(ModelAsset.License.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        self.free = free
        errors += Self.rangeErrors(min: minPrice, max: maxPrice, minField: "min_price", maxField: "max_price")
        errors += Self.rangeErrors(min: minPolys, max: maxPolys, minField: "min_polys", maxField: "max_polys")
        (self.minPrice, self.maxPrice, self.minPolys, self.maxPolys) = (minPrice, maxPrice, minPolys, maxPolys)
        (self.animated, self.rigged, self.featured) = (animated, rigged, featured)
        do { self.quality = try QualityFilters(quality) } catch let problem as Problem { errors += problem.errors }
        // `max_triangles` is `max_polys` under its plain name; with both, the stricter one applies.
        if let cap = self.quality.maxTriangles {
            if let min = self.minPolys, min > cap, !errors.contains(where: { $0.field == "min_polys" }) {
                errors.append(.init(field: "min_polys", message: "must not be greater than max_triangles"))
            }
            self.maxPolys = Swift.min(self.maxPolys ?? cap, cap)
        }
        if let creator = creator?.trimmingCharacters(in: .whitespaces), !creator.isEmpty {
            // No account can have another spelling, so such a filter matches nothing, without asking the database.
            let plausible = creator.count <= 60 && creator.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
            creatorKey = plausible ? creator.lowercased() : ""
        }
        if let sort, !sort.isEmpty {
            if let value = Sort(rawValue: sort) { self.sort = value } else {
                errors.append(.init(field: "sort", message: "must be one of \(Sort.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        } else {
            self.sort = words.isEmpty ? .newest : .relevance
        }
        // Relevance needs words to rank by; without them the newest come first, as for any browse.
        if self.sort == .relevance, words.isEmpty { self.sort = .newest }
        guard errors.isEmpty else { throw Problem.validation(errors) }
    }

    /// A creator's page: newest first, `status` applied only on the owner's own page.
    static func creatorPage(userID: UUID, isOwner: Bool, status: String?, page: Int?, perPage: Int?) throws -> ModelSearchCriteria {
        var errors: [Problem.FieldError] = []
        var pageRequest = try? PageRequest(page: 1, perPage: 20)
        do { pageRequest = try PageRequest(page: page, perPage: perPage) } catch let problem as Problem { errors += problem.errors }
        var lifecycle: ModelAsset.Status?
        if let status, !status.isEmpty {
            lifecycle = ModelAsset.Status(rawValue: status)
            if lifecycle == nil {
                errors.append(.init(field: "status", message: "must be one of \(ModelAsset.Status.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        guard errors.isEmpty, let pageRequest else { throw Problem.validation(errors) }
        return ModelSearchCriteria(scope: isOwner ? .owner(userID, status: lifecycle) : .creator(userID), page: pageRequest)
    }

    private static func rangeErrors(min: Int?, max: Int?, minField: String, maxField: String) -> [Problem.FieldError] {
        var errors: [Problem.FieldError] = []
        if let min, min < 0 { errors.append(.init(field: minField, message: "must not be negative")) }
        if let max, max < 0 { errors.append(.init(field: maxField, message: "must not be negative")) }
        if let min, let max, min >= 0, max >= 0, min > max {
            errors.append(.init(field: minField, message: "must not be greater than \(maxField)"))
        }
        return errors
    }
}
