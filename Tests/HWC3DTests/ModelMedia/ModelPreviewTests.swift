import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// A model whose creator uploads no image gets a software render of its geometry as its first image and cover,
/// marked `generated`, stored like an upload; never a second one, never over an uploaded picture, never half made.
@Suite("Model previews rendered from geometry")
struct ModelPreviewTests {
    @Test("a GLB upload on an empty gallery becomes a generated cover, wireframe and sheet, served like uploaded images")
    func generatedCover() async throws {
        // Tests render only the cover unless asked (Settings.previewViews); this one asks for production's three.
        try await withServer(["PREVIEW_VIEWS": "cover,wireframe,sheet"]) { server in
            let creator = try await server.register("carla", verified: true)
            let modelID = try await draft(server, creator)
            let file = try await uploadModel(server, modelID, PreviewMeshes.cube(), token: creator.accessToken)
            #expect(file.status == .created, "\(file.text)")
            #expect(try await server.runJobs() == 2, "the analysis, then the render it queued")
            #expect(try await jobCount(server, "kind = 'render_model_preview' AND status = 'done'") == 1)

            let detail = try await server.request(.GET, "/api/v1/models/\(modelID)", token: creator.accessToken)
            #expect(detail.status == .ok, "\(detail.text)")
            let body = try detail.object()
            let images = try #require(body["images"] as? [[String: Any]])
            // The cover, its wireframe and the four-view sheet, in that order; the first is the cover.
            #expect(images.count == 3)
            #expect(images.map { $0["position"] as? Int } == [0, 1, 2])
            #expect(images.allSatisfy { $0["generated"] as? Bool == true && $0["width"] as? Int == 1280 && $0["height"] as? Int == 960 })
            #expect(images.map { $0["is_cover"] as? Bool } == [true, false, false])
            let image = try #require(images.first)
            let imageID = try #require(image["id"] as? String)
            #expect((body["cover_image"] as? [String: Any])?["id"] as? String == imageID)
            #expect((body["cover_image"] as? [String: Any])?["generated"] as? Bool == true)

            // The same keys and renditions as an upload, each served from /media/models/.
            let ids = images.compactMap { $0["id"] as? String }
            #expect(try storedImageFiles(server) == ids.flatMap { id in
                ["\(id)-fallback.jpg", "\(id)-w1280.webp", "\(id)-w320.webp", "\(id)-w640.webp"]
            }.sorted())
            let urls = try #require(image["urls"] as? [String: String])
            for (name, type) in [("w320", "image/webp"), ("w640", "image/webp"), ("w1280", "image/webp"), ("jpeg", "image/jpeg")] {
                let url = try #require(urls[name])
                let path = try #require(url.range(of: "/media/models/")).lowerBound
                let served = try await server.request(.GET, String(url[path...]))
                #expect(served.status == .ok, "\(name)")
                #expect(served.headers.contentType?.description == type, "\(name)")
                let bytes = [UInt8](Data(buffer: served.body))
                #expect(bytes.count > 500, "\(name): \(bytes.count) bytes")
                #expect(Array(bytes.prefix(3)) == (type == "image/jpeg" ? [0xFF, 0xD8, 0xFF] : Array("RIF".utf8)))
            }

            let rowID = try #require(UUID(uuidString: imageID))
            let row = try #require(try await ModelImageRecord.find(rowID, on: server.app.db))
            #expect(row.generated == true)
            #expect(row.sizeBytes > 0)
            #expect(try await CatalogueFixtures.row(server, modelID).coverImageID == row.id)

            // The owner's list shows it as the card's cover, flagged too.
            let list = try await server.request(.GET, "/api/v1/users/carla/models", token: creator.accessToken).object()
            let card = try #require((list["items"] as? [[String: Any]])?.first)
            #expect((card["cover_image"] as? [String: Any])?["generated"] as? Bool == true)

