import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Reports and suspensions")
struct ReportTests {
    @Test("reports: one open per reporter and target, 404 for what does not exist or cannot be seen; the queue shows the content as it is now")
    func filingAndQueue() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            let bob = try await server.register("bob", verified: true)
            let carol = try await server.register("carol", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: owner, title: "Oak chair")
            let draft = try await CatalogueFixtures.model(server, owner: owner, title: "Secret", status: .draft)
            try await CommunityFixtures.community(server, owner: owner, slug: "hidden", visibility: "private")
            let privatePost = try await CommunityFixtures.post(server, "hidden", author: owner, title: "Members only")

            let body: [String: Any] = ["target_type": "model", "target_id": model.uuidString, "reason": "stolen_model", "details": "Copied from X"]
            let first = try await server.request(.POST, "/api/v1/reports", json: body, token: bob.accessToken)
            #expect(first.status == .created, "\(first.text)")
            let again = try await server.request(.POST, "/api/v1/reports", json: body, token: bob.accessToken)
            #expect(again.status == .ok)
            #expect(try again.object()["id"] as? String == first.object()["id"] as? String)
            let second = try await server.request(.POST, "/api/v1/reports", json: body, token: carol.accessToken)
            #expect(second.status == .created)

            for (type, id) in [("model", draft.uuidString), ("model", UUID().uuidString), ("post", privatePost), ("user", UUID().uuidString), ("post_comment", "nope")] {
                let refused = try await server.request(.POST, "/api/v1/reports", json: [
                    "target_type": type, "target_id": id, "reason": "spam",
                ], token: bob.accessToken)
                #expect(refused.status == .notFound, "\(type) \(id): \(refused.text)")
            }
            #expect(try await server.request(.POST, "/api/v1/reports", json: ["target_type": "model", "target_id": model.uuidString, "reason": "boring"], token: bob.accessToken).status.code >= 400)
            #expect(try await server.request(.POST, "/api/v1/reports", json: body).status == .unauthorized)
            #expect(try await CatalogueFixtures.count(server, "content_reports") == 2)

            let userReport = try await server.request(.POST, "/api/v1/reports", json: ["target_type": "user", "target_id": owner.id, "reason": "harassment"], token: carol.accessToken)
            #expect(userReport.status == .created)

