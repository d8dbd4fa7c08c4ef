import Fluent
import Foundation
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Catalogue: creator pages and related models")
struct CreatorAndRelatedModelsTests {
    func get(_ server: TestServer, _ path: String, token: String? = nil) async throws -> TestResponse {
        try await server.request(.GET, path, token: token)
    }

    static func spec(_ title: String, _ configure: (inout ModelFixtures.Spec) -> Void = { _ in }) -> ModelFixtures.Spec {
        ModelSearchTests.spec(title, configure)
    }

    // MARK: a creator's models

    @Test("creator pages: others see listed models only, the owner every own model not deleted with an optional status; 404 for unknown, suspended and erased accounts")
    func creatorPages() async throws {
        try await withServer { server in
            let bob = try await server.register("bob")
            let alice = try await server.register("alice")
            let bobID = try #require(UUID(uuidString: bob.id))
            let carolID = try await ModelFixtures.user(server, "carol")
            try await ModelFixtures.model(server, owner: bobID, Self.spec("Listed") { $0.age = 60 })
            try await ModelFixtures.model(server, owner: bobID, Self.spec("Unlisted") { $0.visibility = .unlisted; $0.age = 50 })
            try await ModelFixtures.model(server, owner: bobID, Self.spec("Private") { $0.visibility = .private; $0.age = 40 })
            try await ModelFixtures.model(server, owner: bobID, Self.spec("Draft") { $0.status = .draft; $0.age = 30 })
            try await ModelFixtures.model(server, owner: bobID, Self.spec("Pending") { $0.status = .pendingReview; $0.age = 20 })
            try await ModelFixtures.model(server, owner: bobID, Self.spec("Deleted") { $0.deleted = true; $0.age = 10 })
            try await ModelFixtures.model(server, owner: carolID, Self.spec("Carol's"))
            let (_, adminToken) = try await CatalogueFixtures.admin(server, "moderator1")

            let anonymous = try await get(server, "/api/v1/users/bob/models")
            #expect(anonymous.status == .ok, "\(anonymous.text)")
            #expect(anonymous.titles == ["Listed"])
            #expect(anonymous.meta == ["page": 1, "per_page": 20, "total": 1, "pages": 1])
            #expect(anonymous.facet("licenses") == ["standard": 1])
            #expect(try await get(server, "/api/v1/users/BOB/models").titles == ["Listed"])
            #expect(try await get(server, "/api/v1/users/bob/models", token: alice.accessToken).titles == ["Listed"])
            #expect(try await get(server, "/api/v1/users/bob/models", token: adminToken).titles == ["Listed"])
            // Someone else's `status` is checked, then ignored: the public page still shows.
            #expect(try await get(server, "/api/v1/users/bob/models?status=draft").titles == ["Listed"])
            #expect(try await get(server, "/api/v1/users/bob/models?status=draft", token: alice.accessToken).titles == ["Listed"])

            // The owner (unverified: reading needs no verified email) sees every model not deleted, newest first.
            let own = try await get(server, "/api/v1/users/bob/models", token: bob.accessToken)
            #expect(own.titles == ["Pending", "Draft", "Private", "Unlisted", "Listed"])
            #expect(own.meta["total"] == 5)
            let statuses = own.items.compactMap { $0["status"] as? String }
            #expect(statuses == ["pending_review", "draft", "published", "published", "published"])
            #expect(try await get(server, "/api/v1/users/bob/models?status=draft", token: bob.accessToken).titles == ["Draft"])
            #expect(try await get(server, "/api/v1/users/bob/models?status=published", token: bob.accessToken).titles == ["Private", "Unlisted", "Listed"])
            #expect(try await get(server, "/api/v1/users/bob/models?status=archived", token: bob.accessToken).titles == [])
            let paged = try await get(server, "/api/v1/users/bob/models?per_page=2&page=2", token: bob.accessToken)
            #expect(paged.titles == ["Private", "Unlisted"])
            #expect(paged.meta == ["page": 2, "per_page": 2, "total": 5, "pages": 3])

            for (query, field) in [("status=deleted", "status"), ("status=PUBLISHED", "status"), ("per_page=101", "per_page"), ("page=0", "page")] {
                for token in [nil, bob.accessToken] {
                    let response = try await get(server, "/api/v1/users/bob/models?\(query)", token: token)
                    #expect(response.status == .unprocessableEntity, "\(query)")
                    #expect(response.fieldErrors == [field], "\(query)")
                }
            }
            let broken = try await get(server, "/api/v1/users/bob/models", token: "not-a-token")
            #expect(broken.status == .unauthorized)

            #expect(try await get(server, "/api/v1/users/nobody/models").status == .notFound)
            try await ModelFixtures.user(server, "suspended_sam", status: .suspended)
            try await ModelFixtures.user(server, "erased_eve", status: .deleted)
            for username in ["suspended_sam", "erased_eve", "%27%3B%20DROP%20TABLE%20users%3B--", String(repeating: "a", count: 300)] {
                let response = try await get(server, "/api/v1/users/\(username)/models")
                #expect(response.status == .notFound, "\(username)")
                #expect(response.problemType == "not-found")
            }
        }
    }

