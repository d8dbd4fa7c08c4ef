import Foundation
import SQLKit
import Testing

@testable import HWC3D

@Suite("Communities and membership")
struct CommunityTests {
    @Test("a verified user creates a community and owns it; anyone reads and finds it; the slug is unique for ever")
    func createAndRead() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let alice = try await server.register("alice", verified: true)
            let created = try await server.request(.POST, "/api/v1/communities", json: [
                "name": "Hard Surface", "slug": "Hard-Surface", "description": "Bevels and booleans.", "visibility": "public",
                "rules": "1. Be kind\n2. <script>alert(1)</script>",
            ], token: alice.accessToken)
            #expect(created.status == .created, "\(created.text)")
            let body = try created.object()
            #expect(body["slug"] as? String == "hard-surface")
            #expect(body["member_count"] as? Int == 1)
            #expect(body["post_count"] as? Int == 0)
            #expect((body["owner"] as? [String: Any])?["id"] as? String == alice.id)
            #expect(body["membership"] as? [String: String] == ["role": "owner", "status": "active"])
            let rulesHTML = try #require(body["rules_html"] as? String)
            #expect(rulesHTML.contains("<li>Be kind</li>") && !rulesHTML.contains("<script"), "\(rulesHTML)")

            let anonymous = try await server.request(.GET, "/api/v1/communities/hard-surface")
            #expect(anonymous.status == .ok)
            #expect(try anonymous.object()["membership"] == nil)
            let list = try await server.request(.GET, "/api/v1/communities?q=bevel")
            #expect(((try list.object()["items"] as? [[String: Any]]) ?? []).map { $0["slug"] as? String } == ["hard-surface"])
            let none = try await server.request(.GET, "/api/v1/communities?q=%25")
            #expect((try none.object()["items"] as? [Any])?.isEmpty == true)

            // Refused: taken slug (any case), malformed or reserved slug, short name; nothing more is stored.
            let bob = try await server.register("bob", verified: true)
            let taken = try await server.request(.POST, "/api/v1/communities", json: [
                "name": "Other", "slug": "HARD-SURFACE", "visibility": "public",
            ], token: bob.accessToken)
            #expect(taken.status == .conflict && taken.problemType == "slug-taken", "\(taken.text)")
            for (slug, name) in [("a", "Valid name"), ("-bad-", "Valid name"), ("admin", "Valid name"), ("good-slug", "x"), ("no spaces", "Valid name")] {
                let refused = try await server.request(.POST, "/api/v1/communities", json: [
                    "name": name, "slug": slug, "visibility": "public",
                ], token: bob.accessToken)
                #expect(refused.status == .unprocessableEntity, "\(slug): \(refused.text)")
            }
            let unverified = try await server.register("uma")
            let notVerified = try await server.request(.POST, "/api/v1/communities", json: [
                "name": "Mine", "slug": "mine", "visibility": "public",
            ], token: unverified.accessToken)
            #expect(notVerified.status == .forbidden)
            #expect(try await CatalogueFixtures.count(server, "communities") == 1)
            #expect(try await CatalogueFixtures.count(server, "community_members") == 1)

