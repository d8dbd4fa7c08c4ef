import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Admin: communities and posts")
struct CommunityAdminTests {
    @Test("admins with communities.moderate verify, suspend, hand over and delete communities, list posts flagged first and delete them")
    func moderation() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            let bob = try await server.register("bob", verified: true)
            let community = try await CommunityFixtures.community(server, owner: owner, slug: "props")
            let communityID = try #require(community["id"] as? String)
            try await CommunityFixtures.join(server, "props", bob)
            let calm = try await CommunityFixtures.post(server, "props", author: owner, title: "Calm")
            let flagged = try await CommunityFixtures.post(server, "props", author: bob, title: "Flagged")
            _ = try await server.request(.POST, "/api/v1/reports", json: ["target_type": "post", "target_id": flagged, "reason": "spam"], token: owner.accessToken)
            let (_, moderator) = try await CatalogueFixtures.admin(server, "modteam", role: .moderator)
            let (_, support) = try await CatalogueFixtures.admin(server, "deskhelper", role: .support)
            #expect(try await server.request(.GET, "/api/v1/admin/communities", token: support).status == .forbidden)
            #expect(try await server.request(.GET, "/api/v1/admin/posts", token: owner.accessToken).status == .forbidden)

            let posts = try await server.request(.GET, "/api/v1/admin/posts", token: moderator).object()["items"] as? [[String: Any]] ?? []
            #expect(posts.map { ($0["post"] as? [String: Any])?["id"] as? String } == [flagged, calm])
            #expect(posts.first?["reports_count"] as? Int == 1)

            let verified = try await server.request(.PATCH, "/api/v1/admin/communities/\(communityID)", json: ["verified": true], token: moderator)
            #expect(verified.status == .ok, "\(verified.text)")
            #expect((try verified.object()["community"] as? [String: Any])?["verified"] as? Bool == true)
            #expect(try await server.request(.GET, "/api/v1/communities/props").object()["verified"] as? Bool == true)

            let handOver = try await server.request(.PATCH, "/api/v1/admin/communities/\(communityID)", json: ["owner_id": bob.id], token: moderator)
            #expect(((try handOver.object()["community"] as? [String: Any])?["owner"] as? [String: Any])?["id"] as? String == bob.id)
            let notMember = try await server.request(.PATCH, "/api/v1/admin/communities/\(communityID)", json: ["owner_id": UUID().uuidString], token: moderator)
            #expect(notMember.status == .unprocessableEntity)

            #expect(try await server.request(.PATCH, "/api/v1/admin/communities/\(communityID)", json: ["suspended": true], token: moderator).status == .ok)
            #expect(try await server.request(.GET, "/api/v1/communities/props").status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/posts/\(calm)", token: owner.accessToken).status == .notFound)
            let suspendedList = try await server.request(.GET, "/api/v1/admin/communities?status=suspended", token: moderator).object()["items"] as? [Any]
            #expect(suspendedList?.count == 1)
            #expect(try await server.request(.PATCH, "/api/v1/admin/communities/\(communityID)", json: ["suspended": false], token: moderator).status == .ok)
            #expect(try await server.request(.GET, "/api/v1/communities/props").status == .ok)

            #expect(try await server.request(.DELETE, "/api/v1/admin/posts/\(flagged)", token: moderator).status == .noContent)
            #expect(try await server.request(.GET, "/api/v1/posts/\(flagged)").status == .notFound)
            #expect(try await server.request(.DELETE, "/api/v1/admin/communities/\(communityID)", token: moderator).status == .noContent)
            #expect(try await server.request(.GET, "/api/v1/communities/props").status == .notFound)
            #expect(try await server.request(.DELETE, "/api/v1/admin/communities/\(communityID)", token: moderator).status == .notFound)
            #expect(try await CatalogueFixtures.count(server, "admin_actions WHERE target_type IN ('community', 'post')") == 6)
        }
    }
}
