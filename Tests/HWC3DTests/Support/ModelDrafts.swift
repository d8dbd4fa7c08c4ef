import Crypto
import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// Models at each step of their life, made over HTTP, for the listing and model-file tests.
enum ModelDrafts {
    static func uploadFile(_ server: TestServer, _ modelID: String, _ bytes: [UInt8], filename: String, token: String?) async throws -> TestResponse {
        let form = MultipartForm.file(bytes, filename: filename)
        return try await server.request(
            .POST, "/api/v1/models/\(modelID)/files", body: form.body, token: token, headers: [("Content-Type", form.contentType)])
    }

    static func draft(_ server: TestServer, _ creator: TestServer.SignedIn, title: String = "Crate", priceCents: Int = 0) async throws -> String {
        let response = try await server.request(.POST, "/api/v1/models", json: ["title": title, "price_cents": priceCents], token: creator.accessToken)
        #expect(response.status == .created, "\(response.text)")
        return try #require(try response.object()["id"] as? String)
    }

    /// A draft with an analysed file and an image, submitted for review.
    static func submittedModel(
        _ server: TestServer, _ creator: TestServer.SignedIn, priceCents: Int = 0, file: [UInt8] = TestMeshes.glbQuad(),
        filename: String = "crate.glb"
    ) async throws -> String {
        let id = try await draft(server, creator, priceCents: priceCents)
        #expect(try await uploadFile(server, id, file, filename: filename, token: creator.accessToken).status == .created)
        try await server.runJobs()
        try await addImageRow(server, modelID: id)
        let submitted = try await server.request(.POST, "/api/v1/models/\(id)/submit", token: creator.accessToken)
        #expect(submitted.status == .ok, "\(submitted.text)")
        return id
    }

    static func publishedModel(
        _ server: TestServer, _ creator: TestServer.SignedIn, priceCents: Int = 0, file: [UInt8] = TestMeshes.glbQuad(),
        filename: String = "crate.glb"
    ) async throws -> String {
        let id = try await submittedModel(server, creator, priceCents: priceCents, file: file, filename: filename)
        let moderator = try await CatalogueFixtures.admin(server, "mod\(UUID().uuidString.prefix(6))")
        // Every creator's test model has the same quad, so a second creator's is held as a likely copy of the first's:
        // the moderator vouches for it (`LikelyCopyTests` covers the hold itself).
        let approved = try await server.request(
            .POST, "/api/v1/admin/models/\(id)/approve", json: ["not_a_copy": true], token: moderator.adminToken)
        #expect(approved.status == .ok, "\(approved.text)")
        return id
    }

    /// An image row without renditions: enough for the submission rule, which only counts images.
    static func addImageRow(_ server: TestServer, modelID: String) async throws {
        let model = try await CatalogueFixtures.row(server, try #require(UUID(uuidString: modelID)))
        // After the file's analysis the gallery may already hold a rendered preview: go after it.
        let position = try await ModelImageRecord.query(on: server.app.db).filter(\.$model.$id == model.id!).count()
        let image = ModelImageRecord(id: .v7(), modelID: model.id!, ownerID: model.$owner.id, position: position, width: 4, height: 4, sizeBytes: 10)
        try await image.create(on: server.app.db)
        model.coverImageID = image.id
        try await model.update(on: server.app.db)
    }

    static func count(_ server: TestServer, _ query: SQLQueryString) async throws -> Int {
        try await CatalogueFixtures.count(server, query)
    }

    static func storedModelFiles(_ server: TestServer) throws -> [String] {
        let directory = server.dataDir.appendingPathComponent("storage/models/files")
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.contains(".") }
    }

    static func spooledUploads(_ server: TestServer) throws -> [String] {
        let directory = server.dataDir.appendingPathComponent("tmp")
        return (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: Data(bytes)).map { String(format: "%02x", $0) }.joined()
    }
}
