import Foundation
import SQLKit
import Testing

@testable import HWC3D

@Suite("Uploaded images: POST /uploads/images, attaching them to posts, and their removal")
struct UploadedImageTests {
    @Test("an upload is checked, stored with its renditions, served immutable, and counted against the quota")
    func uploadStoresRenditions() async throws {
        try await withServer { server in
            let alice = try await server.register("alice", verified: true)
            let response = try await upload(server, Pictures.png(width: 900, height: 600), token: alice.accessToken)
            #expect(response.status == .created, "\(response.text)")
            let body = try response.object()
            let id = try #require(body["id"] as? String)
            #expect(body["width"] as? Int == 900 && body["height"] as? Int == 600)
            let expires = try #require((body["expires_at"] as? String).flatMap { try? Date($0, strategy: .iso8601) })
            #expect(abs(expires.timeIntervalSinceNow - 24 * 3600) < 120, "\(expires)")
            let urls = try #require(body["urls"] as? [String: String])
            #expect(urls["w640"] == "http://api.test/media/uploads/\(id)-w640.webp")
            #expect(urls["jpeg"] == "http://api.test/media/uploads/\(id)-fallback.jpg")
            #expect(try storedUploads(server) == ["\(id)-fallback.jpg", "\(id)-w1280.webp", "\(id)-w320.webp", "\(id)-w640.webp"])

            let served = try await server.request(.GET, "/media/uploads/\(id)-w640.webp")
            #expect(served.status == .ok)
            #expect(served.headers.contentType?.description == "image/webp")
            #expect(served.headers.first(name: "Cache-Control") == "public, max-age=31536000, immutable")
            #expect(Pictures.decode([UInt8](Data(buffer: served.body)))?.width == 640)
            #expect(try await server.request(.GET, "/media/uploads/\(id)-w640.png").status == .notFound)

            let stored = try await storedSize(server, id)
            let onDisk = try storedUploads(server).reduce(0) { $0 + (try Data(contentsOf: uploadsDir(server).appendingPathComponent($1)).count) }
            #expect(stored == Int64(onDisk))
            #expect(try await StorageQuota.used(by: UUID(uuidString: alice.id)!, on: server.app.db) == stored)
        }
    }

    @Test("who may upload and what: anonymous 401, unverified 403, not an image 415, a broken image 422, over the quota 413; nothing stored")
    func refusals() async throws {
        try await withServer(["STORAGE_QUOTA_BYTES": "4096"]) { server in
            let verified = try await server.register("verified", verified: true)
            let unverified = try await server.register("unverified")
            let png = Pictures.png(width: 400, height: 300)

            #expect(try await upload(server, png, token: nil).status == .unauthorized)
            #expect(try await upload(server, png, token: unverified.accessToken).status == .forbidden)
            let text = try await upload(server, Array("just text, not a picture".utf8), token: verified.accessToken)
            #expect(text.status == .unsupportedMediaType, "\(text.text)")
            let truncated = try await upload(server, Array(png.prefix(png.count / 2)), token: verified.accessToken)
            #expect(truncated.status == .unprocessableEntity && truncated.fieldErrors == ["file"], "\(truncated.text)")
            // The renditions of a noisy picture take more than the 4 KiB quota.
            let noisy = try #require(Pictures.encode(Pictures.noise(width: 300, height: 300), width: 300, height: 300, bands: 3, as: .png))
            let overQuota = try await upload(server, noisy, token: verified.accessToken)
            #expect(overQuota.status == .payloadTooLarge, "\(overQuota.text)")
            #expect(overQuota.problemType == "quota-exceeded")

            #expect(try await CatalogueFixtures.count(server, "uploaded_images") == 0)
            #expect(try storedUploads(server).isEmpty)
        }
    }

    @Test("a post shows its images in order; someone else's, a used, a repeated, a malformed or an 11th image is 422 with nothing changed")
    func postsHoldTheirImages() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            let bob = try await server.register("bob", verified: true)
            try await CommunityFixtures.community(server, owner: owner, slug: "props")
            try await CommunityFixtures.join(server, "props", bob)
            let first = try await uploadedID(server, bob, width: 300)
            let second = try await uploadedID(server, bob, width: 200)
            let owners = try await uploadedID(server, owner, width: 250)

            let created = try await createPost(server, bob, imageIDs: [second, first])
            #expect(created.status == .created, "\(created.text)")
            let post = try created.object()
            let postID = try #require(post["id"] as? String)
            let images = try #require(post["images"] as? [[String: Any]])
            #expect(images.map { $0["id"] as? String } == [second, first])
            #expect(images.map { $0["width"] as? Int } == [200, 300])
            #expect((images.first?["urls"] as? [String: String])?["w320"] == "http://api.test/media/uploads/\(second)-w320.webp")
            #expect(images.first?["expires_at"] == nil)
            // Every read of the post shows them: the post, the community's list, the feed.
            let read = try await server.request(.GET, "/api/v1/posts/\(postID)", token: owner.accessToken)
            #expect((try read.object()["images"] as? [[String: Any]])?.count == 2)
            let list = try await server.request(.GET, "/api/v1/communities/props/posts")
            let listed = try #require((try list.object()["items"] as? [[String: Any]])?.first)
            #expect((listed["images"] as? [[String: Any]])?.map { $0["id"] as? String } == [second, first])

