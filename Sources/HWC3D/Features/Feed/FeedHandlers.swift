import Foundation
import HWC3DAPI
import Vapor

extension APIHandler {
    func getMyFeed(_ input: Operations.GetMyFeed.Input) async throws -> Operations.GetMyFeed.Output {
        let req = try request
        let page = try await FeedReads(database: req.reads, settings: services.settings)
            .page(for: try signedIn.userID, cursor: input.query.cursor, limit: input.query.limit ?? 20)
        return .ok(.init(body: .json(.init(items: page.items, nextCursor: page.nextCursor))))
    }
}
