import Crypto
import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// A model's 3D files over HTTP: typed uploads and their refusals, the storage quota, failed analysis, paid
/// downloads, and the formats upload forms are told about.
@Suite("Model files: uploads, quota, analysis, downloads")
struct ModelFileUploadTests {
    @Test("uploads are typed by their bytes and limited while streaming; refusals leave no rows and no files")
    func uploadRefusals() async throws {
        try await withServer(["MODEL_UPLOAD_MAX_BYTES": "4096"]) { server in
            let creator = try await server.register("carla", verified: true)
            let id = try await ModelDrafts.draft(server, creator)

            let renamed = try await ModelDrafts.uploadFile(server, id, TestMeshes.tinyPNG, filename: "chair.glb", token: creator.accessToken)
            #expect(renamed.status == .unsupportedMediaType, "\(renamed.text)")
            let text = try await ModelDrafts.uploadFile(server, id, Array("hello, this is not a model".utf8), filename: "a.obj", token: creator.accessToken)
            #expect(text.status == .unsupportedMediaType, "\(text.text)")
            let big = try await ModelDrafts.uploadFile(server, id, TestMeshes.glbQuad() + [UInt8](repeating: 0, count: 5000), filename: "big.glb", token: creator.accessToken)
            #expect(big.status == .payloadTooLarge)
            let empty = try await ModelDrafts.uploadFile(server, id, [], filename: "empty.glb", token: creator.accessToken)
            #expect(empty.status == .unprocessableEntity)
            let noFile = MultipartForm(parts: [.init(name: "other", filename: nil, contentType: nil, data: Array("x".utf8))])
            let missing = try await server.request(
                .POST, "/api/v1/models/\(id)/files", body: noFile.body, token: creator.accessToken,
                headers: [("Content-Type", noFile.contentType)])
            #expect(missing.status == .unprocessableEntity)

            #expect(try await ModelDrafts.count(server, "model_files") == 0)
            #expect(try await ModelDrafts.count(server, "jobs WHERE kind = 'analyse_model_file'") == 0)
            #expect(try ModelDrafts.storedModelFiles(server).isEmpty)
            #expect(try ModelDrafts.spooledUploads(server).isEmpty)

            // Who may upload: the owner only; others learn nothing about a draft.
            let glb = TestMeshes.glbQuad()
            #expect(try await ModelDrafts.uploadFile(server, id, glb, filename: "a.glb", token: nil).status == .unauthorized)
            let stranger = try await server.register("sam", verified: true)
            #expect(try await ModelDrafts.uploadFile(server, id, glb, filename: "a.glb", token: stranger.accessToken).status == .notFound)
            #expect(try await ModelDrafts.uploadFile(server, UUID().uuidString, glb, filename: "a.glb", token: creator.accessToken).status == .notFound)
            #expect(try await ModelDrafts.uploadFile(server, id, glb, filename: "a.glb", token: creator.accessToken).status == .created)
        }
    }

    @Test("the storage quota counts every stored byte and refuses the upload that would pass it")
    func storageQuota() async throws {
        let glb = TestMeshes.glbQuad()
        try await withServer(["STORAGE_QUOTA_BYTES": "\(glb.count * 2 + 10)"]) { server in
            let creator = try await server.register("carla", verified: true)
            let id = try await ModelDrafts.draft(server, creator)
            #expect(try await ModelDrafts.uploadFile(server, id, glb, filename: "a.glb", token: creator.accessToken).status == .created)
            #expect(try await ModelDrafts.uploadFile(server, id, glb, filename: "b.glb", token: creator.accessToken).status == .created)
            let over = try await ModelDrafts.uploadFile(server, id, glb, filename: "c.glb", token: creator.accessToken)
            #expect(over.status == .payloadTooLarge)
            #expect(over.problemType == "quota-exceeded")
            #expect(try await ModelDrafts.count(server, "model_files") == 2)
            #expect(try ModelDrafts.storedModelFiles(server).count == 2)
        }
    }

    @Test("a file that fails analysis says why, and the model cannot be submitted on it")
    func failedAnalysis() async throws {
        try await withServer { server in
            let creator = try await server.register("carla", verified: true)
            let id = try await ModelDrafts.draft(server, creator)
            let truncated = Array(TestMeshes.glbQuad().prefix(40))
            let upload = try await ModelDrafts.uploadFile(server, id, truncated, filename: "broken.glb", token: creator.accessToken)
            #expect(upload.status == .created, "\(upload.text)")
            try await server.runJobs()
            let model = try await server.request(.GET, "/api/v1/models/\(id)", token: creator.accessToken).object()
            let file = try #require((model["files"] as? [[String: Any]])?.first)
            #expect(file["analysis_status"] as? String == "failed")
            #expect((file["analysis_error"] as? String)?.isEmpty == false)
            try await ModelDrafts.addImageRow(server, modelID: id)
            let submit = try await server.request(.POST, "/api/v1/models/\(id)/submit", token: creator.accessToken)
            #expect(submit.status == .conflict)
            #expect(try await ModelDrafts.count(server, "jobs WHERE status = 'failed'") == 0)
        }
    }

    @Test("paid models answer 402 to others until bought; the owner always downloads")
    func paidDownload() async throws {
        try await withServer { server in
            let creator = try await server.register("carla", verified: true)
            let id = try await ModelDrafts.publishedModel(server, creator, priceCents: 1500)
            let buyer = try await server.register("bob", verified: true)
            let refused = try await server.request(.GET, "/api/v1/models/\(id)/download", token: buyer.accessToken)
            #expect(refused.status == .paymentRequired)
            #expect(refused.problemType == "payment-required")
            let detail = try await server.request(.GET, "/api/v1/models/\(id)", token: buyer.accessToken).object()
            #expect(detail["owned_by_me"] as? Bool == false)
            let own = try await server.request(.GET, "/api/v1/models/\(id)/download", token: creator.accessToken)
            #expect(own.status == .ok)
            // The owner's own downloads are not counted as anyone's download.
            #expect(try await CatalogueFixtures.row(server, try #require(UUID(uuidString: id))).downloadCount == 0)
        }
    }

    @Test("formats and limits are published for upload forms")
    func formats() async throws {
        try await withServer { server in
            let response = try await server.request(.GET, "/api/v1/formats")
            #expect(response.status == .ok)
            let body = try response.object()
            let formats = (body["model_formats"] as? [[String: Any]] ?? []).compactMap { $0["format"] as? String }
            #expect(Set(formats) == ["glb", "gltf", "obj", "fbx", "blend"])
            #expect(body["model_max_bytes"] as? Int == 100 * 1024 * 1024)
            #expect(body["storage_quota_bytes"] as? Int == 5 * 1024 * 1024 * 1024)
        }
    }
}
