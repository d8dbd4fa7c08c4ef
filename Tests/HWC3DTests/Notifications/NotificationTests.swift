import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Notifications")
struct NotificationTests {
    static func list(_ server: TestServer, _ user: TestServer.SignedIn, query: String = "") async throws -> [[String: Any]] {
        let response = try await server.request(.GET, "/api/v1/notifications\(query)", token: user.accessToken)
        #expect(response.status == .ok, "\(response.text)")
        return try response.object()["items"] as? [[String: Any]] ?? []
    }

    static func unread(_ server: TestServer, _ user: TestServer.SignedIn) async throws -> Int {
        try await server.request(.GET, "/api/v1/notifications/unread-count", token: user.accessToken).object()["count"] as? Int ?? -1
    }

    @Test("likes group into one notification per model, counted once per person however often they like and unlike; none to yourself")
    func groupedLikes() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let ana = try await server.register("ana")
            let owner = try await server.register("owner")
            let model = try await CatalogueFixtures.model(server, owner: owner, title: "Oak chair")
            let path = "/api/v1/models/\(model)/like"
            #expect(try await server.request(.POST, path, token: owner.accessToken).status == .ok)
            #expect(try await Self.list(server, owner).isEmpty, "no notification of one's own like")

            for _ in 0..<3 {
                #expect(try await server.request(.POST, path, token: ana.accessToken).status == .ok)
                #expect(try await server.request(.DELETE, path, token: ana.accessToken).status == .ok)
            }
            #expect(try await server.request(.POST, path, token: ana.accessToken).status == .ok)
            var items = try await Self.list(server, owner)
            #expect(items.count == 1)
            #expect(items.first?["text"] as? String == "Ana liked Oak chair")
            for index in 0..<14 {
                let fan = try await server.register("fan\(index)")
                #expect(try await server.request(.POST, path, token: fan.accessToken).status == .ok)
            }
            items = try await Self.list(server, owner)
            #expect(items.count == 1)
            let grouped = try #require(items.first)
            #expect(grouped["type"] as? String == "model_like")
            #expect(grouped["actor_count"] as? Int == 15)
            #expect(grouped["text"] as? String == "Fan13 and 14 others liked Oak chair")
            #expect((grouped["target"] as? [String: String]) == ["type": "model", "id": model.uuidString.lowercased()])
            #expect(grouped["link"] as? String == "/models/\(try await CatalogueFixtures.row(server, model).slug)")
            #expect(try await Self.unread(server, owner) == 1)
            #expect(try await CatalogueFixtures.count(server, "notifications") == 1)

