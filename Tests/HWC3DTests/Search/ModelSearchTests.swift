import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Catalogue: search, filters, sorts, facets, creator pages, related models")
struct ModelSearchTests {
    typealias Spec = ModelFixtures.Spec

    static func spec(_ title: String, _ configure: (inout Spec) -> Void = { _ in }) -> Spec {
        var spec = Spec(title)
        configure(&spec)
        return spec
    }

    func get(_ server: TestServer, _ path: String, token: String? = nil) async throws -> TestResponse {
        try await server.request(.GET, path, token: token)
    }

    // MARK: what is listed, and how a card looks

    @Test("only published, public, undeleted models are listed, and each card carries creator, category, cover, formats and counters")
    func listedOnlyAndCards() async throws {
        try await withServer { server in
            let bob = try await ModelFixtures.user(server, "bob_builds", displayName: "Bob Builds")
            let chair = try await ModelFixtures.model(server, owner: bob, Self.spec("Oak chair") {
                $0.category = "seating"; $0.formats = ["obj", "glb"]; $0.images = 3; $0.coverPosition = 1
                $0.views = 5; $0.downloads = 3; $0.likes = 2; $0.triangles = 4_000; $0.rigged = true; $0.license = .ccBy
            })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Pine stool") { $0.priceCents = 1_250; $0.images = 2; $0.age = 60 })
            for status in [ModelAsset.Status.draft, .pendingReview, .rejected, .archived, .takenDown] {
                try await ModelFixtures.model(server, owner: bob, Self.spec("Hidden \(status.rawValue) chair") { $0.status = status })
            }
            try await ModelFixtures.model(server, owner: bob, Self.spec("Hidden private chair") { $0.visibility = .private })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Hidden unlisted chair") { $0.visibility = .unlisted })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Hidden deleted chair") { $0.deleted = true })

            let list = try await get(server, "/api/v1/models")
            #expect(list.status == .ok, "\(list.text)")
            #expect(list.titles == ["Oak chair", "Pine stool"])
            #expect(list.meta == ["page": 1, "per_page": 20, "total": 2, "pages": 1])
            // Text search reaches no hidden model either.
            let hidden = try await get(server, "/api/v1/models?q=hidden")
            #expect(hidden.status == .ok)
            #expect(hidden.titles == [])
            #expect(hidden.meta["total"] == 0)
            #expect(hidden.meta["pages"] == 0)

