import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// An upload that copies another creator's published model, converted to another format and moved, turned and
/// scaled, is held for review with the match shown to moderators; originals, the creator's own re-uploads and
/// different shapes are not.
@Suite("Likely copies")
struct LikelyCopyTests {
    static let sphere = TestMeshes.lumpySphere()

    /// The original, published by Alice as a GLB.
    private func publishOriginal(_ server: TestServer) async throws -> (alice: TestServer.SignedIn, modelID: String) {
        let alice = try await server.register("alice", verified: true)
        let glb = TestMeshes.glb(positions: Self.sphere.positions, triangles: Self.sphere.triangles)
        let id = try await ModelDrafts.submittedModel(server, alice, file: glb, filename: "blob.glb")
        let moderator = try await CatalogueFixtures.admin(server, "firstmod")
        let approved = try await server.request(.POST, "/api/v1/admin/models/\(id)/approve", token: moderator.adminToken)
        #expect(approved.status == .ok, "\(approved.text)")
        return (alice, id)
    }

    /// Rotated about a tilted axis, scaled by 40 and moved far away: the same shape in another pose.
    static func reposed(_ point: SIMD3<Float>) -> SIMD3<Float> {
        let (c, s) = (cos(Float(1.1)), sin(Float(1.1)))
        let turned = SIMD3(c * point.x + s * point.z, point.y, -s * point.x + c * point.z)
        let (c2, s2) = (cos(Float(0.6)), sin(Float(0.6)))
        let tilted = SIMD3(turned.x, c2 * turned.y - s2 * turned.z, s2 * turned.y + c2 * turned.z)
        return tilted * 40 + SIMD3(120, -35, 7)
    }

    @Test("a converted, re-posed copy is held; the moderator sees the original and must vouch to approve")
    func convertedCopyIsHeld() async throws {
        try await withServer { server in
            let (_, originalID) = try await publishOriginal(server)
            let bob = try await server.register("bob", verified: true)
            let copy = TestMeshes.obj(positions: Self.sphere.positions, triangles: Self.sphere.triangles, transform: Self.reposed)
            let copyID = try await ModelDrafts.submittedModel(server, bob, file: copy, filename: "mine.obj")
            let copyUUID = try #require(UUID(uuidString: copyID))
            #expect(try await ModelDrafts.count(server, "model_file_likely_copies WHERE model_id = \(bind: copyUUID)") == 1)

            let moderator = try await CatalogueFixtures.admin(server, "reviewer")
            let list = try await server.request(.GET, "/api/v1/admin/models?status=pending_review", token: moderator.adminToken)
            #expect(list.status == .ok, "\(list.text)")
            let items = try #require(try list.object()["items"] as? [[String: Any]])
            let held = try #require(items.first { ($0["model"] as? [String: Any])?["id"] as? String == copyID })
            #expect(held["likely_copy_count"] as? Int == 1)

            let detail = try await server.request(.GET, "/api/v1/admin/models/\(copyID)", token: moderator.adminToken)
            #expect(detail.status == .ok, "\(detail.text)")
            let matches = try #require(try detail.object()["likely_copies"] as? [[String: Any]])
            #expect(matches.count == 1)
            let original = try #require(matches.first?["original"] as? [String: Any])
            #expect(original["id"] as? String == originalID)
            let similarity = try #require(matches.first?["similarity"] as? Double)
            #expect(similarity > 0.5 && similarity <= 1)

            let refused = try await server.request(.POST, "/api/v1/admin/models/\(copyID)/approve", token: moderator.adminToken)
            #expect(refused.status == .conflict)
            #expect(refused.problemType == "likely-copy")
            let stillPending = try await CatalogueFixtures.row(server, copyUUID)
            #expect(stillPending.status == "pending_review")

            let vouched = try await server.request(
                .POST, "/api/v1/admin/models/\(copyID)/approve", json: ["not_a_copy": true], token: moderator.adminToken)
            #expect(vouched.status == .ok, "\(vouched.text)")
            #expect(try await CatalogueFixtures.row(server, copyUUID).status == "published")
        }
    }