            // A second run of the same job (a retry, a duplicate) leaves the gallery as it is.
            try await enqueuePreview(server, modelID: modelID, fileID: try #require(try file.object()["id"] as? String))
            #expect(try await server.runJobs() == 1)
            #expect(try await imageRows(server, modelID).count == 3)
            #expect(try storedImageFiles(server).count == 12)
        }
    }

    @Test("a model whose creator uploaded an image first gets no preview, and no render job")
    func uploadedImageFirst() async throws {
        try await withServer { server in
            let creator = try await server.register("carla", verified: true)
            let modelID = try await draft(server, creator)
            let picture = try await uploadPicture(server, modelID, token: creator.accessToken)
            #expect(picture.status == .created, "\(picture.text)")
            #expect(try await uploadModel(server, modelID, PreviewMeshes.cube(), token: creator.accessToken).status == .created)
            #expect(try await server.runJobs() == 1)
            #expect(try await jobCount(server, "kind = 'render_model_preview'") == 0)
            let rows = try await imageRows(server, modelID)
            #expect(rows.count == 1)
            #expect(rows.first?.generated == false)
            let detail = try await server.request(.GET, "/api/v1/models/\(modelID)", token: creator.accessToken).object()
            #expect((detail["images"] as? [[String: Any]])?.first?["generated"] as? Bool == false)
        }
    }

    @Test("a render queued before the creator's upload landed stores nothing and leaves no files")
    func uploadMeanwhile() async throws {
        try await withServer { server in
            let creator = try await server.register("carla", verified: true)
            let modelID = try await draft(server, creator)
            #expect(try await uploadPicture(server, modelID, token: creator.accessToken).status == .created)
            let file = try await uploadModel(server, modelID, PreviewMeshes.cube(), token: creator.accessToken)
            #expect(try await server.runJobs() == 1)
            let before = try storedImageFiles(server)
            #expect(before.count == 4)

            // As if the render had been queued while the gallery was still empty.
            try await enqueuePreview(server, modelID: modelID, fileID: try #require(try file.object()["id"] as? String))
            #expect(try await server.runJobs() == 1)
            #expect(try await jobCount(server, "kind = 'render_model_preview' AND status = 'done'") == 1)
            #expect(try await imageRows(server, modelID).map(\.generated) == [false])
            #expect(try storedImageFiles(server) == before)
        }
    }

    @Test("no preview when analysis fails, when there is nothing to draw, or when the quota is full")
    func noPreview() async throws {
        try await withServer { server in
            let creator = try await server.register("carla", verified: true)
            let broken = try await draft(server, creator, title: "Broken")
            #expect(try await uploadModel(server, broken, Array(PreviewMeshes.cube().prefix(60)), token: creator.accessToken).status == .created)
            // Points only: the analysis is fine, but there is no face to draw.
            let points = try await draft(server, creator, title: "Points")
            #expect(try await uploadModel(server, points, PreviewMeshes.cube(mode: 0), token: creator.accessToken).status == .created)
            try await server.runJobs()

            #expect(try await jobCount(server, "kind = 'render_model_preview'") == 1, "only for the file that analysed")
            #expect(try await jobCount(server, "status = 'failed'") == 0)
            for model in [broken, points] {
                #expect(try await imageRows(server, model).isEmpty)
                #expect(try await CatalogueFixtures.row(server, model).coverImageID == nil)
            }
            #expect(try storedImageFiles(server).isEmpty)
        }

        let cube = PreviewMeshes.cube()
        try await withServer(["STORAGE_QUOTA_BYTES": "4096"]) { server in
            let creator = try await server.register("carla", verified: true)
            let modelID = try await draft(server, creator)
            #expect(try await uploadModel(server, modelID, cube, token: creator.accessToken).status == .created)
            #expect(try await server.runJobs() == 2)
            #expect(try await imageRows(server, modelID).isEmpty)
            #expect(try storedImageFiles(server).isEmpty)
        }
    }
}

// MARK: - helpers

private func draft(_ server: TestServer, _ creator: TestServer.SignedIn, title: String = "Crate") async throws -> UUID {
    let response = try await server.request(.POST, "/api/v1/models", json: ["title": title, "price_cents": 0], token: creator.accessToken)
    #expect(response.status == .created, "\(response.text)")
    let id = try #require(try response.object()["id"] as? String)
    return try #require(UUID(uuidString: id))
}