            let (_, moderator) = try await CatalogueFixtures.admin(server, "modteam", role: .moderator)
            let (_, support) = try await CatalogueFixtures.admin(server, "deskhelper", role: .support)
            #expect(try await server.request(.GET, "/api/v1/admin/reports", token: support).status == .forbidden)
            #expect(try await server.request(.GET, "/api/v1/admin/reports", token: bob.accessToken).status == .forbidden)
            // The model is edited after the report: the queue shows it as it is now, most reported target first.
            let row = try await CatalogueFixtures.row(server, model)
            row.title = "Oak chair v2"
            try await row.update(on: server.app.db)
            let queue = try await server.request(.GET, "/api/v1/admin/reports", token: moderator)
            #expect(queue.status == .ok, "\(queue.text)")
            let items = try #require(try queue.object()["items"] as? [[String: Any]])
            #expect(items.map { $0["target_type"] as? String } == ["model", "model", "user"])
            #expect(items.first?["open_reports_on_target"] as? Int == 2)
            let content = try #require(items.first?["content"] as? [String: Any])
            #expect(content["title"] as? String == "Oak chair v2")
            #expect((content["author"] as? [String: Any])?["username"] as? String == "owner")
            #expect((items.first?["reporter"] as? [String: Any]) != nil)
        }
    }

    @Test("resolving removes the content and closes every open report on it, as an admin action; warn notifies; dismiss keeps content")
    func decisions() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            let bob = try await server.register("bob", verified: true)
            let carol = try await server.register("carol", verified: true)
            try await CommunityFixtures.community(server, owner: owner, slug: "talk")
            for user in [bob, carol] { try await CommunityFixtures.join(server, "talk", user) }
            let post = try await CommunityFixtures.post(server, "talk", author: bob, title: "Spam spam")
            var reportIDs: [String] = []
            for user in [owner, carol] {
                let filed = try await server.request(.POST, "/api/v1/reports", json: ["target_type": "post", "target_id": post, "reason": "spam"], token: user.accessToken)
                reportIDs.append(try #require(try filed.object()["id"] as? String))
            }
            let (_, moderator) = try await CatalogueFixtures.admin(server, "modteam", role: .moderator)
            let noNote = try await server.request(.POST, "/api/v1/admin/reports/\(reportIDs[0])/resolve", json: ["action": "remove_content", "note": " "], token: moderator)
            #expect(noNote.status == .unprocessableEntity)
            let resolved = try await server.request(.POST, "/api/v1/admin/reports/\(reportIDs[0])/resolve", json: ["action": "remove_content", "note": "Spam"], token: moderator)
            #expect(resolved.status == .ok, "\(resolved.text)")
            #expect(try resolved.object()["status"] as? String == "resolved")
            #expect((try resolved.object()["content"] as? [String: Any])?["removed"] as? Bool == true)
            #expect(try await server.request(.GET, "/api/v1/posts/\(post)").status == .notFound)
            #expect(try await CatalogueFixtures.count(server, "content_reports WHERE status = 'open'") == 0)
            #expect(try await CatalogueFixtures.count(server, "admin_actions WHERE action = 'report.resolve'") == 1)
            let twice = try await server.request(.POST, "/api/v1/admin/reports/\(reportIDs[1])/dismiss", json: ["note": "late"], token: moderator)
            #expect(twice.status == .conflict)

            // Warn: a system notification to the author of a comment.
            let comment = try await server.request(.POST, "/api/v1/posts/\(try await CommunityFixtures.post(server, "talk", author: owner))/comments", json: ["body": "rude"], token: carol.accessToken)
            let commentID = try #require(try comment.object()["id"] as? String)
            let filed = try await server.request(.POST, "/api/v1/reports", json: ["target_type": "post_comment", "target_id": commentID, "reason": "harassment"], token: owner.accessToken)
            let reportID = try #require(try filed.object()["id"] as? String)
            let warned = try await server.request(.POST, "/api/v1/admin/reports/\(reportID)/resolve", json: ["action": "warn", "note": "Be civil."], token: moderator)
            #expect(warned.status == .ok, "\(warned.text)")
            let notes = try await server.request(.GET, "/api/v1/notifications?type=system", token: carol.accessToken).object()["items"] as? [[String: Any]]
            #expect(notes?.first?["text"] as? String == "A warning from the moderators: Be civil.")
        }
    }

    @Test("a suspension revokes every session, refuses sign-in and hides the account's posts, comments and models until lifted; its end lifts it")
    func suspension() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            let bob = try await server.register("bob", verified: true)
            try await CommunityFixtures.community(server, owner: owner, slug: "talk")
            try await CommunityFixtures.join(server, "talk", bob)
            let post = try await CommunityFixtures.post(server, "talk", author: bob, title: "Bob's post")
            _ = try await server.request(.POST, "/api/v1/posts/\(post)/comments", json: ["body": "mine"], token: bob.accessToken)
            let model = try await CatalogueFixtures.model(server, owner: bob, title: "Walnut stool")
            _ = try await CatalogueFixtures.model(server, owner: owner, title: "Walnut table")
            let (admin, adminToken) = try await CatalogueFixtures.admin(server, "chiefadmin", role: .admin)
            /// What the catalogue lists of the two walnut models, and the listed count the facets sum.
            func expectListed(_ expected: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let seen = try await listed()
                #expect(seen == expected, sourceLocation: sourceLocation)
            }
            func listed() async throws -> String {
                let found = try await server.request(.GET, "/api/v1/models?sort=newest").object()["items"] as? [[String: Any]] ?? []
                let sql = try #require(server.app.db as? any SQLDatabase)
                let counted = try #require(try await sql.raw("SELECT CAST(SUM(listed_count) AS INTEGER) AS n FROM listed_model_counts").first())
                    .decode(column: "n", as: Int.self)
                return "\(found.compactMap { $0["title"] as? String }.sorted().joined(separator: ", ")): \(counted)"
            }
            try await expectListed("Walnut stool, Walnut table: 2")
            let (_, moderator) = try await CatalogueFixtures.admin(server, "modteam", role: .moderator)

            #expect(try await server.request(.POST, "/api/v1/admin/users/\(bob.id)/suspend", json: ["reason": "spam"], token: moderator).status == .forbidden)
            #expect(try await server.request(.POST, "/api/v1/admin/users/\(admin.id)/suspend", json: ["reason": "x"], token: adminToken).status == .conflict)
            #expect(try await server.request(.POST, "/api/v1/admin/users/\(UUID())/suspend", json: ["reason": "x"], token: adminToken).status == .notFound)
            let suspended = try await server.request(.POST, "/api/v1/admin/users/\(bob.id)/suspend", json: ["reason": "Spam"], token: adminToken)
            #expect(suspended.status == .ok, "\(suspended.text)")

            #expect(try await server.request(.GET, "/api/v1/users/me", token: bob.accessToken).status.code >= 400)
            let login = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "bob", "password": bob.password])
            #expect(login.status == .forbidden && login.problemType == "account-suspended", "\(login.text)")
            let posts = try await server.request(.GET, "/api/v1/communities/talk/posts").object()["items"] as? [Any]
            #expect(posts?.isEmpty == true)
            let comments = try await server.request(.GET, "/api/v1/posts/\(post)/comments", token: owner.accessToken)
            let visibleComments = comments.status == .ok ? (try comments.object()["items"] as? [Any])?.count ?? -1 : 0
            #expect(visibleComments == 0)
            // The creator's models leave the catalogue and its counts; their page still answers whoever has the link.
            try await expectListed("Walnut table: 1")
            #expect(try await server.request(.GET, "/api/v1/models/\(model.uuidString.lowercased())").status == .ok)

            #expect(try await server.request(.POST, "/api/v1/admin/users/\(bob.id)/unsuspend", token: adminToken).status == .noContent)
            try await expectListed("Walnut stool, Walnut table: 2")
            #expect(try await server.request(.POST, "/api/v1/auth/login", json: ["login": "bob", "password": bob.password]).status == .ok)
            #expect(try await CatalogueFixtures.count(server, "admin_actions WHERE action IN ('user.suspend', 'user.unsuspend')") == 2)

            // A suspension whose end has passed is lifted at the next sign-in.
            let until = Date().addingTimeInterval(3600)
            let timed = try await server.request(.POST, "/api/v1/admin/users/\(bob.id)/suspend", json: ["reason": "Cool off", "until": ISO8601DateFormatter().string(from: until)], token: adminToken)
            #expect(timed.status == .ok, "\(timed.text)")
            try await expectListed("Walnut table: 1")
            let sql = try #require(server.app.db as? any SQLDatabase)
            try await sql.raw("UPDATE user_suspensions SET until = \(bind: Date().addingTimeInterval(-1)) WHERE lifted_at IS NULL").run()
            #expect(try await server.request(.POST, "/api/v1/auth/login", json: ["login": "bob", "password": bob.password]).status == .ok)
            try await expectListed("Walnut stool, Walnut table: 2")
        }
    }
}
