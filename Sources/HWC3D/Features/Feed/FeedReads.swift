import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// The signed-in user's feed: models newly published by the people they follow, and posts of the communities they
/// are an active member of, newest first. Each half is read from its own index up to one page past the cursor,
/// then the two are merged: two statements, plus one for the models' cards.
/// Paged by `TimeCursor`: stable under new items arriving, unlike page numbers.
struct FeedReads: Sendable {
    let database: any Database
    let settings: Settings

    struct Page: Sendable {
        let items: [Components.Schemas.FeedItem]
        let nextCursor: String?
    }

    func page(for userID: UUID, cursor rawCursor: String?, limit: Int) async throws -> Page {
        guard (1...50).contains(limit) else { throw Problem.validation(field: "limit", "must be between 1 and 50") }
        let cursor = try rawCursor.map(TimeCursor.decode)
        let sql = database.sql
        var modelFilter: SQLQueryString = "\(ListingSQL.isListed("m")) AND m.owner_id IN (\(UserReads.followeeIDs(of: userID)))"
        if let cursor {
            modelFilter = "\(modelFilter) AND \(TimeCursor.before(cursor, time: "m.published_at", id: "m.id"))"
        }
        let models = try await database.prepared("""
            SELECT m.id, m.published_at \(ListingSQL.from(alias: "m"))
            WHERE \(modelFilter) ORDER BY m.published_at DESC, m.id DESC LIMIT \(literal: limit)
            """).map { (try $0.decode(column: "published_at", as: Date.self), try $0.decode(column: "id", as: UUID.self)) }
        let reads = PostReads(database: database)
        let posts = try await reads.memberFeed(of: userID, before: cursor, limit: limit)

        enum Entry { case model(Date, UUID), post(PostReads.View) }
        func key(_ entry: Entry) -> (Date, UUID) {
            switch entry {
            case .model(let at, let id): (at, id)
            case .post(let view): (view.createdAt, view.id)
            }
        }
        let merged = (models.map { Entry.model($0.0, $0.1) } + posts.map { Entry.post($0) })
            .sorted { key($0).0 != key($1).0 ? key($0).0 > key($1).0 : key($0).1.uuidString > key($1).1.uuidString }
            .prefix(limit)
        let modelIDs = merged.compactMap { if case .model(_, let id) = $0 { id } else { nil } }
        let postViews = merged.compactMap { if case .post(let view) = $0 { view } else { nil } }
        let cards = try await ModelCards.loadByID(ids: modelIDs, on: sql, settings: settings)
        let attached = try await reads.modelCards(for: postViews, settings: settings)
        let items: [Components.Schemas.FeedItem] = merged.compactMap { entry in
            switch entry {
            case .model(let at, let id):
                cards[id].map { .init(_type: .model, at: at, model: $0) }
            case .post(let view):
                .init(_type: .post, at: view.createdAt, post: .init(view, model: view.listedModelID.flatMap { attached[$0] }, settings: settings))
            }
        }
        let next = merged.count == limit ? merged.last.map { TimeCursor.encode(key($0)) } : nil
        return Page(items: items, nextCursor: next)
    }
}
