import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOPosix
import OpenAPIRuntime
import Testing

@testable import HWC3D

/// One contract, two implementations: every scenario in `StorageScenarios` runs against a local directory and
/// against a real S3-compatible server on loopback (moto, see `S3TestServer`).
@Suite("Storage contract: local directory")
struct LocalStorageTests {
    static func make() throws -> (LocalFileStorage, URL) {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hwc3d-storage-\(UUID().uuidString)")
        let storage = try LocalFileStorage(
            root: root.path, threadPool: .singleton, links: DownloadLinkSigner(serverSecret: StorageScenarios.secret),
            publicURL: "http://api.test")
        return (storage, root)
    }

    @Test("put, get, head, delete; deleting twice is fine") func roundtrip() async throws {
        try await StorageScenarios.roundtrip(try Self.make().0)
    }

    @Test("a missing key is nil everywhere, and notFound for a local copy") func missing() async throws {
        try await StorageScenarios.missing(try Self.make().0)
    }

    @Test("a 20 MB putFile streams in and reads back byte for byte") func largeFile() async throws {
        try await StorageScenarios.largeFile(try Self.make().0)
    }

    @Test("ranged reads: inside, clamped at the end, past the end") func ranges() async throws {
        try await StorageScenarios.ranges(try Self.make().0)
    }

    @Test("putFile of a file that is not there stores nothing") func missingSource() async throws {
        try await StorageScenarios.missingSource(try Self.make().0)
    }

    @Test("the local copy is the stored file itself, and discard() leaves it alone") func localCopyIsTheFile() async throws {
        let (storage, root) = try Self.make()
        try await storage.put(Data("abc".utf8), key: "models/m/f.obj", contentType: "model/obj")
        let copy = try await storage.fetchToLocalFile(key: "models/m/f.obj")
        #expect(copy.path == root.appendingPathComponent("models/m/f.obj").path)
        copy.discard()
        #expect(FileManager.default.fileExists(atPath: copy.path))
    }

    @Test("download links: /api/v1/files/<token>, URL-safe, naming the key, the file name and the expiry")
    func downloadLinks() async throws {
        let (storage, _) = try Self.make()
        let before = Int(Date().timeIntervalSince1970)
        let url = try await storage.downloadURL(key: "models/m/f.glb", filename: "chair.glb", expiresIn: 600)
        #expect(url.hasPrefix("http://api.test/api/v1/files/"))
        let token = String(url.dropFirst("http://api.test/api/v1/files/".count))
        #expect(!token.contains("/") && !token.contains("+") && !token.contains("="))
        let link = try DownloadLinkSigner(serverSecret: StorageScenarios.secret).verify(token, now: Date())
        #expect(link.key == "models/m/f.glb")
        #expect(link.filename == "chair.glb")
        #expect((before + 600...before + 601).contains(link.expiresAt))
        await #expect(throws: (any Error).self) {
            _ = try await storage.downloadURL(key: "../etc/passwd", filename: "x", expiresIn: 600)
        }
    }

    @Test("download tokens cannot be altered, extended, replayed late or verified under another secret")
    func downloadTokens() throws {
        let signer = DownloadLinkSigner(serverSecret: StorageScenarios.secret)
        let now = Date()
        let link = DownloadLinkSigner.Link(key: "models/m/f.glb", filename: "chair.glb", expiresAt: Int(now.timeIntervalSince1970) + 60)
        let token = signer.token(for: link)
        #expect(try signer.verify(token, now: now) == link)

        // Another payload (a longer expiry) under the old MAC.
        var extended = link
        extended.expiresAt += 86_400
        let forged = signer.token(for: extended).split(separator: ".")[0] + "." + token.split(separator: ".")[1]
        #expect(throws: DownloadLinkSigner.Refusal.invalid) { try signer.verify(String(forged), now: now) }
        // One character of the MAC changed.
        var mac = Array(token.split(separator: ".")[1])
        mac[5] = mac[5] == "A" ? "B" : "A"
        #expect(throws: DownloadLinkSigner.Refusal.invalid) {
            try signer.verify(token.split(separator: ".")[0] + "." + String(mac), now: now)
        }
        #expect(throws: DownloadLinkSigner.Refusal.expired) { try signer.verify(token, now: now.addingTimeInterval(61)) }
        #expect(throws: DownloadLinkSigner.Refusal.invalid) {
            try DownloadLinkSigner(serverSecret: StorageScenarios.secret + "x").verify(token, now: now)
        }
        for garbage in ["", ".", "abc", "a.b.c", String(repeating: "a", count: 5000)] {
            #expect(throws: DownloadLinkSigner.Refusal.invalid) { try signer.verify(garbage, now: now) }
        }
        // A well-signed token for a key storage would refuse is refused too.
        let traversal = signer.token(for: .init(key: "models/../../etc/passwd", filename: "x", expiresAt: link.expiresAt))
        #expect(throws: DownloadLinkSigner.Refusal.invalid) { try signer.verify(traversal, now: now) }
    }
}