private func uploadModel(_ server: TestServer, _ modelID: UUID, _ bytes: [UInt8], token: String) async throws -> TestResponse {
    let form = MultipartForm.file(bytes, filename: "crate.glb")
    return try await server.request(
        .POST, "/api/v1/models/\(modelID.uuidString.lowercased())/files", body: form.body, token: token,
        headers: [("Content-Type", form.contentType)])
}

private func uploadPicture(_ server: TestServer, _ modelID: UUID, token: String) async throws -> TestResponse {
    let form = MultipartForm.file(TestMeshes.tinyPNG, filename: "photo.png", contentType: "image/png")
    return try await server.request(
        .POST, "/api/v1/models/\(modelID.uuidString.lowercased())/images", body: form.body, token: token,
        headers: [("Content-Type", form.contentType)])
}

private func enqueuePreview(_ server: TestServer, modelID: UUID, fileID: String) async throws {
    let payload = RenderModelPreviewJob.Payload(modelID: modelID, fileID: try #require(UUID(uuidString: fileID)))
    try await server.app.services.jobs.enqueue(RenderModelPreviewJob.kind, payload: payload, on: server.app.db)
}

private func jobCount(_ server: TestServer, _ condition: String) async throws -> Int {
    try await CatalogueFixtures.count(server, "jobs WHERE \(unsafeRaw: condition)")
}

private func imageRows(_ server: TestServer, _ modelID: UUID) async throws -> [ModelImageRecord] {
    try await ModelImageRecord.query(on: server.app.db).filter(\.$model.$id == modelID).sort(\.$position).all()
}

/// Image renditions in local storage, sorted.
private func storedImageFiles(_ server: TestServer) throws -> [String] {
    let directory = server.dataDir.appendingPathComponent("storage/models")
    guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
    return try FileManager.default.contentsOfDirectory(atPath: directory.path)
        .filter { $0.hasSuffix(".webp") || $0.hasSuffix(".jpg") }.sorted()
}

/// GLB files made in the test.
enum PreviewMeshes {
    /// A 2 × 1 × 1 box, 8 vertices and 12 triangles, with POSITION min/max; `mode: 0` makes it a point cloud.
    static func cube(mode: Int = 4) -> [UInt8] {
        var bin: [UInt8] = []
        for corner in 0..<8 {
            let point: [Float] = [corner & 1 == 0 ? -1 : 1, corner & 2 == 0 ? -0.5 : 0.5, corner & 4 == 0 ? -0.5 : 0.5]
            for value in point { withUnsafeBytes(of: value.bitPattern.littleEndian) { bin += $0 } }
        }
        let faces = [[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4], [1, 5, 7, 3]]
        let indices = faces.flatMap { [$0[0], $0[1], $0[2], $0[0], $0[2], $0[3]] }
        for index in indices { withUnsafeBytes(of: UInt16(index).littleEndian) { bin += $0 } }
        while bin.count % 4 != 0 { bin.append(0) }
        let json = """
            {"asset":{"version":"2.0"},"scene":0,"scenes":[{"nodes":[0]}],"nodes":[{"mesh":0}],\
            "meshes":[{"primitives":[{"attributes":{"POSITION":0},"indices":1,"mode":\(mode)}]}],\
            "buffers":[{"byteLength":\(bin.count)}],\
            "bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":96},{"buffer":0,"byteOffset":96,"byteLength":72}],\
            "accessors":[{"bufferView":0,"componentType":5126,"count":8,"type":"VEC3","min":[-1,-0.5,-0.5],"max":[1,0.5,0.5]},\
            {"bufferView":1,"componentType":5123,"count":36,"type":"SCALAR"}]}
            """
        var text = Array(json.utf8)
        while text.count % 4 != 0 { text.append(0x20) }
        var glb: [UInt8] = []
        func u32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { glb += $0 } }
        glb += Array("glTF".utf8)
        u32(2)
        u32(12 + 8 + text.count + 8 + bin.count)
        u32(text.count)
        glb += Array("JSON".utf8) + text
        u32(bin.count)
        glb += [0x42, 0x49, 0x4E, 0x00] + bin
        return glb
    }
}