    @Test("identical bytes match; the creator's own re-upload and a different shape do not")
    func whatMatches() async throws {
        try await withServer { server in
            let (alice, _) = try await publishOriginal(server)
            let glb = TestMeshes.glb(positions: Self.sphere.positions, triangles: Self.sphere.triangles)

            // Alice's own second listing of her model is hers to make.
            let own = try await ModelDrafts.submittedModel(server, alice, file: glb, filename: "again.glb")
            #expect(try await ModelDrafts.count(server, "model_file_likely_copies WHERE model_id = \(bind: try #require(UUID(uuidString: own)))") == 0)

            let carol = try await server.register("carol", verified: true)
            let stolen = try await ModelDrafts.submittedModel(server, carol, file: glb, filename: "stolen.glb")
            let stolenID = try #require(UUID(uuidString: stolen))
            let rows = try await server.app.db.sql.raw(
                "SELECT distance FROM model_file_likely_copies WHERE model_id = \(bind: stolenID)").all()
            #expect(rows.count == 1)
            #expect(try rows.first?.decode(column: "distance", as: Double.self) == 0)

            let dave = try await server.register("dave", verified: true)
            let other = TestMeshes.lumpySphere(lumps: 5)
            let different = try await ModelDrafts.submittedModel(
                server, dave, file: TestMeshes.obj(positions: other.positions, triangles: other.triangles), filename: "other.obj")
            #expect(try await ModelDrafts.count(server, "model_file_likely_copies WHERE model_id = \(bind: try #require(UUID(uuidString: different)))") == 0)
            let cube = try await ModelDrafts.submittedModel(server, dave, file: TestMeshes.objCube, filename: "cube.obj")
            #expect(try await ModelDrafts.count(server, "model_file_likely_copies WHERE model_id = \(bind: try #require(UUID(uuidString: cube)))") == 0)
        }
    }

    @Test("a copy of a model that is not published is not held, and deleting the file drops its matches")
    func unpublishedAndDeleted() async throws {
        try await withServer { server in
            let alice = try await server.register("alice", verified: true)
            let glb = TestMeshes.glb(positions: Self.sphere.positions, triangles: Self.sphere.triangles)
            _ = try await ModelDrafts.submittedModel(server, alice, file: glb, filename: "draft.glb")
            let bob = try await server.register("bob", verified: true)
            let early = try await ModelDrafts.submittedModel(server, bob, file: glb, filename: "early.glb")
            #expect(try await ModelDrafts.count(server, "model_file_likely_copies WHERE model_id = \(bind: try #require(UUID(uuidString: early)))") == 0)
            // Fingerprints are kept for every analysed file, so a later upload can be compared with them.
            #expect(try await ModelDrafts.count(server, "model_file_fingerprints") == 2)

            _ = try await publishOriginalAs(server, alice, glb)
            let late = try await ModelDrafts.draft(server, bob)
            let upload = try await ModelDrafts.uploadFile(server, late, glb, filename: "late.glb", token: bob.accessToken)
            let fileID = try #require(try upload.object()["id"] as? String)
            try await server.runJobs()
            let lateID = try #require(UUID(uuidString: late))
            #expect(try await ModelDrafts.count(server, "model_file_likely_copies WHERE model_id = \(bind: lateID)") == 1)
            let deleted = try await server.request(.DELETE, "/api/v1/models/\(late)/files/\(fileID)", token: bob.accessToken)
            #expect(deleted.status == .noContent, "\(deleted.text)")
            #expect(try await ModelDrafts.count(server, "model_file_likely_copies WHERE model_id = \(bind: lateID)") == 0)
            #expect(try await ModelDrafts.count(server, "model_file_fingerprints WHERE model_id = \(bind: lateID)") == 0)
        }
    }

    private func publishOriginalAs(_ server: TestServer, _ creator: TestServer.SignedIn, _ file: [UInt8]) async throws -> String {
        let id = try await ModelDrafts.submittedModel(server, creator, file: file, filename: "original.glb")
        let moderator = try await CatalogueFixtures.admin(server, "latemod")
        #expect(try await server.request(.POST, "/api/v1/admin/models/\(id)/approve", token: moderator.adminToken).status == .ok)
        return id
    }
}
