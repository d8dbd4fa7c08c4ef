import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Model likes, views, daily statistics")
struct ModelSocialTests {
    // MARK: likes

    @Test("like and unlike are idempotent; like_count, the rows and today's statistics follow; owners may like their own")
    func likeUnlike() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let bob = try await server.register("bob")
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let path = "/api/v1/models/\(model)/like"

            let anonymous = try await server.request(.POST, path)
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.problemType == "unauthenticated")

            for _ in 0..<2 {
                let liked = try await server.request(.POST, path, token: bob.accessToken)
                #expect(liked.status == .ok, "\(liked.text)")
                let body = try liked.object()
                #expect(body["liked"] as? Bool == true)
                #expect(body["like_count"] as? Int == 1)
            }
            #expect(try await CatalogueFixtures.count(server, "model_likes WHERE model_id = \(bind: model)") == 1)
            #expect(try await CatalogueFixtures.row(server, model).likeCount == 1)

            let own = try await server.request(.POST, path, token: alice.accessToken)
            #expect(own.status == .ok)
            #expect(try own.object()["like_count"] as? Int == 2)

            for _ in 0..<2 {
                let unliked = try await server.request(.DELETE, path, token: bob.accessToken)
                #expect(unliked.status == .ok)
                let body = try unliked.object()
                #expect(body["liked"] as? Bool == false)
                #expect(body["like_count"] as? Int == 1)
            }
            #expect(try await CatalogueFixtures.row(server, model).likeCount == 1)
            #expect(try await ModelLikeService(database: server.app.db).isLiked(modelID: model, userID: UUID(uuidString: alice.id)!))
            #expect(!(try await ModelLikeService(database: server.app.db).isLiked(modelID: model, userID: UUID(uuidString: bob.id)!)))
            // Two likes and one taken back today: a net one.
            let today = UTCDay.string(Date())
            #expect(try await CatalogueFixtures.dailyStats(server, model)[today]?["likes"] == 1)
        }
    }

    @Test("likes only on published models the caller can interact with: drafts, pending, private, deleted and unknown ids are 404")
    func likeNeedsPublishedModel() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let bob = try await server.register("bob")
            let draft = try await CatalogueFixtures.model(server, owner: alice, status: .draft)
            let pending = try await CatalogueFixtures.model(server, owner: alice, status: .pendingReview)
            let archived = try await CatalogueFixtures.model(server, owner: alice, status: .archived)
            let privateModel = try await CatalogueFixtures.model(server, owner: alice, visibility: .private)
            let deleted = try await CatalogueFixtures.model(server, owner: alice, deleted: true)
            let unlisted = try await CatalogueFixtures.model(server, owner: alice, visibility: .unlisted)

            for id in [draft.uuidString, pending.uuidString, archived.uuidString, privateModel.uuidString, deleted.uuidString,
                       UUID().uuidString, "not-a-uuid"] {
                for method in [HTTPMethod.POST, .DELETE] {
                    let response = try await server.request(method, "/api/v1/models/\(id)/like", token: bob.accessToken)
                    #expect(response.status == .notFound, "\(method) \(id): \(response.status)")
                    #expect(response.problemType == "not-found")
                }
            }
            // The owner's own draft is not likeable either; their published private model is.
            #expect(try await server.request(.POST, "/api/v1/models/\(draft)/like", token: alice.accessToken).status == .notFound)
            #expect(try await server.request(.POST, "/api/v1/models/\(privateModel)/like", token: alice.accessToken).status == .ok)
            // Unlisted models are reachable by link, so they can be liked.
            #expect(try await server.request(.POST, "/api/v1/models/\(unlisted)/like", token: bob.accessToken).status == .ok)
            #expect(try await CatalogueFixtures.count(server, "model_likes") == 2)
            #expect(try await CatalogueFixtures.row(server, draft).likeCount == 0)
        }
    }

    @Test("20 concurrent likes by one user make one like; 10 users liking at once make 10; concurrent unlikes bring it to 0")
    func concurrentLikes() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let bob = try await server.register("bob")
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let path = "/api/v1/models/\(model)/like"

            let sameUser = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for _ in 0..<20 { group.addTask { try await server.request(.POST, path, token: bob.accessToken).status } }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(sameUser.allSatisfy { $0 == .ok }, "\(sameUser)")
            #expect(try await CatalogueFixtures.row(server, model).likeCount == 1)
            #expect(try await CatalogueFixtures.count(server, "model_likes WHERE model_id = \(bind: model)") == 1)

            var users: [TestServer.SignedIn] = []
            for index in 0..<9 { users.append(try await server.register("liker\(index)")) }
            users.append(bob)
            let many = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for user in users {
                    group.addTask { try await server.request(.POST, path, token: user.accessToken).status }
                    group.addTask { try await server.request(.POST, path, token: user.accessToken).status }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(many.allSatisfy { $0 == .ok }, "\(many)")
            #expect(try await CatalogueFixtures.row(server, model).likeCount == 10)
            #expect(try await CatalogueFixtures.count(server, "model_likes WHERE model_id = \(bind: model)") == 10)

            try await withThrowingTaskGroup(of: Void.self) { group in
                for user in users {
                    for _ in 0..<2 {
                        group.addTask {
                            let response = try await server.request(.DELETE, path, token: user.accessToken)
                            #expect(response.status == .ok)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await CatalogueFixtures.row(server, model).likeCount == 0)
            #expect(try await CatalogueFixtures.count(server, "model_likes") == 0)
            #expect(try await CatalogueFixtures.dailyStats(server, model)[UTCDay.string(Date())]?["likes"] == 0)
        }
    }

    @Test("who liked: newest first, paginated, public for listed models; the owner still reads them after unpublishing")
    func listLikes() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let model = try await CatalogueFixtures.model(server, owner: alice)
            var likers: [TestServer.SignedIn] = []
            for name in ["carol", "dave", "erin"] {
                let user = try await server.register(name)
                likers.append(user)
                #expect(try await server.request(.POST, "/api/v1/models/\(model)/like", token: user.accessToken).status == .ok)
                try await Task.sleep(for: .milliseconds(5))
            }

            let first = try await server.request(.GET, "/api/v1/models/\(model)/likes?per_page=2")
            #expect(first.status == .ok, "\(first.text)")
            let body = try first.object()
            let items = try #require(body["items"] as? [[String: Any]])
            #expect(items.map { $0["username"] as? String } == ["erin", "dave"])
            #expect(items[0]["id"] as? String == likers[2].id)
            #expect(items[0]["display_name"] as? String == "Erin")
            #expect(items[0]["is_creator"] as? Bool == false)
            let meta = try #require(body["meta"] as? [String: Any])
            #expect(meta["total"] as? Int == 3)
            #expect(meta["pages"] as? Int == 2)
            let second = try await server.request(.GET, "/api/v1/models/\(model)/likes?per_page=2&page=2").object()
            #expect((second["items"] as? [[String: Any]])?.map { $0["username"] as? String } == ["carol"])

            let tooMany = try await server.request(.GET, "/api/v1/models/\(model)/likes?per_page=1000")
            #expect(tooMany.status == .unprocessableEntity)
            #expect(tooMany.fieldErrors == ["per_page"])

            try await CatalogueFixtures.setStatus(server, model, .archived)
            #expect(try await server.request(.GET, "/api/v1/models/\(model)/likes").status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/models/\(model)/likes", token: likers[0].accessToken).status == .notFound)
            let owner = try await server.request(.GET, "/api/v1/models/\(model)/likes", token: alice.accessToken)
            #expect(owner.status == .ok)
            #expect((try owner.object()["items"] as? [[String: Any]])?.count == 3)
        }
    }

    // MARK: views

    @Test("views count once per viewer per day: signed-in users by id, others by their network whatever User-Agent they claim; bots and owners never")
    func views() async throws {
        try await withServer(["TRUST_PROXY": "true"]) { server in
            let alice = try await server.register("alice")
            let bob = try await server.register("bob")
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let path = "/api/v1/models/\(model)/views"
            func view(ip: String = "203.0.113.7", agent: String? = "Mozilla/5.0 Firefox/128", token: String? = nil) async throws -> [String: Any] {
                var headers = [("X-Forwarded-For", ip)]
                if let agent { headers.append(("User-Agent", agent)) }
                let response = try await server.request(.POST, path, token: token, headers: headers)
                #expect(response.status == .ok, "\(response.text)")
                return try response.object()
            }

            var first = try await view()
            #expect(first["counted"] as? Bool == true)
            #expect(first["view_count"] as? Int == 1)
            first = try await view()
            #expect(first["counted"] as? Bool == false)
            #expect(first["view_count"] as? Int == 1)
            // Another User-Agent from the same address is the same visitor (the probe inflated views this way).
            for agent in ["Mozilla/5.0 Safari/17", "Mozilla/5.0 Chrome/120", "Opera/9.80", "Mozilla/5.0 Edge/1"] {
                #expect(try await view(agent: agent)["counted"] as? Bool == false)
            }
            #expect(try await view(ip: "198.51.100.9")["counted"] as? Bool == true)
            // Known bots and clients without a User-Agent are answered but never counted.
            for agent in ["Googlebot/2.1 (+http://www.google.com/bot.html)", "curl/8.5.0", "python-requests/2.31", ""] {
                #expect(try await view(ip: "192.0.2.77", agent: agent)["counted"] as? Bool == false)
            }
            #expect(try await view(ip: "192.0.2.78", agent: nil)["counted"] as? Bool == false)
            // One IPv6 subscriber (a /64) is one visitor.
            #expect(try await view(ip: "2001:db8:1:2::1")["counted"] as? Bool == true)
            #expect(try await view(ip: "2001:db8:1:2:ffff::9")["counted"] as? Bool == false)
            // A signed-in viewer is the same viewer from any address.
            #expect(try await view(token: bob.accessToken)["counted"] as? Bool == true)
            #expect(try await view(ip: "192.0.2.1", token: bob.accessToken)["counted"] as? Bool == false)
            let owner = try await view(token: alice.accessToken)
            #expect(owner["counted"] as? Bool == false)
            #expect(owner["view_count"] as? Int == 4)

            #expect(try await CatalogueFixtures.row(server, model).viewCount == 4)
            #expect(try await CatalogueFixtures.dailyStats(server, model)[UTCDay.string(Date())]?["views"] == 4)
            let sql = try #require(server.app.db as? any SQLDatabase)
            let keys = try await sql.raw("SELECT viewer_key, day FROM model_views").all().map { try $0.decode(column: "viewer_key", as: String.self) }
            #expect(keys.count == 4)
            #expect(keys.contains("u:\(bob.id)"))
            let anonymous = keys.filter { !$0.hasPrefix("u:") }
            #expect(anonymous.count == 3)
            #expect(anonymous.allSatisfy { $0.hasPrefix("a:") && $0.count == 66 && !$0.contains("203") && !$0.contains("2001") })

            let counter = ModelViewCounter(database: server.app.db, serverSecret: server.settings.jwtSecret)
            let visitor = ModelViewCounter.Viewer.anonymous(clientIP: "203.0.113.7")
            #expect(counter.viewerKey(visitor, day: "2026-01-01") != counter.viewerKey(visitor, day: "2026-01-02"))
            let otherSecret = ModelViewCounter(database: server.app.db, serverSecret: "another-secret-another-secret-another")
            #expect(counter.viewerKey(visitor, day: "2026-01-01") != otherSecret.viewerKey(visitor, day: "2026-01-01"))
        }
    }

    @Test("views of drafts and private models of others are 404; a broken token is 401, not an anonymous view")
    func viewsNeedReachableModel() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let draft = try await CatalogueFixtures.model(server, owner: alice, status: .draft)
            let privateModel = try await CatalogueFixtures.model(server, owner: alice, visibility: .private)
            let listed = try await CatalogueFixtures.model(server, owner: alice)
            #expect(try await server.request(.POST, "/api/v1/models/\(draft)/views").status == .notFound)
            #expect(try await server.request(.POST, "/api/v1/models/\(privateModel)/views").status == .notFound)
            let broken = try await server.request(.POST, "/api/v1/models/\(listed)/views", token: "not-a-token")
            #expect(broken.status == .unauthorized)
            #expect(try await CatalogueFixtures.count(server, "model_views") == 0)
            #expect(try await CatalogueFixtures.row(server, listed).viewCount == 0)
        }
    }

    // MARK: statistics

    @Test("stats: every day of the period with zeros, today's likes, views, downloads and sales, totals; days outside 1…365 are 422")
    func stats() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let bob = try await server.register("bob", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let db = server.app.db
            let now = Date()
            #expect(try await server.request(.POST, "/api/v1/models/\(model)/like", token: bob.accessToken).status == .ok)
            #expect(try await server.request(.POST, "/api/v1/models/\(model)/views", token: bob.accessToken).status == .ok)
            #expect(try await server.request(
                .POST, "/api/v1/models/\(model)/comments", json: ["body": "Nice"], token: bob.accessToken).status == .created)
            try await ModelActivity.record(.download, modelID: model, count: 3, on: db)
            try await ModelActivity.record(.sale, modelID: model, on: db)
            let threeDaysAgo = now.addingTimeInterval(-3 * 86_400)
            try await ModelActivity.record(.view, modelID: model, count: 5, on: db, at: threeDaysAgo)
            try await ModelActivity.record(.sale, modelID: model, count: 2, on: db, at: threeDaysAgo)
            // Outside a 7-day window: must not count.
            try await ModelActivity.record(.view, modelID: model, count: 100, on: db, at: now.addingTimeInterval(-8 * 86_400))

            let response = try await server.request(.GET, "/api/v1/models/\(model)/stats?days=7", token: alice.accessToken)
            #expect(response.status == .ok, "\(response.text)")
            let body = try response.object()
            #expect(body["model_id"] as? String == model.uuidString.lowercased())
            let days = try #require(body["days"] as? [[String: Any]])
            let today = UTCDay.number(now)
            #expect(days.map { $0["date"] as? String } == (today - 6...today).map { UTCDay.string(dayNumber: $0) })
            #expect(days[6]["views"] as? Int == 1)
            #expect(days[6]["likes"] as? Int == 1)
            #expect(days[6]["downloads"] as? Int == 3)
            #expect(days[6]["sales"] as? Int == 1)
            #expect(days[3]["views"] as? Int == 5)
            #expect(days[3]["sales"] as? Int == 2)
            #expect(days[0]["views"] as? Int == 0 && days[0]["likes"] as? Int == 0)
            let totals = try #require(body["totals"] as? [String: Any])
            #expect(totals["views"] as? Int == 6)
            #expect(totals["likes"] as? Int == 1)
            #expect(totals["downloads"] as? Int == 3)
            #expect(totals["comments"] as? Int == 1)
            #expect(body["sales"] as? Int == 3)

            let defaultPeriod = try await server.request(.GET, "/api/v1/models/\(model)/stats", token: alice.accessToken).object()
            #expect((defaultPeriod["days"] as? [Any])?.count == 30)
            #expect((defaultPeriod["totals"] as? [String: Any])?["views"] as? Int == 106)
            let oneDay = try await server.request(.GET, "/api/v1/models/\(model)/stats?days=1", token: alice.accessToken).object()
            #expect((oneDay["days"] as? [[String: Any]])?.map { $0["date"] as? String } == [UTCDay.string(now)])

            for days in ["0", "366", "-1"] {
                let bad = try await server.request(.GET, "/api/v1/models/\(model)/stats?days=\(days)", token: alice.accessToken)
                #expect(bad.status == .unprocessableEntity, "days=\(days)")
                #expect(bad.fieldErrors == ["days"])
            }
            #expect(try await server.request(.GET, "/api/v1/models/\(model)/stats?days=365", token: alice.accessToken).status == .ok)
        }
    }

    @Test("stats are private: anonymous 401, other users 404 even on a public model, moderators in an admin session 200")
    func statsPermissions() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let bob = try await server.register("bob")
            let listed = try await CatalogueFixtures.model(server, owner: alice)
            let draft = try await CatalogueFixtures.model(server, owner: alice, status: .draft)
            let (moderator, adminToken) = try await CatalogueFixtures.admin(server, "mod")
            let (_, supportToken) = try await CatalogueFixtures.admin(server, "helpdesk", role: .support)
            let normalModerator = try await server.request(.POST, "/api/v1/auth/login", json: ["login": moderator.email, "password": moderator.password])
            let normalToken = try #require(try normalModerator.object()["access_token"] as? String)

            #expect(try await server.request(.GET, "/api/v1/models/\(listed)/stats").status == .unauthorized)
            for id in [listed, draft] {
                #expect(try await server.request(.GET, "/api/v1/models/\(id)/stats", token: bob.accessToken).status == .notFound)
                #expect(try await server.request(.GET, "/api/v1/models/\(id)/stats", token: normalToken).status == .notFound)
                #expect(try await server.request(.GET, "/api/v1/models/\(id)/stats", token: supportToken).status == .notFound)
                #expect(try await server.request(.GET, "/api/v1/models/\(id)/stats", token: adminToken).status == .ok)
                #expect(try await server.request(.GET, "/api/v1/models/\(id)/stats", token: alice.accessToken).status == .ok)
            }
        }
    }

    // MARK: daily activity

    @Test("ModelActivity.record is one atomic upsert: 40 concurrent events on one day add up exactly, per kind")
    func concurrentActivity() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let db = server.app.db
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let kind: ModelActivity.Kind = [.view, .download, .like, .sale][index % 4]
                        try await ModelActivity.record(kind, modelID: model, count: 2, on: db)
                    }
                }
                try await group.waitForAll()
            }
            try await ModelActivity.record(.unlike, modelID: model, count: 5, on: db)
            try await ModelActivity.record(.view, modelID: model, count: 0, on: db)
            let stats = try await CatalogueFixtures.dailyStats(server, model)
            #expect(stats == [UTCDay.string(Date()): ["views": 20, "downloads": 20, "likes": 15, "sales": 20]])
        }
    }

    @Test("UTC days are written YYYY-MM-DD, including leap days and days before 1970")
    func utcDays() {
        #expect(UTCDay.string(dayNumber: 0) == "1970-01-01")
        #expect(UTCDay.string(dayNumber: -1) == "1969-12-31")
        #expect(UTCDay.string(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29")
        #expect(UTCDay.string(Date(timeIntervalSince1970: 1_709_251_199)) == "2024-02-29")
        #expect(UTCDay.string(Date(timeIntervalSince1970: 1_709_251_200)) == "2024-03-01")
        #expect(UTCDay.string(Date(timeIntervalSince1970: 4_102_444_800)) == "2100-01-01")
        #expect(UTCDay.number(Date(timeIntervalSince1970: -1)) == -1)
    }
}