            // Deleted: gone for everyone, and the slug stays taken.
            let notOwner = try await server.request(.DELETE, "/api/v1/communities/hard-surface", token: bob.accessToken)
            #expect(notOwner.status == .forbidden)
            let deleted = try await server.request(.DELETE, "/api/v1/communities/hard-surface", token: alice.accessToken)
            #expect(deleted.status == .noContent)
            #expect(try await server.request(.GET, "/api/v1/communities/hard-surface").status == .notFound)
            let again = try await server.request(.POST, "/api/v1/communities", json: [
                "name": "Again", "slug": "hard-surface", "visibility": "public",
            ], token: bob.accessToken)
            #expect(again.status == .conflict)
        }
    }

    @Test("a private community: joining is a request the owner approves; members, roles, bans and hand-over")
    func privateMembership() async throws {
        try await withServer { server in
            let owner = try await server.register("owner", verified: true)
            let bob = try await server.register("bob", verified: true)
            let carol = try await server.register("carol", verified: true)
            try await CommunityFixtures.community(server, owner: owner, slug: "studio", visibility: "private")
            let base = "/api/v1/communities/studio"

            let request = try await server.request(.POST, "\(base)/join", token: bob.accessToken)
            #expect(try request.object() as? [String: String] == ["role": "member", "status": "pending"])
            let repeated = try await server.request(.POST, "\(base)/join", token: bob.accessToken)
            #expect(try repeated.object()["status"] as? String == "pending")
            #expect(try await CommunityFixtures.communityCounters(server, "studio").members == 1)
            // Not yet a member: the member list is hidden, the pending list is the owner's.
            #expect(try await server.request(.GET, "\(base)/members", token: bob.accessToken).status == .notFound)
            let pending = try await server.request(.GET, "\(base)/members?status=pending", token: owner.accessToken)
            #expect(((try pending.object()["items"] as? [[String: Any]]) ?? []).map { ($0["user"] as? [String: Any])?["username"] as? String } == ["bob"])

            let approved = try await server.request(.PATCH, "\(base)/members/\(bob.id)", json: ["status": "active"], token: owner.accessToken)
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(try approved.object()["status"] as? String == "active")
            #expect(try await CommunityFixtures.communityCounters(server, "studio").members == 2)
            let members = try await server.request(.GET, "\(base)/members", token: bob.accessToken)
            #expect(((try members.object()["items"] as? [[String: Any]]) ?? []).map { $0["role"] as? String } == ["owner", "member"])

            // Roles are the owner's: bob, a member, cannot; made moderator, he approves but still cannot give roles.
            try await CommunityFixtures.join(server, "studio", carol)
            // Carol, pending, is still outside the private community: 404, as to anyone outside.
            #expect(try await server.request(.PATCH, "\(base)/members/\(carol.id)", json: ["status": "active"], token: carol.accessToken).status == .notFound)
            let promoted = try await server.request(.PATCH, "\(base)/members/\(bob.id)", json: ["role": "moderator"], token: owner.accessToken)
            #expect(try promoted.object()["role"] as? String == "moderator")
            let byModerator = try await server.request(.PATCH, "\(base)/members/\(carol.id)", json: ["status": "active"], token: bob.accessToken)
            #expect(byModerator.status == .ok)
            let roleByModerator = try await server.request(.PATCH, "\(base)/members/\(carol.id)", json: ["role": "moderator"], token: bob.accessToken)
            #expect(roleByModerator.status == .forbidden)
            #expect(try await CommunityFixtures.communityCounters(server, "studio").members == 3)

            // A moderator cannot remove the owner; a member cannot remove anyone.
            #expect(try await server.request(.DELETE, "\(base)/members/\(owner.id)", token: bob.accessToken).status == .forbidden)
            #expect(try await server.request(.DELETE, "\(base)/members/\(bob.id)", token: carol.accessToken).status == .forbidden)

            // Banned: out, counted out, cannot rejoin, and leaving does not lift the ban; deleting the ban does.
            let banned = try await server.request(.DELETE, "\(base)/members/\(carol.id)?ban=true", token: bob.accessToken)
            #expect(banned.status == .noContent)
            #expect(try await CommunityFixtures.communityCounters(server, "studio").members == 2)
            let rejoin = try await server.request(.POST, "\(base)/join", token: carol.accessToken)
            #expect(rejoin.status == .forbidden)
            #expect(try await server.request(.POST, "\(base)/leave", token: carol.accessToken).status == .noContent)
            #expect(try await server.request(.POST, "\(base)/join", token: carol.accessToken).status == .forbidden)
            let bans = try await server.request(.GET, "\(base)/members?status=banned", token: owner.accessToken)
            #expect((try bans.object()["items"] as? [Any])?.count == 1)
            #expect(try await server.request(.DELETE, "\(base)/members/\(carol.id)", token: owner.accessToken).status == .noContent)
            #expect(try await server.request(.POST, "\(base)/join", token: carol.accessToken).status == .ok)

            // The owner cannot leave, then hands over and can.
            let ownerLeaves = try await server.request(.POST, "\(base)/leave", token: owner.accessToken)
            #expect(ownerLeaves.status == .conflict && ownerLeaves.problemType == "owner-cannot-leave")
            let handOver = try await server.request(.PATCH, "\(base)/members/\(bob.id)", json: ["role": "owner"], token: owner.accessToken)
            #expect(try handOver.object()["role"] as? String == "owner")
            let detail = try await server.request(.GET, base, token: owner.accessToken).object()
            #expect((detail["owner"] as? [String: Any])?["id"] as? String == bob.id)
            #expect((detail["membership"] as? [String: String])?["role"] == "moderator")
            #expect(try await server.request(.POST, "\(base)/leave", token: owner.accessToken).status == .noContent)
            #expect(try await CommunityFixtures.communityCounters(server, "studio").members == 1)
            let rows = try await CatalogueFixtures.count(server, "community_members WHERE status = 'active'")
            #expect(rows == 1)
        }
    }

    @Test("a private community turned public lets its pending requests in, counted, and keeps its bans")
    func openingAdmitsPending() async throws {
        try await withServer { server in
            let owner = try await server.register("owner", verified: true)
            let bob = try await server.register("bob", verified: true)
            let carol = try await server.register("carol", verified: true)
            try await CommunityFixtures.community(server, owner: owner, slug: "studio", visibility: "private")
            let base = "/api/v1/communities/studio"
            #expect(try await server.request(.POST, "\(base)/join", token: bob.accessToken).status == .ok)
            #expect(try await server.request(.POST, "\(base)/join", token: carol.accessToken).status == .ok)
            #expect(try await server.request(.DELETE, "\(base)/members/\(carol.id)?ban=true", token: owner.accessToken).status == .noContent)

            let opened = try await server.request(.PATCH, base, json: ["visibility": "public"], token: owner.accessToken)
            #expect(opened.status == .ok, "\(opened.text)")
            #expect(try await CommunityFixtures.communityCounters(server, "studio").members == 2)
            #expect(try await CatalogueFixtures.count(server, "community_members WHERE status = 'pending'") == 0)
            #expect(try await CatalogueFixtures.count(server, "community_members WHERE status = 'banned'") == 1)
            let detail = try await server.request(.GET, base, token: bob.accessToken).object()
            #expect((detail["membership"] as? [String: String])?["status"] == "active")
        }
    }

    @Test("concurrent joins and leaves keep member_count equal to the active members")
    func concurrentJoins() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            try await CommunityFixtures.community(server, owner: owner, slug: "crowd")
            var users: [TestServer.SignedIn] = []
            for index in 0..<12 { users.append(try await server.register("user\(index)")) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for user in users {
                    for path in ["join", "join", "leave", "join"] {
                        group.addTask { _ = try await server.request(.POST, "/api/v1/communities/crowd/\(path)", token: user.accessToken) }
                    }
                }
                try await group.waitForAll()
            }
            let active = try await CatalogueFixtures.count(server, "community_members WHERE status = 'active'")
            #expect(try await CommunityFixtures.communityCounters(server, "crowd").members == active)
        }
    }
}