            let card = try #require(list.items.first)
            #expect(card["id"] as? String == chair.uuidString.lowercased())
            #expect((card["slug"] as? String)?.hasPrefix("oak-chair-") == true)
            #expect(card["status"] as? String == "published")
            #expect(card["visibility"] as? String == "public")
            #expect(card["license"] as? String == "cc-by")
            #expect(card["price_cents"] as? Int == 0)
            #expect(card["currency"] as? String == "USD")
            #expect(card["is_free"] as? Bool == true)
            #expect(card["featured"] as? Bool == false)
            #expect(card["formats"] as? [String] == ["glb", "obj"])
            #expect(card["triangle_count"] as? Int == 4_000)
            #expect(card["rigged"] as? Bool == true)
            #expect(card["animated"] as? Bool == false)
            #expect(card["counters"] as? [String: Int] == ["views": 5, "downloads": 3, "likes": 2, "comments": 0])
            #expect(card["published_at"] is String)
            let creator = try #require(card["creator"] as? [String: Any])
            #expect(creator["id"] as? String == bob.uuidString.lowercased())
            #expect(creator["username"] as? String == "bob_builds")
            #expect(creator["display_name"] as? String == "Bob Builds")
            #expect(creator["is_creator"] as? Bool == true)
            let category = try #require(card["category"] as? [String: Any])
            #expect(category["slug"] as? String == "seating")
            #expect(category["name"] as? String == "Seating")
            // The chosen cover (position 1), not the first image.
            let chosen = try #require(try await ModelImageRecord.query(on: server.app.db)
                .filter(\.$model.$id == chair).filter(\.$position == 1).first())
            let cover = try #require(card["cover_image"] as? [String: Any])
            #expect(cover["id"] as? String == chosen.id!.uuidString.lowercased())
            #expect(cover["is_cover"] as? Bool == true)
            #expect(cover["position"] as? Int == 1)
            #expect((cover["urls"] as? [String: String])?["w320"] == "http://api.test/media/models/\(chosen.id!.uuidString.lowercased())-w320.webp")

            // Without a chosen cover the first image by position is the cover; without images there is none.
            let stool = list.items[1]
            #expect(stool["is_free"] as? Bool == false)
            #expect(stool["category"] == nil)
            #expect((stool["cover_image"] as? [String: Any])?["position"] as? Int == 0)
            try await ModelFixtures.model(server, owner: bob, Self.spec("Bare bench") { $0.age = 120 })
            let bare = try await get(server, "/api/v1/models?q=bench")
            #expect(bare.titles == ["Bare bench"])
            #expect(bare.items.first?["cover_image"] == nil)
        }
    }

    @Test("pages: meta, no overlap between pages, a page past the end is empty; per_page above 100 is 422")
    func pagination() async throws {
        try await withServer { server in
            let bob = try await ModelFixtures.user(server, "bob")
            for index in 0..<5 {
                try await ModelFixtures.model(server, owner: bob, Self.spec("Crate \(index)") { $0.age = Double(index) * 10 })
            }
            let first = try await get(server, "/api/v1/models?per_page=2")
            #expect(first.titles == ["Crate 0", "Crate 1"])
            #expect(first.meta == ["page": 1, "per_page": 2, "total": 5, "pages": 3])
            let second = try await get(server, "/api/v1/models?per_page=2&page=2")
            #expect(second.titles == ["Crate 2", "Crate 3"])
            let last = try await get(server, "/api/v1/models?per_page=2&page=3")
            #expect(last.titles == ["Crate 4"])
            let past = try await get(server, "/api/v1/models?per_page=2&page=4")
            #expect(past.status == .ok)
            #expect(past.titles == [])
            #expect(past.meta == ["page": 4, "per_page": 2, "total": 5, "pages": 3])

            for bad in ["per_page=101", "per_page=1000", "per_page=0", "page=0"] {
                let response = try await get(server, "/api/v1/models?\(bad)")
                #expect(response.status == .unprocessableEntity, "\(bad)")
                #expect(response.problemType == "validation")
            }
            #expect(try await get(server, "/api/v1/models?per_page=1000").fieldErrors == ["per_page"])
        }
    }

    // MARK: filters

    /// Five models that differ in every filtered attribute.
    static func filterCatalogue(_ server: TestServer) async throws {
        let alice = try await ModelFixtures.user(server, "alice")
        let bob = try await ModelFixtures.user(server, "Bob")
        let carol = try await ModelFixtures.user(server, "carol", displayName: "Carol Jones")
        try await ModelFixtures.model(server, owner: alice, spec("Low poly oak chair") {
            $0.category = "seating"; $0.tags = ["low-poly", "game-ready"]; $0.license = .cc0; $0.formats = ["glb"]
            $0.triangles = 500; $0.featured = true; $0.age = 50
        })
        try await ModelFixtures.model(server, owner: bob, spec("Rigged knight") {
            $0.category = "humans"; $0.tags = ["game-ready", "character"]; $0.license = .ccBy; $0.priceCents = 1_500
            $0.formats = ["fbx"]; $0.triangles = 20_000; $0.animated = true; $0.rigged = true; $0.age = 40
        })
        try await ModelFixtures.model(server, owner: bob, spec("Sports car") {
            $0.category = "cars"; $0.tags = ["low-poly"]; $0.priceCents = 2_500; $0.formats = ["obj", "glb"]
            $0.triangles = 80_000; $0.age = 30
        })
        try await ModelFixtures.model(server, owner: alice, spec("Walnut table") {
            $0.category = "tables"; $0.license = .cc0; $0.formats = ["blend"]; $0.failedFormats = ["glb"]
            $0.triangles = 3_000; $0.age = 20
        })
        try await ModelFixtures.model(server, owner: carol, spec("Robot dog") {
            $0.category = "robots"; $0.tags = ["low-poly", "character"]; $0.license = .ccByNc; $0.priceCents = 900
            $0.formats = ["gltf"]; $0.triangles = 12_000; $0.animated = true; $0.age = 10
        })
    }

    @Test("each filter alone and combined: category with subcategories, tags (all of), format, license, price, polygons, flags, creator")
    func filters() async throws {
        try await withServer { server in
            try await Self.filterCatalogue(server)
            let expectations: [(String, Set<String>)] = [
                ("category=furniture", ["Low poly oak chair", "Walnut table"]),
                ("category=seating", ["Low poly oak chair"]),
                ("category=Characters", ["Rigged knight", "Robot dog"]),
                ("category=electronics", []),
                ("tags=low-poly", ["Low poly oak chair", "Sports car", "Robot dog"]),
                ("tags=low-poly,character", ["Robot dog"]),
                ("tags=Low%20Poly,%20CHARACTER,", ["Robot dog"]),
                ("tags=never-used", []),
                ("format=glb", ["Low poly oak chair", "Sports car"]),
                ("format=GLB", ["Low poly oak chair", "Sports car"]),
                ("format=blend", ["Walnut table"]),
                ("license=cc0", ["Low poly oak chair", "Walnut table"]),
                ("license=cc-by-nc", ["Robot dog"]),
                ("free=true", ["Low poly oak chair", "Walnut table"]),
                ("free=false", ["Rigged knight", "Sports car", "Robot dog"]),
                ("min_price=1000", ["Rigged knight", "Sports car"]),
                ("max_price=1000", ["Low poly oak chair", "Walnut table", "Robot dog"]),
                ("min_price=900&max_price=1500", ["Rigged knight", "Robot dog"]),
                ("min_price=900&max_price=900", ["Robot dog"]),
                ("min_polys=10000", ["Rigged knight", "Sports car", "Robot dog"]),
                ("max_polys=3000", ["Low poly oak chair", "Walnut table"]),
                ("min_polys=3000&max_polys=20000", ["Rigged knight", "Walnut table", "Robot dog"]),
                ("animated=true", ["Rigged knight", "Robot dog"]),
                ("animated=false", ["Low poly oak chair", "Sports car", "Walnut table"]),
                ("rigged=true", ["Rigged knight"]),
                ("featured=true", ["Low poly oak chair"]),
                ("featured=false", ["Rigged knight", "Sports car", "Walnut table", "Robot dog"]),
                ("creator=BOB", ["Rigged knight", "Sports car"]),
                ("creator=alice", ["Low poly oak chair", "Walnut table"]),
                ("creator=nobody", []),
                ("creator=%27%3B%20DROP%20TABLE%20users%3B--", []),
                ("tags=low-poly&max_price=1000&animated=true", ["Robot dog"]),
                ("category=vehicles&license=standard&format=obj", ["Sports car"]),
            ]
            for (query, titles) in expectations {
                let response = try await get(server, "/api/v1/models?\(query)")
                #expect(response.status == .ok, "\(query): \(response.text)")
                #expect(Set(response.titles) == titles, "\(query)")
                #expect(response.meta["total"] == titles.count, "\(query)")
            }
        }
    }

    @Test("bad filter values answer 422 naming every bad field; values of the wrong type answer 400")
    func validation() async throws {
        try await withServer { server in
            let cases: [(String, [String])] = [
                ("sort=cheapest", ["sort"]),
                ("sort=RELEVANCE", ["sort"]),
                ("format=stl", ["format"]),
                ("license=mit", ["license"]),
                ("min_price=-1", ["min_price"]),
                ("max_price=-5", ["max_price"]),
                ("min_polys=-1&max_polys=-1", ["min_polys", "max_polys"]),
                ("min_price=500&max_price=100", ["min_price"]),
                ("min_polys=9&max_polys=8", ["min_polys"]),
                ("per_page=101", ["per_page"]),
                ("q=\(String(repeating: "a", count: 201))", ["q"]),
                ("category=no-such-category", ["category"]),
                ("category=%27%3B--", ["category"]),
                ("tags=x", ["tags"]),
                ("tags=\((1...11).map { "tag\($0)" }.joined(separator: ","))", ["tags"]),
                ("sort=cheapest&format=stl&license=mit&per_page=500", ["per_page", "format", "license", "sort"]),
            ]
            for (query, fields) in cases {
                let response = try await get(server, "/api/v1/models?\(query)")
                #expect(response.status == .unprocessableEntity, "\(query): \(response.text)")
                #expect(response.problemType == "validation", "\(query)")
                #expect(Set(response.fieldErrors) == Set(fields), "\(query): \(response.fieldErrors)")
            }
            // The platform answers a parameter of the wrong type with its validation problem too.
            for query in ["free=maybe", "min_price=cheap", "animated=yes-please", "page=two"] {
                let response = try await get(server, "/api/v1/models?\(query)")
                #expect(response.status == .unprocessableEntity, "\(query): \(response.text)")
                #expect(response.problemType == "validation", "\(query)")
            }
            // A q of exactly 200 characters is fine.
            #expect(try await get(server, "/api/v1/models?q=\(String(repeating: "ab%20", count: 66))ab").status == .ok)
        }
    }

    // MARK: sorts

    @Test("every sort order, ties broken by id (newer first); relevance without words falls back to newest")
    func sorts() async throws {
        try await withServer { server in
            let bob = try await ModelFixtures.user(server, "bob")
            var ids: [String: UUID] = [:]
            let rows: [(String, Double, Int, Int, Int, Int)] = [
                // title, age, downloads, likes, views, price
                ("A", 500, 10, 1, 100, 500), ("B", 400, 30, 5, 10, 0), ("C", 300, 20, 5, 50, 1_500),
                ("D", 200, 20, 0, 50, 500), ("E", 100, 0, 9, 0, 0),
            ]
            for (title, age, downloads, likes, views, price) in rows {
                ids[title] = try await ModelFixtures.model(server, owner: bob, Self.spec(title) {
                    $0.age = age; $0.downloads = downloads; $0.likes = likes; $0.views = views; $0.priceCents = price
                })
            }
            try await ModelFixtures.activity(server, ids["A"]!, daysAgo: 3, downloads: 5)
            try await ModelFixtures.activity(server, ids["B"]!, daysAgo: 10, downloads: 100)
            try await ModelFixtures.activity(server, ids["B"]!, daysAgo: 0, views: 2)
            try await ModelFixtures.activity(server, ids["C"]!, daysAgo: 0, likes: 4)
            try await ModelFixtures.activity(server, ids["E"]!, daysAgo: 6, views: 20)

            let expected: [(String, [String])] = [
                ("", ["E", "D", "C", "B", "A"]),
                ("sort=newest", ["E", "D", "C", "B", "A"]),
                ("sort=relevance", ["E", "D", "C", "B", "A"]),
                ("sort=popular", ["B", "D", "C", "A", "E"]),
                ("sort=likes", ["E", "C", "B", "A", "D"]),
                ("sort=views", ["A", "D", "C", "B", "E"]),
                ("sort=price_asc", ["E", "B", "D", "A", "C"]),
                ("sort=price_desc", ["C", "D", "A", "E", "B"]),
                // E 20 views (6 days ago), A 5 downloads x3, C 4 likes x2, B 2 views (its 100 downloads are 10 days old).
                ("sort=trending", ["E", "A", "C", "B", "D"]),
            ]
            for (query, order) in expected {
                let response = try await get(server, "/api/v1/models?\(query)")
                #expect(response.status == .ok, "\(query): \(response.text)")
                #expect(response.titles == order, "\(query)")
                // Walking the pages one by one gives the same order: the tie-breaker makes pages stable.
                var paged: [String] = []
                let separator = query.isEmpty ? "" : "&"
                for page in 1...3 { paged += try await get(server, "/api/v1/models?\(query)\(separator)per_page=2&page=\(page)").titles }
                #expect(paged == order, "\(query) paged")
            }
        }
    }

    // MARK: facets

    @Test("facets count over the filtered result minus their own filter; categories roll up to top level; formats need a ready file")
    func facets() async throws {
        try await withServer { server in
            let bob = try await ModelFixtures.user(server, "bob")
            try await ModelFixtures.model(server, owner: bob, Self.spec("Chair one") { $0.category = "seating"; $0.license = .cc0; $0.formats = ["glb", "glb"] })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Chair two") { $0.category = "seating"; $0.license = .ccBy; $0.formats = ["obj", "glb"] })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Table") { $0.category = "tables"; $0.license = .cc0; $0.formats = ["fbx"]; $0.failedFormats = ["glb"] })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Car") { $0.category = "cars"; $0.license = .cc0; $0.formats = ["blend"] })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Misc") { $0.license = .standard; $0.formats = ["glb"] })
            try await ModelFixtures.model(server, owner: bob, Self.spec("Draft chair") { $0.category = "seating"; $0.license = .cc0; $0.status = .draft })

            let all = try await get(server, "/api/v1/models")
            #expect(all.facet("categories") == ["furniture": 3, "vehicles": 1])
            #expect(all.facet("licenses") == ["cc0": 3, "cc-by": 1, "standard": 1])
            #expect(all.facet("formats") == ["glb": 3, "obj": 1, "fbx": 1, "blend": 1])

            let cc0 = try await get(server, "/api/v1/models?license=cc0")
            #expect(Set(cc0.titles) == ["Chair one", "Table", "Car"])
            #expect(cc0.facet("licenses") == ["cc0": 3, "cc-by": 1, "standard": 1])
            #expect(cc0.facet("categories") == ["furniture": 2, "vehicles": 1])
            #expect(cc0.facet("formats") == ["glb": 1, "fbx": 1, "blend": 1])

            let furnitureGLB = try await get(server, "/api/v1/models?category=furniture&format=glb")
            #expect(Set(furnitureGLB.titles) == ["Chair one", "Chair two"])
            #expect(furnitureGLB.facet("categories") == ["furniture": 2])
            #expect(furnitureGLB.facet("formats") == ["glb": 2, "obj": 1, "fbx": 1])
            #expect(furnitureGLB.facet("licenses") == ["cc0": 1, "cc-by": 1])

            // Most first, then by value; labels are for people.
            let facets = try #require(try all.object()["facets"] as? [String: [[String: Any]]])
            #expect(facets["licenses"]?.map { $0["value"] as? String } == ["cc0", "cc-by", "standard"])
            #expect(facets["licenses"]?.map { $0["label"] as? String } == ["CC0", "CC BY", "Standard"])
            #expect(facets["categories"]?.first?["label"] as? String == "Furniture & home")
            #expect(facets["formats"]?.first { $0["value"] as? String == "blend" }?["label"] as? String == "Blender")

            let none = try await get(server, "/api/v1/models?q=zzzz")
            #expect(none.facet("categories").isEmpty && none.facet("formats").isEmpty && none.facet("licenses").isEmpty)

            // Browsing by facets alone reads the kept counts; `min_price=0` (true of every model) makes the same query
            // count the models themselves. Both ways agree, before and after models change.
            func bothWaysAgree(_ query: String) async throws {
                let kept = try await get(server, "/api/v1/models?\(query)")
                let counted = try await get(server, "/api/v1/models?\(query)&min_price=0")
                #expect(kept.meta["total"] == counted.meta["total"], "\(query)")
                for facet in ["categories", "formats", "licenses"] {
                    #expect(kept.facet(facet) == counted.facet(facet), "\(query): \(facet)")
                }
            }
            let queries = ["per_page=1", "license=cc0", "category=furniture&format=glb", "category=seating", "format=fbx&license=standard"]
            for query in queries { try await bothWaysAgree(query) }
            let sql = try #require(server.app.db as? any SQLDatabase)
            try await sql.raw("UPDATE models SET status = 'published' WHERE title = 'Draft chair'").run()
            try await sql.raw("UPDATE models SET license = 'cc-by', formats = 'fbx,obj' WHERE title = 'Car'").run()
            try await sql.raw("UPDATE models SET deleted_at = \(bind: Date()) WHERE title = 'Chair one'").run()
            let furniture = try await get(server, "/api/v1/models?category=furniture")
            #expect(furniture.meta["total"] == 3)
            for query in queries { try await bothWaysAgree(query) }
        }
    }

    @Test("with the catalogue cache on, a repeated query is served from memory until any model row changes; credentials are still checked")
    func catalogueCache() async throws {
        try await withServer(["CATALOGUE_CACHE_SECONDS": "60"]) { server in
            let bob = try await server.register("bob")
            let bobID = try #require(UUID(uuidString: bob.id))
            let lamp = try await ModelFixtures.model(server, owner: bobID, Self.spec("Brass lamp") { $0.age = 20 })
            let first = try await get(server, "/api/v1/models")
            #expect(first.titles == ["Brass lamp"])
            #expect((first.items.first?["counters"] as? [String: Int])?["likes"] == 0)

            // Counters move in place, without touching updated_at: lists may show them late (up to the lifetime).
            let sql = try #require(server.app.db as? any SQLDatabase)
            try await sql.raw("UPDATE models SET like_count = 7 WHERE id = \(bind: lamp)").run()
            let cached = try await get(server, "/api/v1/models")
            #expect((cached.items.first?["counters"] as? [String: Int])?["likes"] == 0)
            // Credentials are checked before a cached answer is given.
            #expect(try await get(server, "/api/v1/models", token: "broken").status == .unauthorized)
            #expect((try await get(server, "/api/v1/models", token: bob.accessToken).items.first?["counters"] as? [String: Int])?["likes"] == 0)
            // Another query is another answer.
            #expect((try await get(server, "/api/v1/models?sort=likes").items.first?["counters"] as? [String: Int])?["likes"] == 7)

            // A new model is a changed row: every cached answer is retired at once.
            try await ModelFixtures.model(server, owner: bobID, Self.spec("Oak chair") { $0.age = 10 })
            let fresh = try await get(server, "/api/v1/models")
            #expect(fresh.titles == ["Oak chair", "Brass lamp"])
            #expect((fresh.items.last?["counters"] as? [String: Int])?["likes"] == 7)

            // A write through the model's own path (Fluent sets updated_at) shows at once too.
            let model = try #require(try await ModelAsset.find(lamp, on: server.app.db))
            model.status = ModelAsset.Status.archived.rawValue
            try await model.update(on: server.app.db)
            #expect(try await get(server, "/api/v1/models").titles == ["Oak chair"])

            // The owner's own page always reads the database.
            #expect(try await get(server, "/api/v1/users/bob/models", token: bob.accessToken).titles == ["Oak chair", "Brass lamp"])
            try await sql.raw("UPDATE models SET title = 'Copper lamp' WHERE id = \(bind: lamp)").run()
            #expect(try await get(server, "/api/v1/users/bob/models", token: bob.accessToken).titles == ["Oak chair", "Copper lamp"])
        }
    }

    @Test("ModelCards.load keeps the order of the ids it is given and skips unknown ids")
    func cardsInOrder() async throws {
        try await withServer { server in
            let bob = try await ModelFixtures.user(server, "bob")
            let first = try await ModelFixtures.model(server, owner: bob, Self.spec("First"))
            let second = try await ModelFixtures.model(server, owner: bob, Self.spec("Second") { $0.status = .draft })
            let sql = try #require(server.app.db as? any SQLDatabase)
            let cards = try await ModelCards.load(ids: [second, UUID(), first], on: sql, settings: server.settings)
            #expect(cards.map(\.title) == ["Second", "First"])
            #expect(cards.first?.status == .draft)
            #expect(try await ModelCards.load(ids: [], on: sql, settings: server.settings).isEmpty)
        }
    }
}
