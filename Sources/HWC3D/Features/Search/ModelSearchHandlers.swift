import Foundation
import HWC3DAPI
import SQLKit
import Vapor

/// The catalogue's read side: search and browse, a creator's models, related models.
extension APIHandler {
    func listModels(_ input: Operations.ListModels.Input) async throws -> Operations.ListModels.Output {
        // Results do not depend on who asks; a broken token was answered 401 by the route policy (`optional`).
        let query = input.query
        let criteria = try ModelSearchCriteria(
            q: query.q, category: query.category, tags: query.tags, format: query.format, license: query.license,
            free: query.free, minPrice: query.minPrice, maxPrice: query.maxPrice, minPolys: query.minPolys,
            maxPolys: query.maxPolys, animated: query.animated, rigged: query.rigged, creator: query.creator,
            featured: query.featured, sort: query.sort, page: query.page, perPage: query.perPage,
            quality: .init(
                manifold: query.manifold, hasUV: query.hasUv, textured: query.textured, maxTriangles: query.maxTriangles,
                realSizeMin: query.realSizeMin, realSizeMax: query.realSizeMax))
        let result = try await search(criteria, on: try request)
        return .ok(.init(body: .json(.init(items: result.items, meta: criteria.page.meta(total: result.total), facets: result.facets))))
    }

    /// Everyone sees the creator's listed models; the creator, signed in, sees all their own (not deleted) and may
    /// pick one `status`. Others' `status` is checked but otherwise ignored, so a shared link still shows the
    /// public page. Unknown, suspended and erased accounts answer 404.
    func listUserModels(_ input: Operations.ListUserModels.Input) async throws -> Operations.ListUserModels.Output {
        let req = try request
        let user = try await UserService(services: services, database: req.reads).findPublic(username: input.path.username)
        let caller = try optionalCaller
        let criteria = try ModelSearchCriteria.creatorPage(
            userID: try user.requireID(), isOwner: caller?.userID == user.id, status: input.query.status,
            page: input.query.page, perPage: input.query.perPage)
        let result = try await search(criteria, on: req)
        return .ok(.init(body: .json(.init(items: result.items, meta: criteria.page.meta(total: result.total), facets: result.facets))))
    }

    private func search(_ criteria: ModelSearchCriteria, on req: Request) async throws -> ModelSearch.Result {
        try await ModelSearch(sql: req.reads.sql, settings: services.settings).run(criteria)
    }

    func listRelatedModels(_ input: Operations.ListRelatedModels.Input) async throws -> Operations.ListRelatedModels.Output {
        let req = try request
        let limit = try RelatedModels.validatedLimit(input.query.limit)
        let source = try await ModelAccess.visible(input.path.id, caller: try optionalCaller, on: req.reads)
        let items = try await RelatedModels(sql: req.reads.sql, settings: services.settings).list(for: source, limit: limit)
        return .ok(.init(body: .json(.init(items: items))))
    }
}