@Suite("Storage contract: S3 (moto on loopback)", .enabled(S3TestServer.skipMessage, { await S3TestServer.shouldRun() }))
struct S3StorageTests {
    static func make(
        bucket: String? = nil, beforeUploadingPart: (@Sendable (Int) async throws -> Void)? = nil
    ) async throws -> (S3FileStorage, bucket: String) {
        let bucket = if let bucket { bucket } else { try await S3TestServer.makeBucket() }
        let storage = S3FileStorage(
            client: try await S3TestServer.client(bucket: bucket), threadPool: .singleton,
            temporaryDirectory: FileManager.default.temporaryDirectory.appendingPathComponent("hwc3d-s3-fetch").path,
            beforeUploadingPart: beforeUploadingPart)
        return (storage, bucket)
    }

    @Test("put, get, head, delete; deleting twice is fine") func roundtrip() async throws {
        try await StorageScenarios.roundtrip(try await Self.make().0)
    }

    @Test("a missing key is nil everywhere, and notFound for a local copy") func missing() async throws {
        try await StorageScenarios.missing(try await Self.make().0)
    }

    @Test("a 20 MB putFile goes up as a 3-part multipart upload and reads back byte for byte")
    func largeFile() async throws {
        let (storage, bucket) = try await Self.make()
        let info = try await StorageScenarios.largeFile(storage)
        // S3's ETag of a multipart object ends with its part count.
        #expect(info.etag?.hasSuffix("-3\"") == true, "\(info.etag ?? "nil")")
        #expect(try await S3TestServer.pendingUploads(bucket: bucket).isEmpty)
    }

    @Test("ranged reads: inside, clamped at the end, past the end") func ranges() async throws {
        try await StorageScenarios.ranges(try await Self.make().0)
    }

    @Test("putFile of a file that is not there stores nothing") func missingSource() async throws {
        try await StorageScenarios.missingSource(try await Self.make().0)
    }

    @Test("a multipart upload whose source is cut short mid-way is aborted: no object, no pending upload")
    func truncatedSource() async throws {
        let source = try StorageScenarios.makeFile(bytes: 20_000_000)
        defer { try? FileManager.default.removeItem(atPath: source.path) }
        let bucket = try await S3TestServer.makeBucket()
        let (storage, _) = try await Self.make(bucket: bucket, beforeUploadingPart: { @Sendable (part: Int) async throws in
            guard part == 2 else { return }
            // Part 1 is in the bucket by now, under an upload the server lists as pending…
            #expect(try await S3TestServer.pendingUploads(bucket: bucket).count == 1)
            // …and the file loses its tail before part 2 is read.
            #expect(truncate(source.path, 9_000_000) == 0)
        })
        do {
            try await storage.putFile(at: source.path, key: "models/m/cut.glb", contentType: "model/gltf-binary")
            Issue.record("an upload of a truncated file succeeded")
        } catch StorageError.sourceUnreadable {
            // The read of part 2 noticed the file ended early.
        }
        #expect(try await storage.head(key: "models/m/cut.glb") == nil)
        #expect(try await S3TestServer.pendingUploads(bucket: bucket).isEmpty)
    }

    @Test("a multipart upload whose task is cancelled before its last part (a client hung up) is still aborted")
    func cancelledUpload() async throws {
        let source = try StorageScenarios.makeFile(bytes: 20_000_000)
        defer { try? FileManager.default.removeItem(atPath: source.path) }
        let reachedLastPart = AsyncStream<Void>.makeStream()
        let bucket = try await S3TestServer.makeBucket()
        let (storage, _) = try await Self.make(bucket: bucket, beforeUploadingPart: { @Sendable (part: Int) async throws in
            guard part == 3 else { return }
            reachedLastPart.continuation.yield()
            try await Task.sleep(nanoseconds: 60_000_000_000)
        })
        let upload = Task {
            try await storage.putFile(at: source.path, key: "models/m/gone.glb", contentType: "model/gltf-binary")
        }
        var events = reachedLastPart.stream.makeAsyncIterator()
        _ = await events.next()
        #expect(try await S3TestServer.pendingUploads(bucket: bucket).count == 1)
        upload.cancel()
        await #expect(throws: CancellationError.self) { try await upload.value }
        #expect(try await storage.head(key: "models/m/gone.glb") == nil)
        #expect(try await S3TestServer.pendingUploads(bucket: bucket).isEmpty)
    }

