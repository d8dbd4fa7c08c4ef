import Foundation
import HWC3DAPI
import SQLKit

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

    /// Rows before this page.
    var offset: Int { (page - 1) * perPage }

    /// The page's rows as a Fluent `range`: `per_page` rows after `offset`.
    var rows: Range<Int> { offset..<offset + perPage }

    /// The page's rows in SQL: `LIMIT per_page OFFSET offset` (validated integers, so literal).
    var sqlClause: SQLQueryString { "LIMIT \(literal: perPage) OFFSET \(literal: offset)" }

    func meta(total: Int) -> Components.Schemas.PageMeta {
        .init(page: page, perPage: perPage, total: total, pages: total == 0 ? 0 : (total + perPage - 1) / perPage)
    }
}
