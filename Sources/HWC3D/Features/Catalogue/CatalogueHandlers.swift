import Foundation
import HWC3DAPI
import Vapor

/// The category tree and tag autocomplete. Both count the whole catalogue on every call (about 0.1 s and
/// 0.3 s with 100,000 models on PostgreSQL), and both answers are the same for everyone, so they may be cached
/// publicly for a minute: a CDN or the browser absorbs the repeats.
extension APIHandler {
    static let catalogueCacheControl = "public, max-age=60"

    func listCategories(_ input: Operations.ListCategories.Input) async throws -> Operations.ListCategories.Output {
        let req = try request
        let tree = try await CatalogueReads(database: req.reads).categoryTree()
        let items: [Components.Schemas.Category] = tree.map { root in
            .init(
                id: root.id.uuidString.lowercased(), slug: root.slug, name: root.name, modelCount: root.modelCount,
                children: root.children.map {
                    .init(id: $0.id.uuidString.lowercased(), slug: $0.slug, name: $0.name, modelCount: $0.modelCount)
                })
        }
        return .ok(.init(headers: .init(cacheControl: Self.catalogueCacheControl), body: .json(.init(items: items))))
    }

    func listTags(_ input: Operations.ListTags.Input) async throws -> Operations.ListTags.Output {
        let req = try request
        let tags = try await CatalogueReads(database: req.reads).popularTags(prefix: input.query.q, limit: input.query.limit)
        return .ok(.init(
            headers: .init(cacheControl: Self.catalogueCacheControl),
            body: .json(.init(items: tags.map { .init(name: $0.name, modelCount: $0.modelCount) }))))
    }
}
