import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Catalogue: full-text search and its index")
struct ModelFullTextTests {
    func get(_ server: TestServer, _ path: String, token: String? = nil) async throws -> TestResponse {
        try await server.request(.GET, path, token: token)
    }

    static func spec(_ title: String, _ configure: (inout ModelFixtures.Spec) -> Void = { _ in }) -> ModelFixtures.Spec {
        ModelSearchTests.spec(title, configure)
    }

    // MARK: full-text search

    @Test("text search: every word a prefix and all required; title outranks tags, creator, then description; same on both databases")
    func textSearch() async throws {
        try await withServer { server in
            let bob = try await ModelFixtures.user(server, "bob")
            let smith = try await ModelFixtures.user(server, "dragonsmith", displayName: "Ferro Workshop")
            // Oldest first, so that relevance order is the reverse of `newest` and of id order.
            try await ModelFixtures.model(server, owner: bob, Self.spec("Dragon statue") { $0.age = 40 })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Stone statue") { $0.tags = ["dragon"]; $0.age = 30 })
            try await ModelFixtures.model(server, owner: smith, Self.spec("Castle gate") { $0.age = 20 })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Garden gnome") { $0.description = "A small dragon sleeps beside it."; $0.age = 10 })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Café table") { $0.description = "Visit example.com for more."; $0.age = 50 })
            try await ModelFixtures.model(server, owner: bob, Self.spec("日本の城") { $0.age = 60 })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Hidden dragon") { $0.status = .draft })

