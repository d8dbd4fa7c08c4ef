import Foundation
import HWC3DAPI

/// Validated page parameters: `per_page` above 100 is refused, not silently clamped.
struct PageRequest {
    let page: Int
    let perPage: Int

    init(page: Int?, perPage: Int?) throws {
        self.page = page ?? 1
        self.perPage = perPage ?? 20
        var errors: [Problem.FieldError] = []
        if self.page < 1 || self.page > 100_000 { errors.append(.init(field: "page", message: "must be between 1 and 100000")) }
        if self.perPage < 1 || self.perPage > 100 { errors.append(.init(field: "per_page", message: "must be between 1 and 100")) }
        guard errors.isEmpty else { throw Problem.validation(errors) }
    }

    /// The page's rows as a Fluent `range`: offset `(page - 1) × per_page`, `per_page` rows.
    var rows: Range<Int> { (page - 1) * perPage..<page * perPage }

    func meta(total: Int) -> Components.Schemas.PageMeta {
        .init(page: page, perPage: perPage, total: total, pages: total == 0 ? 0 : (total + perPage - 1) / perPage)
    }
}
