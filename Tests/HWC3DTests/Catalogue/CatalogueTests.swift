import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Categories and tags")
struct CatalogueTests {
    @Test("the seeded tree in position order, counting listed models only; a parent's count includes its children")
    func categoryTree() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            for _ in 0..<2 { try await CatalogueFixtures.model(server, owner: alice, category: "cars") }
            try await CatalogueFixtures.model(server, owner: alice, category: "aircraft")
            try await CatalogueFixtures.model(server, owner: alice, category: "vehicles")
            try await CatalogueFixtures.model(server, owner: alice, category: "art")
            // None of these is listed.
            try await CatalogueFixtures.model(server, owner: alice, status: .draft, category: "cars")
            try await CatalogueFixtures.model(server, owner: alice, status: .pendingReview, category: "cars")
            try await CatalogueFixtures.model(server, owner: alice, visibility: .private, category: "cars")
            try await CatalogueFixtures.model(server, owner: alice, visibility: .unlisted, category: "cars")
            try await CatalogueFixtures.model(server, owner: alice, deleted: true, category: "ships")
            try await CatalogueFixtures.model(server, owner: alice)

            let response = try await server.request(.GET, "/api/v1/categories")
            #expect(response.status == .ok, "\(response.text)")
            #expect(response.headers.first(name: .cacheControl) == "public, max-age=60")
            let items = try #require(try response.object()["items"] as? [[String: Any]])
            #expect(items.map { $0["slug"] as? String } == SeedCategories.tree.map(\.slug))
            for (item, seeded) in zip(items, SeedCategories.tree) {
                #expect(item["name"] as? String == seeded.name)
                #expect(UUID(uuidString: item["id"] as? String ?? "") != nil)
                let children = try #require(item["children"] as? [[String: Any]])
                #expect(children.map { $0["slug"] as? String } == seeded.children.map(\.0))
                #expect(children.allSatisfy { $0["children"] == nil })
            }
            func count(_ slug: String) -> Int? {
                for item in items {
                    if item["slug"] as? String == slug { return item["model_count"] as? Int }
                    for child in item["children"] as? [[String: Any]] ?? [] where child["slug"] as? String == slug {
                        return child["model_count"] as? Int
                    }
                }
                return nil
            }
            #expect(count("cars") == 2)
            #expect(count("aircraft") == 1)
            #expect(count("ships") == 0)
            #expect(count("vehicles") == 4)
            #expect(count("art") == 1)
            #expect(count("characters") == 0)
            #expect(count("humans") == 0)
        }
    }

    @Test("the kept category counts equal a recount after every kind of change: status, visibility, deletion, category, removal")
    func categoryCountsFollowEveryChange() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let sql = try #require(server.app.db as? any SQLDatabase)
            let categories = try await sql.raw("SELECT id FROM categories ORDER BY slug").all().map { try $0.decode(column: "id", as: UUID.self) }
            var models: [UUID] = []
            for index in 0..<12 {
                models.append(try await CatalogueFixtures.model(server, owner: alice, category: ["cars", "ships", "art"][index % 3]))
            }
            // What the tree shows, per category id, against a count of the models themselves.
            func shown() async throws -> [UUID: Int] {
                let response = try await server.request(.GET, "/api/v1/categories")
                #expect(response.status == .ok)
                var counts: [UUID: Int] = [:]
                for item in try #require(try response.object()["items"] as? [[String: Any]]) {
                    let children = item["children"] as? [[String: Any]] ?? []
                    for child in children {
                        counts[try #require(UUID(uuidString: child["id"] as? String ?? ""))] = child["model_count"] as? Int
                    }
                    // A parent's own models: its total less its children's.
                    let total = item["model_count"] as? Int ?? 0
                    counts[try #require(UUID(uuidString: item["id"] as? String ?? ""))] = total - children.reduce(0) { $0 + ($1["model_count"] as? Int ?? 0) }
                }
                return counts.filter { $0.value != 0 }
            }
            func recount() async throws -> [UUID: Int] {
                let rows = try await sql.raw("""
                    SELECT category_id, COUNT(*) AS n FROM models
                    WHERE status = 'published' AND visibility = 'public' AND deleted_at IS NULL AND category_id IS NOT NULL
                    GROUP BY category_id
                    """).all()
                return Dictionary(uniqueKeysWithValues: try rows.map { (try $0.decode(column: "category_id", as: UUID.self), try $0.decode(column: "n", as: Int.self)) })
            }
            #expect(try await shown() == recount())
            #expect(try await recount().values.reduce(0, +) == 12)

            var generator = SystemRandomNumberGenerator()
            for step in 0..<60 {
                let model = models.randomElement(using: &generator)!
                let change: SQLQueryString = switch step % 6 {
                case 0: "UPDATE models SET status = \(bind: ["draft", "pending_review", "published", "archived"].randomElement()!) WHERE id = \(bind: model)"
                case 1: "UPDATE models SET visibility = \(bind: ["public", "unlisted", "private"].randomElement()!) WHERE id = \(bind: model)"
                case 2: "UPDATE models SET deleted_at = \(bind: Bool.random() ? Date() : nil) WHERE id = \(bind: model)"
                case 3: "UPDATE models SET category_id = \(bind: Bool.random() ? categories.randomElement()! : nil) WHERE id = \(bind: model)"
                case 4: "UPDATE models SET status = 'published', visibility = 'public', deleted_at = NULL, category_id = \(bind: categories.randomElement()!) WHERE id = \(bind: model)"
                default: "UPDATE models SET like_count = like_count + 1, title = \(bind: "Renamed \(step)") WHERE id = \(bind: model)"
                }
                try await sql.raw(change).run()
                #expect(try await shown() == recount(), "after step \(step)")
            }
            // A model removed outright (an erased account's models go this way) leaves its category's count.
            try await sql.raw("UPDATE models SET status = 'published', visibility = 'public', deleted_at = NULL, category_id = \(bind: categories[0]) WHERE id = \(bind: models[0])").run()
            let before = try await recount()[categories[0]] ?? 0
            try await sql.raw("DELETE FROM models WHERE id = \(bind: models[0])").run()
            #expect(try await recount()[categories[0]] ?? 0 == before - 1)
            #expect(try await shown() == recount())
        }
    }

    @Test("popular tags by number of listed models, then name; tags only unlisted models carry are left out")
    func popularTags() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            try await CatalogueFixtures.model(server, owner: alice, tags: ["low-poly", "sci-fi", "crate"])
            try await CatalogueFixtures.model(server, owner: alice, tags: ["low-poly", "sci-fi"])
            try await CatalogueFixtures.model(server, owner: alice, tags: ["low-poly", "lowland"])
            try await CatalogueFixtures.model(server, owner: alice, status: .draft, tags: ["crate", "draft-only"])
            try await CatalogueFixtures.model(server, owner: alice, visibility: .unlisted, tags: ["crate", "hidden"])
            try await CatalogueFixtures.model(server, owner: alice, deleted: true, tags: ["crate"])

            let all = try await server.request(.GET, "/api/v1/tags")
            #expect(all.status == .ok, "\(all.text)")
            #expect(all.headers.first(name: .cacheControl) == "public, max-age=60")
            let items = try #require(try all.object()["items"] as? [[String: Any]])
            #expect(items.map { $0["name"] as? String } == ["low-poly", "sci-fi", "crate", "lowland"])
            #expect(items.map { $0["model_count"] as? Int } == [3, 2, 1, 1])

            let limited = try await server.request(.GET, "/api/v1/tags?limit=1").object()
            #expect((limited["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["low-poly"])

            // Typed text counts tag by tag, the full list all at once: the same counts either way, and a tag only
            // unlisted models carry stays out of both.
            let prefixed = try #require(try await server.request(.GET, "/api/v1/tags?q=lo").object()["items"] as? [[String: Any]])
            #expect(prefixed.map { $0["name"] as? String } == ["low-poly", "lowland"])
            #expect(prefixed.map { $0["model_count"] as? Int } == [3, 1])
            for (name, count) in [("crate", 1), ("sci-fi", 2)] {
                let one = try #require(try await server.request(.GET, "/api/v1/tags?q=\(name)").object()["items"] as? [[String: Any]])
                #expect(one.map { $0["model_count"] as? Int } == [count], "\(name)")
            }
            #expect((try await server.request(.GET, "/api/v1/tags?q=draft").object()["items"] as? [[String: Any]])?.isEmpty == true)
        }
    }

    @Test("tag prefixes are normalised like tags (`Low Po` finds low-poly); LIKE wildcards are plain characters")
    func tagPrefix() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            try await CatalogueFixtures.model(server, owner: alice, tags: ["low-poly", "lowland", "sci-fi", "crate"])
            func names(_ q: String) async throws -> [String?] {
                let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q
                let response = try await server.request(.GET, "/api/v1/tags?q=\(encoded)")
                #expect(response.status == .ok, "q=\(q): \(response.text)")
                return (try response.object()["items"] as? [[String: Any]] ?? []).map { $0["name"] as? String }
            }
            #expect(try await names("low") == ["low-poly", "lowland"])
            #expect(try await names("LOW") == ["low-poly", "lowland"])
            #expect(try await names("Low Po") == ["low-poly"])
            #expect(try await names("low_") == ["low-poly"])
            #expect(try await names("l") == ["low-poly", "lowland"])
            #expect(try await names("%") == [])
            #expect(try await names("_") == [])
            #expect(try await names("%low") == ["low-poly", "lowland"])
            #expect(try await names("' OR 1=1 --") == [])
            #expect(try await names("  ") == ["crate", "low-poly", "lowland", "sci-fi"])
            #expect(try await names("x") == [])

            #expect(CatalogueReads.tagPrefix("Sci Fi ") == "sci-fi-")
            #expect(CatalogueReads.tagPrefix("--sci--") == "sci-")
            #expect(CatalogueReads.tagPrefix("%_") == nil)
        }
    }

    @Test("limit outside 1…100 and q over 50 characters are 422 naming the field")
    func tagValidation() async throws {
        try await withServer { server in
            for (query, field) in [("limit=0", "limit"), ("limit=101", "limit"), ("q=\(String(repeating: "a", count: 51))", "q")] {
                let response = try await server.request(.GET, "/api/v1/tags?\(query)")
                #expect(response.status == .unprocessableEntity, "\(query)")
                #expect(response.problemType == "validation")
                #expect(response.fieldErrors == [field])
                // A refusal is not for caches to keep.
                #expect(response.headers.first(name: .cacheControl) == nil)
            }
            #expect(try await server.request(.GET, "/api/v1/tags?limit=100").status == .ok)
            for query in ["limit=abc", "limit=1.5", "days=x&limit=99999999999999999999999"] {
                let response = try await server.request(.GET, "/api/v1/tags?\(query)")
                #expect([.badRequest, .unprocessableEntity].contains(response.status), "\(query): \(response.status)")
                #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true, "\(query)")
            }
        }
    }
}