    @Test("a presigned URL works from a plain HTTP client, with Content-Disposition; altered or expired it is refused")
    func presignedURLs() async throws {
        let (storage, bucket) = try await Self.make()
        let bytes = Data((0..<1000).map { UInt8($0 % 251) })
        try await storage.put(bytes, key: "models/m/chair.glb", contentType: "model/gltf-binary")

        let url = try await storage.downloadURL(key: "models/m/chair.glb", filename: "Chair \"v2\" ü.glb", expiresIn: 600)
        #expect(url.contains("X-Amz-Signature="))
        let fetched = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        #expect(fetched.status == .ok)
        #expect(fetched.headers.first(name: "content-disposition")
            == "attachment; filename=\"Chair _v2_ _.glb\"; filename*=UTF-8''Chair%20%22v2%22%20%C3%BC.glb")
        #expect(Data(buffer: try await fetched.body.collect(upTo: 1 << 20)) == bytes)

        for (name, altered) in [
            ("another key", url.replacingOccurrences(of: "chair.glb", with: "table.glb")),
            ("a longer expiry", url.replacingOccurrences(of: "X-Amz-Expires=600", with: "X-Amz-Expires=6000")),
            ("no file name", url.replacingOccurrences(
                of: "response-content-disposition=", with: "response-content-language=")),
        ] {
            let refused = try await HTTPClient.shared.execute(HTTPClientRequest(url: altered), timeout: .seconds(30))
            #expect(refused.status == .forbidden, "\(name)")
            let body = String(buffer: try await refused.body.collect(upTo: 1 << 16))
            #expect(body.contains("SignatureDoesNotMatch"), "\(name): \(body)")
        }

        let client = try await S3TestServer.client(bucket: bucket)
        let stale = client.presignedGetURL(
            key: "models/m/chair.glb", query: [], expiresIn: 60, date: Date().addingTimeInterval(-3600))
        let expired = try await HTTPClient.shared.execute(HTTPClientRequest(url: stale), timeout: .seconds(30))
        #expect(expired.status == .forbidden)
        #expect(String(buffer: try await expired.body.collect(upTo: 1 << 16)).contains("expired"))
    }

    @Test("wrong credentials are refused by the server and surface as the service's error code")
    func wrongCredentials() async throws {
        let bucket = try await S3TestServer.makeBucket()
        let endpoint = try await S3TestServer.endpoint()
        for (keyID, secret, code) in [
            (endpoint.accessKeyID, "not-the-secret", "SignatureDoesNotMatch"),
            ("AKIAUNKNOWNKEY000000", endpoint.secretAccessKey, "InvalidAccessKeyId"),
        ] {
            let storage = S3FileStorage(
                client: try await S3TestServer.client(bucket: bucket, accessKeyID: keyID, secret: secret),
                threadPool: .singleton, temporaryDirectory: NSTemporaryDirectory())
            do {
                try await storage.put(Data("x".utf8), key: "a/b.txt", contentType: "text/plain")
                Issue.record("a put with \(code) credentials was accepted")
            } catch let StorageError.service(status, actual, _) {
                #expect(status == 403)
                #expect(actual == code)
            }
            await #expect(throws: StorageError.self) { try await storage.checkWritable() }
        }
    }

    @Test("readiness: a writable bucket passes, a missing bucket fails")
    func readiness() async throws {
        try await Self.make().0.checkWritable()
        let missing = try await Self.make(bucket: "hwc3d-no-such-bucket").0
        await #expect(throws: StorageError.self) { try await missing.checkWritable() }
        await #expect(throws: StorageError.self) { _ = try await missing.read(key: "a/b", range: nil) }
    }
}

/// What every `FileStorage` must do, whatever it stores into.
enum StorageScenarios {
    static let secret = "storage-test-secret-that-is-long-enough-0123456789"