            // Read, it stays; a new like after that starts a new notification.
            let id = try #require(grouped["id"] as? String)
            #expect(try await server.request(.POST, "/api/v1/notifications/\(id)/read", token: owner.accessToken).status == .noContent)
            #expect(try await Self.unread(server, owner) == 0)
            let late = try await server.register("late")
            #expect(try await server.request(.POST, path, token: late.accessToken).status == .ok)
            items = try await Self.list(server, owner, query: "?unread=true")
            #expect(items.map { $0["text"] as? String } == ["Late liked Oak chair"])
        }
    }

    @Test("follows, comments and replies notify the right people; read, read-all and delete act on one's own only")
    func inbox() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            let bob = try await server.register("bob", verified: true)
            let carol = try await server.register("carol", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: owner, title: "Oak chair")
            #expect(try await server.request(.POST, "/api/v1/users/owner/follow", token: bob.accessToken).status == .ok)
            let comment = try await server.request(.POST, "/api/v1/models/\(model)/comments", json: ["body": "Nice"], token: bob.accessToken)
            let commentID = try #require(try comment.object()["id"] as? String)
            _ = try await server.request(.POST, "/api/v1/models/\(model)/comments", json: ["body": "Agreed", "parent_id": commentID], token: carol.accessToken)

            let ownerTexts = try await Self.list(server, owner).compactMap { $0["text"] as? String }
            #expect(ownerTexts == ["Carol and 1 other commented on Oak chair", "Bob started following you"], "\(ownerTexts)")
            let bobItems = try await Self.list(server, bob)
            #expect(bobItems.map { $0["text"] as? String } == ["Carol replied to your comment on Oak chair"])
            #expect(try await Self.list(server, carol).isEmpty)

            let bobsID = try #require(bobItems.first?["id"] as? String)
            #expect(try await server.request(.POST, "/api/v1/notifications/\(bobsID)/read", token: owner.accessToken).status == .notFound)
            #expect(try await server.request(.DELETE, "/api/v1/notifications/\(bobsID)", token: carol.accessToken).status == .notFound)
            #expect(try await server.request(.POST, "/api/v1/notifications/not-an-id/read", token: bob.accessToken).status == .notFound)
            #expect(try await Self.unread(server, bob) == 1)

            let all = try await server.request(.POST, "/api/v1/notifications/read-all", token: owner.accessToken)
            #expect(try all.object()["marked"] as? Int == 2)
            #expect(try await Self.unread(server, owner) == 0)
            #expect(try await Self.unread(server, bob) == 1)
            #expect(try await server.request(.DELETE, "/api/v1/notifications/\(bobsID)", token: bob.accessToken).status == .noContent)
            #expect(try await Self.list(server, bob).isEmpty)
            #expect(try await server.request(.GET, "/api/v1/notifications").status == .unauthorized)
        }
    }

    @Test("preferences: a type turned off is not written; email goes through the outbox with an unsubscribe link that works once signed")
    func preferencesAndEmail() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            let bob = try await server.register("bob", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: owner, title: "Oak chair")

            let defaults = try await server.request(.GET, "/api/v1/notifications/preferences", token: owner.accessToken).object()
            let items = try #require(defaults["items"] as? [[String: Any]])
            let like = try #require(items.first { $0["type"] as? String == "model_like" })
            #expect(like["in_app"] as? Bool == true && like["email"] as? Bool == false)
            let sale = try #require(items.first { $0["type"] as? String == "sale" })
            #expect(sale["email_optional"] as? Bool == false)

            let off = try await server.request(.PATCH, "/api/v1/notifications/preferences", json: [
                "items": [["type": "model_like", "in_app": false]],
            ], token: owner.accessToken)
            #expect(off.status == .ok, "\(off.text)")
            let receipts = try await server.request(.PATCH, "/api/v1/notifications/preferences", json: [
                "items": [["type": "sale", "email": false]],
            ], token: owner.accessToken)
            #expect(receipts.status == .unprocessableEntity)
            _ = try await server.request(.POST, "/api/v1/models/\(model)/like", token: bob.accessToken)
            #expect(try await Self.list(server, owner).isEmpty)

            // `follow` emails by default: one email, with the sentence and a signed unsubscribe link.
            let before = try server.sentEmails().count
            _ = try await server.request(.POST, "/api/v1/users/owner/follow", token: bob.accessToken)
            try await server.runJobs()
            try await server.runJobs()
            let emails = try server.sentEmails()
            #expect(emails.count == before + 1)
            let email = try #require(emails.last)
            #expect(email.contains("Bob started following you"))
            #expect(email.contains("text/html") && email.contains("text/plain"))
            let link = try #require(email.range(of: "\(TestServer.frontend)/notifications/unsubscribe?"))
            let query = String(email[link.upperBound...].prefix { !$0.isWhitespace && $0 != "\"" && $0 != "<" })
                .replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "=\r\n", with: "")
            var fields: [String: String] = [:]
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            #expect(fields["user"] == owner.id && fields["type"] == "follow")
            let forged = try await server.request(.POST, "/api/v1/notifications/unsubscribe", json: [
                "user": bob.id, "type": "follow", "token": fields["token"] ?? "",
            ])
            #expect(forged.status == .forbidden)
            let unsubscribed = try await server.request(.POST, "/api/v1/notifications/unsubscribe", json: [
                "user": owner.id, "type": "follow", "token": fields["token"] ?? "",
            ])
            #expect(unsubscribed.status == .noContent, "\(unsubscribed.text)")
            let after = try await server.request(.GET, "/api/v1/notifications/preferences", token: owner.accessToken).object()
            let follow = (after["items"] as? [[String: Any]])?.first { $0["type"] as? String == "follow" }
            #expect(follow?["email"] as? Bool == false && follow?["in_app"] as? Bool == true)
        }
    }

    @Test("a sale notifies buyer and seller; a post notifies only members who asked, never outsiders of a private community")
    func purchasesAndCommunityPosts() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let seller = try await server.register("seller", verified: true)
            let buyer = try await server.register("buyer", verified: true)
            let model = try await MarketplaceFixtures.paidModel(server, owner: seller, priceCents: 1500, title: "Brass lantern")
            try await MarketplaceFixtures.buy(server, buyer, [model])
            #expect(try await Self.list(server, buyer).map { $0["text"] as? String } == ["You bought Brass lantern"])
            #expect(try await Self.list(server, seller).map { $0["text"] as? String } == ["Buyer bought Brass lantern"])

            let keen = try await server.register("keen", verified: true)
            let quiet = try await server.register("quiet", verified: true)
            let outsider = try await server.register("outsider", verified: true)
            try await CommunityFixtures.community(server, owner: seller, slug: "lanterns", visibility: "private")
            for member in [keen, quiet] { try await CommunityFixtures.join(server, "lanterns", member, approver: seller) }
            for user in [keen, outsider] {
                _ = try await server.request(.PATCH, "/api/v1/notifications/preferences", json: [
                    "items": [["type": "community_post", "in_app": true]],
                ], token: user.accessToken)
            }
            _ = try await CommunityFixtures.post(server, "lanterns", author: seller, title: "New brass")
            #expect(try await Self.list(server, keen).map { $0["text"] as? String } == ["Seller posted New brass in Community lanterns"])
            #expect(try await Self.list(server, quiet).isEmpty)
            #expect(try await Self.list(server, outsider).isEmpty)
        }
    }
}