            let postsBefore = try await CommunityFixtures.communityCounters(server, "props").posts
            for (ids, why) in [
                ([owners], "someone else's image"), ([first], "an image another post holds"), ([UUID().uuidString.lowercased()], "no such image"),
                (["not-a-uuid"], "a malformed id"),
            ] {
                let refused = try await createPost(server, bob, imageIDs: ids)
                #expect(refused.status == .unprocessableEntity && refused.fieldErrors == ["image_ids"], "\(why): \(refused.text)")
            }
            let third = try await uploadedID(server, bob, width: 120)
            let repeated = try await createPost(server, bob, imageIDs: [third, third])
            #expect(repeated.status == .unprocessableEntity && repeated.fieldErrors == ["image_ids"], "\(repeated.text)")
            let eleven = try await createPost(server, bob, imageIDs: [third] + (0..<10).map { _ in UUID().uuidString.lowercased() })
            #expect(eleven.status == .unprocessableEntity, "\(eleven.text)")
            #expect(try await CommunityFixtures.communityCounters(server, "props").posts == postsBefore)
            // The refused posts attached nothing: the owner's image and the third are free.
            #expect(try await holder(server, owners) == nil)
            #expect(try await holder(server, third) == nil)
            #expect(try await holder(server, first) == postID)

            // Someone who is not the author cannot move a post's images.
            let foreignEdit = try await server.request(.PATCH, "/api/v1/posts/\(postID)", json: ["image_ids": [owners]], token: owner.accessToken)
            #expect(foreignEdit.status == .forbidden, "\(foreignEdit.text)")
            #expect(try await holder(server, owners) == nil)
        }
    }

    @Test("an edit that leaves an image out, and a deleted post, remove their images' rows and files; an unattached upload expires after a day")
    func imagesLeaveWithTheirHolder() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            try await CommunityFixtures.community(server, owner: owner, slug: "props")
            let kept = try await uploadedID(server, owner, width: 300)
            let dropped = try await uploadedID(server, owner, width: 200)
            let later = try await uploadedID(server, owner, width: 150)
            let postID = try #require(try await createPost(server, owner, imageIDs: [kept, dropped]).object()["id"] as? String)

            let edited = try await server.request(.PATCH, "/api/v1/posts/\(postID)", json: ["image_ids": [later, kept]], token: owner.accessToken)
            #expect(edited.status == .ok, "\(edited.text)")
            #expect((try edited.object()["images"] as? [[String: Any]])?.map { $0["id"] as? String } == [later, kept])
            #expect(try edited.object()["edited_at"] is String)
            try await server.runJobs()
            #expect(try await holder(server, dropped) == nil)
            #expect(try await CatalogueFixtures.count(server, "uploaded_images WHERE id = \(bind: UUID(uuidString: dropped)!)") == 0)
            #expect(try storedUploads(server).filter { $0.hasPrefix(dropped) }.isEmpty)
            #expect(try storedUploads(server).filter { $0.hasPrefix(kept) }.count == 4)

            // A day later the expiry jobs of the attached images find them held and leave them.
            let stray = try await uploadedID(server, owner, width: 100)
            try await server.app.services.jobs.runDueJobs(database: server.app.db, logger: server.app.logger, now: { Date().addingTimeInterval(25 * 3600) })
            #expect(try storedUploads(server).filter { $0.hasPrefix(stray) }.isEmpty, "the unattached upload expired")
            #expect(try storedUploads(server).count == 8, "the post's two images stay")

            let deleted = try await server.request(.DELETE, "/api/v1/posts/\(postID)", token: owner.accessToken)
            #expect(deleted.status == .noContent, "\(deleted.text)")
            try await server.runJobs()
            #expect(try storedUploads(server).isEmpty)
            #expect(try await CatalogueFixtures.count(server, "uploaded_images") == 0)
        }
    }
}

// MARK: - helpers

private func upload(_ server: TestServer, _ bytes: [UInt8], token: String?) async throws -> TestResponse {
    let form = MultipartForm.file(bytes, filename: "picture.png", contentType: "image/png")
    return try await server.request(.POST, "/api/v1/uploads/images", body: form.body, token: token, headers: [("Content-Type", form.contentType)])
}

private func uploadedID(_ server: TestServer, _ user: TestServer.SignedIn, width: Int) async throws -> String {
    let response = try await upload(server, Pictures.png(width: width, height: 100), token: user.accessToken)
    #expect(response.status == .created, "\(response.text)")
    return try #require(try response.object()["id"] as? String)
}

private func createPost(_ server: TestServer, _ author: TestServer.SignedIn, imageIDs: [String]) async throws -> TestResponse {
    try await server.request(
        .POST, "/api/v1/communities/props/posts", json: ["title": "Pictures", "body": "Look.", "image_ids": imageIDs], token: author.accessToken)
}

/// The post holding the image, by id; nil when nothing holds it (or it is gone).
private func holder(_ server: TestServer, _ imageID: String) async throws -> String? {
    let sql = try #require(server.app.db as? any SQLDatabase)
    let row = try await sql.raw("SELECT attached_id FROM uploaded_images WHERE id = \(bind: UUID(uuidString: imageID)!)").first()
    return try row?.decode(column: "attached_id", as: UUID?.self)?.uuidString.lowercased()
}

private func storedSize(_ server: TestServer, _ imageID: String) async throws -> Int64 {
    let sql = try #require(server.app.db as? any SQLDatabase)
    return try #require(try await sql.raw("SELECT size_bytes FROM uploaded_images WHERE id = \(bind: UUID(uuidString: imageID)!)").first())
        .decode(column: "size_bytes", as: Int64.self)
}

private func uploadsDir(_ server: TestServer) -> URL { server.dataDir.appendingPathComponent("storage/uploads") }

private func storedUploads(_ server: TestServer) throws -> [String] {
    let directory = uploadsDir(server)
    guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
    return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasPrefix(".") }.sorted()
}