            let expected: [(String, [String])] = [
                ("dragon", ["Dragon statue", "Stone statue", "Castle gate", "Garden gnome"]),
                ("DRAGON", ["Dragon statue", "Stone statue", "Castle gate", "Garden gnome"]),
                ("drag", ["Dragon statue", "Stone statue", "Castle gate", "Garden gnome"]),
                ("dragon sta", ["Dragon statue", "Stone statue"]),
                ("statue dragon", ["Dragon statue", "Stone statue"]),
                ("dragon gnome", ["Garden gnome"]),
                ("ferro", ["Castle gate"]),
                ("dragonsmith gate", ["Castle gate"]),
                ("café", ["Café table"]),
                ("CAFÉ tab", ["Café table"]),
                ("example", ["Café table"]),
                ("example.com", ["Café table"]),
                ("日本", ["日本の城"]),
                ("dragon unicorn", []),
            ]
            for (q, titles) in expected {
                let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let response = try await get(server, "/api/v1/models?q=\(encoded)")
                #expect(response.status == .ok, "\(q): \(response.text)")
                #expect(response.titles == titles, "q=\(q)")
            }
            // With q the default sort is relevance; another sort can be asked for and the same models come back.
            let newest = try await get(server, "/api/v1/models?q=dragon&sort=newest")
            #expect(newest.titles == ["Garden gnome", "Castle gate", "Stone statue", "Dragon statue"])
            let explicit = try await get(server, "/api/v1/models?q=dragon&sort=relevance")
            #expect(explicit.titles == ["Dragon statue", "Stone statue", "Castle gate", "Garden gnome"])
            let byDownloads = try await get(server, "/api/v1/models?q=dragon&sort=popular&per_page=2")
            #expect(byDownloads.meta["total"] == 4)
            #expect(byDownloads.facet("licenses") == ["standard": 4])
            // A ranked page comes out of the counting statement: pages keep the rank order and the totals, and a
            // page past the end is empty.
            var paged: [String] = []
            for page in 1...3 {
                let response = try await get(server, "/api/v1/models?q=dragon&per_page=2&page=\(page)")
                #expect(response.meta["total"] == 4 && response.meta["pages"] == 2, "page \(page)")
                #expect(response.facet("licenses") == ["standard": 4], "page \(page)")
                paged += response.titles
            }
            #expect(paged == ["Dragon statue", "Stone statue", "Castle gate", "Garden gnome"])
        }
    }

    @Test("hostile queries are plain words: SQL, FTS operators, quotes and Unicode answer 200 and match as words would")
    func hostileQueries() async throws {
        try await withServer { server in
            let bob = try await ModelFixtures.user(server, "bob")
            try await ModelFixtures.model(server, owner: bob, Self.spec("Oak chair") { $0.age = 10 })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Pine table") { $0.age = 20 })
            let everything = ["Oak chair", "Pine table"]
            let cases: [(String, [String])] = [
                ("'; DROP TABLE models; --", []),
                ("a\" OR \"b", []),
                ("oak\" OR \"pine", []),
                ("NEAR(oak chair)", []),
                ("NEAR", []),
                ("title:oak", []),
                ("oak:*", ["Oak chair"]),
                ("oak*", ["Oak chair"]),
                ("-oak", ["Oak chair"]),
                ("chair -oak", ["Oak chair"]),
                ("!oak", ["Oak chair"]),
                ("oak & chair", ["Oak chair"]),
                ("oak | pine", []),
                ("(oak)", ["Oak chair"]),
                ("'oak'", ["Oak chair"]),
                ("\\oak\\", ["Oak chair"]),
                ("oak^2", []),
                ("{title}: oak", []),
                ("OR", []),
                ("AND NOT", []),
                ("$$ oak $$", ["Oak chair"]),
                ("%", everything),
                ("***", everything),
                ("&|!", everything),
                ("\"", everything),
                ("   ", everything),
                ("😀 oak", ["Oak chair"]),
                ("ｏａｋ", []),
                // Words are cut at 64 characters, in documents and queries alike.
                (String(repeating: "x", count: 200), []),
                (String(repeating: "oak ", count: 50), ["Oak chair"]),
                ((0..<40).map { "w\($0)" }.joined(separator: " "), []),
            ]
            for (q, titles) in cases {
                let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let response = try await get(server, "/api/v1/models?q=\(encoded)")
                #expect(response.status == .ok, "q=\(q.debugDescription): \(response.text)")
                #expect(response.titles == titles, "q=\(q.debugDescription)")
                let sorted = try await get(server, "/api/v1/models?q=\(encoded)&sort=relevance&category=furniture")
                #expect(sorted.status == .ok, "q=\(q.debugDescription) with a category")
            }
            // NUL is no character of any text (PostgreSQL cannot even hold it): 422 naming the parameter.
            for q in ["\u{0}oak", "oak\u{0}"] {
                let encoded = q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let response = try await get(server, "/api/v1/models?q=\(encoded)")
                #expect(response.status == .unprocessableEntity, "q=\(q.debugDescription): \(response.text)")
                #expect(response.fieldErrors == ["q"])
            }
            #expect(try await CatalogueFixtures.count(server, "models") == 2)
            // Tags are normalised to `drop-table-tags`, a tag nobody uses.
            let tags = try await get(server, "/api/v1/models?tags=%27%3B%20DROP%20TABLE%20tags%3B--")
            #expect(tags.status == .ok)
            #expect(tags.titles == [])
        }
    }

    // MARK: keeping the index current

    @Test("the index follows title, tag and creator changes once refreshed; rebuild restores a lost index; settle vacuums and analyses it")
    func indexMaintenance() async throws {
        try await withServer { server in
            let bobAccount = try await server.register("bob")
            let bobID = try #require(UUID(uuidString: bobAccount.id))
            let lamp = try await ModelFixtures.model(server, owner: bobID, Self.spec("Brass lamp"))
            #expect(try await get(server, "/api/v1/models?q=brass").titles == ["Brass lamp"])

            let db = server.app.db
            let model = try #require(try await ModelAsset.find(lamp, on: db))
            model.title = "Copper lamp"
            try await model.update(on: db)
            // Not refreshed yet: the index still says brass. That is why every write path refreshes.
            #expect(try await get(server, "/api/v1/models?q=brass").titles == ["Copper lamp"])
            try await ModelSearchIndex.refresh(modelID: lamp, on: db)
            #expect(try await get(server, "/api/v1/models?q=brass").titles == [])
            #expect(try await get(server, "/api/v1/models?q=copper").titles == ["Copper lamp"])

            let tag = CatalogueTag(name: "vintage")
            try await tag.create(on: db)
            try await ModelTag(modelID: lamp, tagID: tag.id!).create(on: db)
            try await ModelSearchIndex.refresh(modelID: lamp, on: db)
            #expect(try await get(server, "/api/v1/models?q=vintage").titles == ["Copper lamp"])

            // Profile edits re-index the creator's models.
            let renamed = try await server.request(.PATCH, "/api/v1/users/me", json: ["display_name": "Zephyr Studio"], token: bobAccount.accessToken)
            #expect(renamed.status == .ok)
            #expect(try await get(server, "/api/v1/models?q=zephyr").titles == ["Copper lamp"])
            let newName = try await server.request(.PATCH, "/api/v1/users/me", json: ["username": "lampwright"], token: bobAccount.accessToken)
            #expect(newName.status == .ok)
            #expect(try await get(server, "/api/v1/models?q=lampwright").titles == ["Copper lamp"])
            #expect(try await get(server, "/api/v1/models?q=bob").titles == [])

            let sql = try #require(db as? any SQLDatabase)
            if TestServer.usesPostgres {
                try await sql.raw("DELETE FROM model_search_docs").run()
            } else {
                try await sql.raw("DELETE FROM models_fts").run()
            }
            #expect(try await get(server, "/api/v1/models?q=copper").titles == [])
            #expect(try await ModelSearchIndex.rebuild(on: db) == 1)
            #expect(try await get(server, "/api/v1/models?q=copper vintage zephyr".replacingOccurrences(of: " ", with: "%20")).titles == ["Copper lamp"])
            // Rebuilding twice changes nothing.
            #expect(try await ModelSearchIndex.rebuild(on: db) == 1)
            #expect(try await get(server, "/api/v1/models?q=copper").titles == ["Copper lamp"])

            // What `reindex-search` does after the rebuild: the index is vacuumed and analysed, and still answers.
            try await ModelSearchIndex.settle(on: db)
            if TestServer.usesPostgres {
                _ = try await sql.raw("SELECT pg_stat_clear_snapshot()").all()
                let row = try #require(try await sql.raw("""
                    SELECT last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analysed
                    FROM pg_stat_user_tables WHERE relname = 'model_search_docs'
                    """).first())
                #expect(try row.decode(column: "vacuumed", as: Bool.self))
                #expect(try row.decode(column: "analysed", as: Bool.self))
            } else {
                let stats = try await sql.raw("SELECT COUNT(*) AS n FROM sqlite_stat1").first()?.decode(column: "n", as: Int.self)
                #expect((stats ?? 0) > 0)
            }
            #expect(try await get(server, "/api/v1/models?q=copper vintage".replacingOccurrences(of: " ", with: "%20")).titles == ["Copper lamp"])
        }
    }
}