    static func roundtrip(_ storage: some FileStorage) async throws {
        let bytes = Data("a small webp stand-in".utf8)
        try await storage.put(bytes, key: "avatars/u1-abc.webp", contentType: "image/webp")
        #expect(try await storage.get(key: "avatars/u1-abc.webp") == bytes)
        let info = try #require(try await storage.head(key: "avatars/u1-abc.webp"))
        #expect(info.size == bytes.count)
        #expect(info.contentType == "image/webp")
        #expect(info.etag != nil)

        // Overwriting replaces the content and changes the ETag.
        try await storage.put(Data("another".utf8), key: "avatars/u1-abc.webp", contentType: "image/webp")
        #expect(try await storage.get(key: "avatars/u1-abc.webp") == Data("another".utf8))
        #expect(try await storage.head(key: "avatars/u1-abc.webp")?.etag != info.etag)

        try await storage.delete(key: "avatars/u1-abc.webp")
        #expect(try await storage.get(key: "avatars/u1-abc.webp") == nil)
        #expect(try await storage.head(key: "avatars/u1-abc.webp") == nil)
        try await storage.delete(key: "avatars/u1-abc.webp")
        try await storage.checkWritable()
    }

    static func missing(_ storage: some FileStorage) async throws {
        #expect(try await storage.get(key: "models/none/file.glb") == nil)
        #expect(try await storage.head(key: "models/none/file.glb") == nil)
        #expect(try await storage.read(key: "models/none/file.glb", range: nil) == nil)
        #expect(try await storage.read(key: "models/none/file.glb", range: 0...10) == nil)
        await #expect(throws: StorageError.notFound(key: "models/none/file.glb")) {
            _ = try await storage.fetchToLocalFile(key: "models/none/file.glb")
        }
        // Keys that could escape the storage root never reach it.
        for unsafe in ["../x", "/etc/passwd", "a//b", "a/./b", "a\\b", ""] {
            await #expect(throws: (any Error).self, "\(unsafe)") { _ = try await storage.get(key: unsafe) }
        }
    }

    @discardableResult
    static func largeFile(_ storage: some FileStorage) async throws -> StoredObjectInfo {
        let source = try makeFile(bytes: 20_000_000)
        defer { try? FileManager.default.removeItem(atPath: source.path) }
        let key = "models/m/files/big.glb"
        try await storage.putFile(at: source.path, key: key, contentType: "model/gltf-binary")

        let info = try #require(try await storage.head(key: key))
        #expect(info.size == 20_000_000)
        let body = try #require(try await storage.read(key: key, range: nil))
        #expect(body.range == 0..<20_000_000)
        #expect(!body.isPartial)
        var hash = SHA256()
        var count = 0
        for try await chunk in body.bytes {
            hash.update(data: chunk)
            count += chunk.count
        }
        #expect(count == 20_000_000)
        #expect(Data(hash.finalize()) == source.sha256)

        let copy = try await storage.fetchToLocalFile(key: key)
        #expect(Data(SHA256.hash(data: try Data(contentsOf: URL(fileURLWithPath: copy.path)))) == source.sha256)
        copy.discard()
        // The caller's file is still theirs.
        #expect(FileManager.default.fileExists(atPath: source.path))
        try await storage.delete(key: key)
        return info
    }

    static func ranges(_ storage: some FileStorage) async throws {
        let bytes = Data((0..<100).map { UInt8($0) })
        try await storage.put(bytes, key: "models/m/r.bin", contentType: "application/octet-stream")

        func read(_ range: ClosedRange<Int>) async throws -> (Range<Int>, Data, Int) {
            let body = try #require(try await storage.read(key: "models/m/r.bin", range: range))
            return (body.range, try await Data(collecting: body.bytes, upTo: 1000), body.info.size)
        }
        var (served, data, size) = try await read(0...9)
        #expect(served == 0..<10 && data == bytes[0..<10] && size == 100)
        (served, data, size) = try await read(95...500)
        #expect(served == 95..<100 && data == bytes[95..<100] && size == 100)
        (served, data, _) = try await read(99...99)
        #expect(served == 99..<100 && data == Data([99]))
        await #expect(throws: StorageError.rangeNotSatisfiable(size: 100)) {
            _ = try await storage.read(key: "models/m/r.bin", range: 100...120)
        }
    }

    static func missingSource(_ storage: some FileStorage) async throws {
        await #expect(throws: StorageError.self) {
            try await storage.putFile(at: "/nonexistent/\(UUID().uuidString)", key: "models/m/x.glb", contentType: "model/gltf-binary")
        }
        #expect(try await storage.head(key: "models/m/x.glb") == nil)
    }

    /// A file of pseudo-random bytes (fast to make, incompressible enough) and its SHA-256.
    static func makeFile(bytes count: Int) throws -> (path: String, sha256: Data) {
        var state: UInt64 = UInt64.random(in: 1...UInt64.max)
        var data = Data(count: count)
        data.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for index in 0..<words.count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                words[index] = state
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hwc3d-src-\(UUID().uuidString)").path
        try data.write(to: URL(fileURLWithPath: path))
        return (path, Data(SHA256.hash(data: data)))
    }
}