    // MARK: related models

    @Test("related models: scored by shared tags, category and creator; listed only, never the model itself; limit 1 to 24; 404 for models the caller may not see")
    func relatedModels() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let aliceID = try #require(UUID(uuidString: alice.id))
            let bob = try await ModelFixtures.user(server, "bob")
            let source = try await ModelFixtures.model(server, owner: aliceID, Self.spec("Source") { $0.category = "seating"; $0.tags = ["oak", "rustic"] })
            // Scores: shared tag 2 each, same category 3, sibling category 1, same creator 2.
            try await ModelFixtures.model(server, owner: bob, Self.spec("Twin") { $0.category = "seating"; $0.tags = ["oak", "rustic"] })  // 7
            try await ModelFixtures.model(server, owner: bob, Self.spec("Sibling oak") { $0.category = "tables"; $0.tags = ["oak"]; $0.likes = 5 })  // 3
            try await ModelFixtures.model(server, owner: bob, Self.spec("Same shelf") { $0.category = "seating"; $0.likes = 1 })  // 3
            try await ModelFixtures.model(server, owner: bob, Self.spec("Rustic car") { $0.category = "cars"; $0.tags = ["rustic"]; $0.likes = 10 })  // 2
            try await ModelFixtures.model(server, owner: aliceID, Self.spec("Alice's car") { $0.category = "cars" })  // 2
            try await ModelFixtures.model(server, owner: bob, Self.spec("Unrelated") { $0.category = "humans" })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Draft twin") { $0.category = "seating"; $0.tags = ["oak", "rustic"]; $0.status = .draft })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Private twin") { $0.category = "seating"; $0.tags = ["oak", "rustic"]; $0.visibility = .private })
            let draft = try await ModelFixtures.model(server, owner: aliceID, Self.spec("Alice's draft") { $0.category = "seating"; $0.status = .draft })

            let related = try await get(server, "/api/v1/models/\(source.uuidString)/related")
            #expect(related.status == .ok, "\(related.text)")
            #expect(related.titles == ["Twin", "Sibling oak", "Same shelf", "Rustic car", "Alice's car"])
            #expect(related.items.first?["creator"] != nil)
            #expect(try await get(server, "/api/v1/models/\(source.uuidString)/related?limit=2").titles == ["Twin", "Sibling oak"])
            #expect(try await get(server, "/api/v1/models/\(source.uuidString.lowercased())/related?limit=24").titles.count == 5)
            for limit in ["0", "25", "-1"] {
                let response = try await get(server, "/api/v1/models/\(source.uuidString)/related?limit=\(limit)")
                #expect(response.status == .unprocessableEntity, "limit=\(limit)")
                #expect(response.fieldErrors == ["limit"])
            }

            // Someone's draft is not there for others, but its owner gets its related models (listed ones only).
            #expect(try await get(server, "/api/v1/models/\(draft.uuidString)/related").status == .notFound)
            let ownDraft = try await get(server, "/api/v1/models/\(draft.uuidString)/related", token: alice.accessToken)
            #expect(ownDraft.status == .ok)
            #expect(ownDraft.titles.first == "Source")
            #expect(!ownDraft.titles.contains("Alice's draft") && !ownDraft.titles.contains("Draft twin"))
            for key in [UUID().uuidString, "not-a-uuid", "%27%3B%20DROP%20TABLE%20models%3B--"] {
                let response = try await get(server, "/api/v1/models/\(key)/related")
                #expect(response.status == .notFound, "\(key)")
            }
        }
    }
}
