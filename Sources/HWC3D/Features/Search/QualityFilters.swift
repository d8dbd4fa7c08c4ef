import Foundation
import SQLKit

/// Catalogue filters on the main file's quality report (issue 13), validated together so a client fixes its query
/// in one round. Read from the model's own row (`UpdateModelsAddQualityFigures`): a model whose main file has no
/// report yet matches none of them.
struct QualityFilters: Sendable, Equatable {
    /// The query parameters as sent.
    struct Query: Sendable {
        var manifold: Bool?
        var hasUV: Bool?
        var textured: Bool?
        var maxTriangles: Int?
        var realSizeMin: Double?
        var realSizeMax: Double?
    }

    var manifold: Bool?
    var hasUV: Bool?
    var textured: Bool?
    var maxTriangles: Int?
    /// Metres, on the largest dimension.
    var realSizeMin: Double?
    var realSizeMax: Double?

    init() {}

    init(_ query: Query) throws {
        var errors: [Problem.FieldError] = []
        (manifold, hasUV, textured) = (query.manifold, query.hasUV, query.textured)
        if let value = query.maxTriangles {
            if value < 0 { errors.append(.init(field: "max_triangles", message: "must not be negative")) } else { maxTriangles = value }
        }
        func size(_ value: Double?, field: String) -> Double? {
            guard let value else { return nil }
            guard value.isFinite, value >= 0 else {
                errors.append(.init(field: field, message: "must be a number of metres, not negative"))
                return nil
            }
            return value
        }
        realSizeMin = size(query.realSizeMin, field: "real_size_min")
        realSizeMax = size(query.realSizeMax, field: "real_size_max")
        if let low = realSizeMin, let high = realSizeMax, low > high {
            errors.append(.init(field: "real_size_min", message: "must not be greater than real_size_max"))
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
    }

    /// Predicates over the models under `alias` (`max_triangles` is applied through `max_polys`).
    func predicates(on alias: String) -> [SQLQueryString] {
        var parts: [SQLQueryString] = []
        if let manifold { parts.append("\(ident: alias).manifold = \(bind: manifold)") }
        if let hasUV { parts.append("\(ident: alias).has_uv = \(bind: hasUV)") }
        if let textured { parts.append("\(ident: alias).textured = \(bind: textured)") }
        if let realSizeMin { parts.append("\(ident: alias).size_m >= \(bind: realSizeMin)") }
        if let realSizeMax { parts.append("\(ident: alias).size_m <= \(bind: realSizeMax)") }
        return parts
    }
}
