import Crypto
import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// The creator's path over HTTP: draft, file upload and analysis, submission, review, publication, download.
@Suite("Model lifecycle")
struct ModelLifecycleTests {
    @Test("a creator drafts, uploads, submits; an admin approves; a verified buyer downloads the exact bytes")
    func creatorFlow() async throws {
        try await withServer { server in
            let creator = try await server.register("carla", verified: true)
            let created = try await server.request(.POST, "/api/v1/models", json: [
                "title": "Low-poly Armchair", "description": "Game-ready.", "category": "seating",
                "tags": ["Low Poly", "game ready", "low-poly"], "license": "cc-by", "price_cents": 0,
            ], token: creator.accessToken)
            #expect(created.status == .created, "\(created.text)")
            let model = try created.object()
            let id = try #require(model["id"] as? String)
            #expect(model["slug"] as? String == "low-poly-armchair")
            #expect(model["status"] as? String == "draft")
            #expect(model["tags"] as? [String] == ["low-poly", "game-ready"])
            #expect((model["category"] as? [String: Any])?["slug"] as? String == "seating")

            // A draft is the owner's alone.
            #expect(try await server.request(.GET, "/api/v1/models/low-poly-armchair").status == .notFound)
            let stranger = try await server.register("sam", verified: true)
            #expect(try await server.request(.GET, "/api/v1/models/\(id)", token: stranger.accessToken).status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/models/low-poly-armchair", token: creator.accessToken).status == .ok)

            let glb = TestMeshes.glbQuad()
            let upload = try await ModelDrafts.uploadFile(server, id, glb, filename: "../../chair.glb", token: creator.accessToken)
            #expect(upload.status == .created, "\(upload.text)")
            let file = try upload.object()
            let fileID = try #require(file["id"] as? String)
            #expect(file["analysis_status"] as? String == "pending")
            #expect(file["filename"] as? String == "chair.glb")
            #expect(file["size_bytes"] as? Int == glb.count)
            #expect(file["sha256"] as? String == ModelDrafts.sha256Hex(glb))

            // Submitting before analysis and without an image is refused with what is missing.
            let early = try await server.request(.POST, "/api/v1/models/\(id)/submit", token: creator.accessToken)
            #expect(early.status == .conflict)
            #expect(early.problemType == "model-incomplete")

            try await server.runJobs()
            let analysis = try await server.request(.GET, "/api/v1/models/\(id)/files/\(fileID)/analysis", token: creator.accessToken)
            #expect(analysis.status == .ok, "\(analysis.text)")
            let report = try #require(try analysis.object()["report"] as? [String: Any])
            #expect(report["vertex_count"] as? Int == 4)
            #expect(report["triangle_count"] as? Int == 2)
            #expect(try await server.request(.GET, "/api/v1/models/\(id)/files/\(fileID)/analysis", token: stranger.accessToken).status == .notFound)

            try await ModelDrafts.addImageRow(server, modelID: id)
            let submitted = try await server.request(.POST, "/api/v1/models/\(id)/submit", token: creator.accessToken)
            #expect(submitted.status == .ok, "\(submitted.text)")
            #expect(try submitted.object()["status"] as? String == "pending_review")
            #expect(try await server.request(.GET, "/api/v1/models/\(id)").status == .notFound)

            let moderator = try await CatalogueFixtures.admin(server, "mod")
            let approved = try await server.request(.POST, "/api/v1/admin/models/\(id)/approve", token: moderator.adminToken)
            #expect(approved.status == .ok, "\(approved.text)")
            try await server.runJobs()
            #expect(try server.sentEmails().contains { $0.contains("To: carla@example.com") && $0.contains("is live on HWC3D") })

            let page = try await server.request(.GET, "/api/v1/models/low-poly-armchair")
            #expect(page.status == .ok)
            let published = try page.object()
            #expect(published["status"] as? String == "published")
            #expect(published["triangle_count"] as? Int == 2)
            #expect(published["formats"] as? [String] == ["glb"])
            #expect(published["rejection_reason"] == nil)
            let profile = try await server.request(.GET, "/api/v1/users/carla").object()
            #expect((profile["counters"] as? [String: Any])?["models"] as? Int == 1)

            // Downloads: signed in with a verified email, and the link serves the very bytes uploaded.
            #expect(try await server.request(.GET, "/api/v1/models/\(id)/download").status == .unauthorized)
            let unverified = try await server.register("uma")
            let refused = try await server.request(.GET, "/api/v1/models/\(id)/download", token: unverified.accessToken)
            #expect(refused.status == .forbidden)
            #expect(refused.problemType == "email-not-verified")
            let links = try await server.request(.GET, "/api/v1/models/\(id)/download", token: stranger.accessToken)
            #expect(links.status == .ok, "\(links.text)")
            let item = try #require((try links.object()["items"] as? [[String: Any]])?.first)
            let url = try #require(item["url"] as? String)
            let path = String(url[try #require(url.range(of: "/api/v1/files/"))!.lowerBound...])
            let fetched = try await server.request(.GET, path)
            #expect(fetched.status == .ok)
            #expect(Array(fetched.body.readableBytesView) == glb)
            #expect(fetched.headers.first(name: "Content-Disposition")?.contains("chair.glb") == true)

            let redirect = try await server.request(.GET, "/api/v1/models/\(id)/download?file_id=\(fileID)", token: stranger.accessToken)
            #expect(redirect.status == .found)
            #expect(redirect.headers.first(name: .location)?.contains("/api/v1/files/") == true)
            let counted = try await CatalogueFixtures.row(server, try #require(UUID(uuidString: id)))
            #expect(counted.downloadCount == 2)
        }
    }

    @Test("drafts take only the fields a creator may set; invalid values are 422 with the field named")
    func createValidation() async throws {
        try await withServer { server in
            let creator = try await server.register("carla", verified: true)
            let sneaky = try await server.request(.POST, "/api/v1/models", json: [
                "title": "Crate", "status": "published", "owner_id": UUID().uuidString, "like_count": 99,
                "featured": true, "slug": "hijack",
            ], token: creator.accessToken)
            #expect(sneaky.status == .created)
            let body = try sneaky.object()
            #expect(body["status"] as? String == "draft")
            #expect(body["featured"] as? Bool == false)
            #expect(body["slug"] as? String == "crate")
            #expect((body["counters"] as? [String: Any])?["likes"] as? Int == 0)
            #expect((body["creator"] as? [String: Any])?["username"] as? String == "carla")

            // Same title: a different, still stable slug.
            let twin = try await server.request(.POST, "/api/v1/models", json: ["title": "Crate"], token: creator.accessToken)
            let twinSlug = try #require(try twin.object()["slug"] as? String)
            #expect(twinSlug != "crate" && twinSlug.hasPrefix("crate-"))

            let cases: [([String: Any], String)] = [
                (["title": "ab"], "title"),
                (["title": "Crate", "license": "gpl"], "license"),
                (["title": "Crate", "price_cents": 50], "price_cents"),
                (["title": "Crate", "price_cents": -100], "price_cents"),
                (["title": "Crate", "category": "no-such-category"], "category"),
                (["title": "Crate", "tags": (0..<21).map { "tag\($0)" }], "tags"),
                (["title": "Crate", "visibility": "secret"], "visibility"),
                (["description": "no title"], "title"),
            ]
            for (json, field) in cases {
                let response = try await server.request(.POST, "/api/v1/models", json: json, token: creator.accessToken)
                #expect(response.status == .unprocessableEntity, "\(json): \(response.text)")
                #expect(response.fieldErrors.contains(field), "\(json): \(response.text)")
            }
            let wrongType = try await server.request(.POST, "/api/v1/models", json: ["title": 42], token: creator.accessToken)
            #expect(wrongType.status == .unprocessableEntity, "\(wrongType.text)")
            #expect(wrongType.fieldErrors == ["title"])
            #expect(try await server.request(.POST, "/api/v1/models", json: ["title": "Crate"]).status == .unauthorized)
            let unverified = try await server.register("uma")
            let refused = try await server.request(.POST, "/api/v1/models", json: ["title": "Crate"], token: unverified.accessToken)
            #expect(refused.status == .forbidden)
            #expect(try await ModelDrafts.count(server, "models") == 2)
        }
    }

    @Test("edits keep a published model published; new files send it back to review; archive and restore")
    func editingPublished() async throws {
        try await withServer { server in
            let creator = try await server.register("carla", verified: true)
            let id = try await ModelDrafts.publishedModel(server, creator)
            let edited = try await server.request(.PATCH, "/api/v1/models/\(id)", json: [
                "title": "A better title", "price_cents": 499, "tags": ["scifi"],
            ], token: creator.accessToken)
            #expect(edited.status == .ok, "\(edited.text)")
            let body = try edited.object()
            #expect(body["status"] as? String == "published")
            #expect(body["price_cents"] as? Int == 499)
            #expect(body["slug"] as? String == "crate", "slugs never change")

            let stranger = try await server.register("sam", verified: true)
            let foreign = try await server.request(.PATCH, "/api/v1/models/\(id)", json: ["title": "Mine now"], token: stranger.accessToken)
            #expect(foreign.status == .forbidden)
            #expect(try await server.request(.DELETE, "/api/v1/models/\(id)", token: stranger.accessToken).status == .forbidden)

            let archived = try await server.request(.PATCH, "/api/v1/models/\(id)", json: ["status": "archived"], token: creator.accessToken)
            #expect(try archived.object()["status"] as? String == "archived")
            #expect(try await server.request(.GET, "/api/v1/models/\(id)").status == .notFound)
            let restored = try await server.request(.PATCH, "/api/v1/models/\(id)", json: ["status": "published"], token: creator.accessToken)
            #expect(try restored.object()["status"] as? String == "published")
            let bad = try await server.request(.PATCH, "/api/v1/models/\(id)", json: ["status": "draft"], token: creator.accessToken)
            #expect(bad.status == .unprocessableEntity)

            #expect(try await ModelDrafts.uploadFile(server, id, TestMeshes.glbQuad(), filename: "v2.glb", token: creator.accessToken).status == .created)
            let reviewed = try await server.request(.GET, "/api/v1/models/\(id)", token: creator.accessToken).object()
            #expect(reviewed["status"] as? String == "pending_review")
            #expect(try await server.request(.GET, "/api/v1/models/\(id)").status == .notFound)
        }
    }

    @Test("soft delete hides the model from everyone and keeps the row")
    func softDelete() async throws {
        try await withServer { server in
            let creator = try await server.register("carla", verified: true)
            let id = try await ModelDrafts.publishedModel(server, creator)
            #expect(try await server.request(.DELETE, "/api/v1/models/\(id)", token: creator.accessToken).status == .noContent)
            #expect(try await server.request(.GET, "/api/v1/models/\(id)").status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/models/\(id)", token: creator.accessToken).status == .notFound)
            #expect(try await server.request(.DELETE, "/api/v1/models/\(id)", token: creator.accessToken).status == .notFound)
            let row = try await CatalogueFixtures.row(server, try #require(UUID(uuidString: id)))
            #expect(row.deletedAt != nil)
            let profile = try await server.request(.GET, "/api/v1/users/carla").object()
            #expect((profile["counters"] as? [String: Any])?["models"] as? Int == 0)
        }
    }

    @Test("moderation: permissions, state rules, reasons, emails and the audit trail")
    func moderation() async throws {
        try await withServer { server in
            let creator = try await server.register("carla", verified: true)
            let id = try await ModelDrafts.submittedModel(server, creator)
            let support = try await CatalogueFixtures.admin(server, "helpdesk", role: .support)
            #expect(try await server.request(.POST, "/api/v1/admin/models/\(id)/approve", token: support.adminToken).status == .forbidden)
            #expect(try await server.request(.POST, "/api/v1/admin/models/\(id)/approve", token: creator.accessToken).status == .forbidden)
            #expect(try await server.request(.GET, "/api/v1/admin/models", token: creator.accessToken).status == .forbidden)

            let moderator = try await CatalogueFixtures.admin(server, "mod")
            let queue = try await server.request(.GET, "/api/v1/admin/models", token: moderator.adminToken)
            #expect(queue.status == .ok, "\(queue.text)")
            let first = try #require((try queue.object()["items"] as? [[String: Any]])?.first)
            #expect((first["model"] as? [String: Any])?["id"] as? String == id)
            #expect(first["owner_email"] as? String == "carla@example.com")

            let noReason = try await server.request(.POST, "/api/v1/admin/models/\(id)/reject", json: ["reason": " "], token: moderator.adminToken)
            #expect(noReason.status == .unprocessableEntity)
            let feature = try await server.request(.POST, "/api/v1/admin/models/\(id)/feature", json: ["featured": true], token: moderator.adminToken)
            #expect(feature.status == .conflict)
            let rejected = try await server.request(
                .POST, "/api/v1/admin/models/\(id)/reject", json: ["reason": "Textures are missing from the bundle."], token: moderator.adminToken)
            #expect(rejected.status == .ok)
            #expect(try rejected.object()["status"] as? String == "rejected")
            #expect(try await server.request(.POST, "/api/v1/admin/models/\(id)/approve", token: moderator.adminToken).status == .conflict)
            try await server.runJobs()
            #expect(try server.sentEmails().contains { $0.contains("needs changes") && $0.contains("Textures are missing") })
            let ownerView = try await server.request(.GET, "/api/v1/models/\(id)", token: creator.accessToken).object()
            #expect(ownerView["rejection_reason"] as? String == "Textures are missing from the bundle.")

            // Resubmitted and approved, then featured, then taken down.
            #expect(try await server.request(.POST, "/api/v1/models/\(id)/submit", token: creator.accessToken).status == .ok)
            #expect(try await server.request(.POST, "/api/v1/admin/models/\(id)/approve", token: moderator.adminToken).status == .ok)
            let featured = try await server.request(.POST, "/api/v1/admin/models/\(id)/feature", json: ["featured": true], token: moderator.adminToken)
            #expect(try featured.object()["featured"] as? Bool == true)
            let takedown = try await server.request(
                .DELETE, "/api/v1/admin/models/\(id)", json: ["reason": "Copyright claim from the original author."], token: moderator.adminToken)
            #expect(takedown.status == .ok)
            #expect(try takedown.object()["status"] as? String == "taken_down")
            #expect(try await server.request(
                .DELETE, "/api/v1/admin/models/\(id)", json: ["reason": "Again"], token: moderator.adminToken).status == .conflict)
            #expect(try await server.request(.GET, "/api/v1/models/\(id)").status == .notFound)
            #expect(try await server.request(.PATCH, "/api/v1/models/\(id)", json: ["title": "Back"], token: creator.accessToken).status == .conflict)

            let detail = try await server.request(.GET, "/api/v1/admin/models/\(id)", token: moderator.adminToken)
            let history = try #require(try detail.object()["history"] as? [[String: Any]])
            #expect(history.compactMap { $0["action"] as? String } == ["model.reject", "model.approve", "model.feature", "model.takedown"])
            #expect(try await ModelDrafts.count(server, "admin_actions WHERE target_type = 'model'") == 4)
        }
    }

}
