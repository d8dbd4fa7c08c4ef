import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Feed")
struct FeedTests {
    @Test("the feed merges followed creators' listed models and member communities' posts, newest first, page by page without gaps")
    func feed() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let reader = try await server.register("reader", verified: true)
            let maker = try await server.register("maker", verified: true)
            let stranger = try await server.register("stranger", verified: true)
            #expect(try await server.request(.POST, "/api/v1/users/maker/follow", token: reader.accessToken).status == .ok)
            try await CommunityFixtures.community(server, owner: maker, slug: "mine", visibility: "private")
            try await CommunityFixtures.community(server, owner: stranger, slug: "theirs", visibility: "private")
            try await CommunityFixtures.join(server, "mine", reader, approver: maker)

            var expected: [String] = []
            for index in 0..<4 {
                let model = try await CatalogueFixtures.model(server, owner: maker, title: "Model \(index)")
                let row = try await CatalogueFixtures.row(server, model)
                row.publishedAt = Date().addingTimeInterval(Double(index * 2) - 100)
                try await row.update(on: server.app.db)
                expected.append("Model \(index)")
                _ = try await CommunityFixtures.post(server, "mine", author: maker, title: "Post \(index)")
            }
            // Not for the reader: a draft, a stranger's model, a post in a community they are not in.
            _ = try await CatalogueFixtures.model(server, owner: maker, title: "Draft", status: .draft)
            _ = try await CatalogueFixtures.model(server, owner: stranger, title: "Stranger's")
            _ = try await CommunityFixtures.post(server, "theirs", author: stranger, title: "Hidden post")

            var titles: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let query = "?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let response = try await server.request(.GET, "/api/v1/users/me/feed\(query)", token: reader.accessToken)
                #expect(response.status == .ok, "\(response.text)")
                let body = try response.object()
                for item in body["items"] as? [[String: Any]] ?? [] {
                    let title = (item["model"] as? [String: Any])?["title"] as? String ?? (item["post"] as? [String: Any])?["title"] as? String
                    titles.append(title ?? "?")
                }
                cursor = body["next_cursor"] as? String
                pages += 1
            } while cursor != nil && pages < 10
            // Posts were written just now, models published a while ago: posts first, each newest first.
            #expect(titles == ["Post 3", "Post 2", "Post 1", "Post 0", "Model 3", "Model 2", "Model 1", "Model 0"], "\(titles)")
            #expect(try await server.request(.GET, "/api/v1/users/me/feed?cursor=garbage", token: reader.accessToken).status == .unprocessableEntity)
            #expect(try await server.request(.GET, "/api/v1/users/me/feed?limit=51", token: reader.accessToken).status.code >= 400)
            #expect(try await server.request(.GET, "/api/v1/users/me/feed").status == .unauthorized)
        }
    }
}
