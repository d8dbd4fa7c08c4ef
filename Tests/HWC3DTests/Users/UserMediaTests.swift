import CVips
import Fluent
import Foundation
import NIOCore
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Avatar and banner uploads")
struct UserMediaTests {
    @Test("a 600x400 PNG becomes a 256x256 WEBP avatar served immutable from /media; JPEG works too")
    func uploadAvatar() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let response = try await upload(server, .avatar, Fixture.png(width: 600, height: 400), token: alice.accessToken)
            #expect(response.status == .ok, "\(response.text)")
            let avatarURL = try #require(try response.object()["avatar_url"] as? String)
            let prefix = "http://api.test/media/avatars/\(alice.id)-"
            #expect(avatarURL.hasPrefix(prefix), "\(avatarURL)")
            #expect(avatarURL.hasSuffix(".webp"))
            let random = avatarURL.dropFirst(prefix.count).dropLast(".webp".count)
            #expect(random.count == 8 && random.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }, "\(random)")
            let file = String(avatarURL.split(separator: "/").last!)

            let row = try #require(try await User.find(UUID(uuidString: alice.id), on: server.app.db))
            #expect(row.avatarKey == "avatars/\(file)")
            #expect(try storedFiles(server, "avatars") == [file])
            let stored = try Data(contentsOf: server.dataDir.appendingPathComponent("storage/avatars/\(file)"))
            #expect(Array(stored.prefix(4)) == Array("RIFF".utf8))
            #expect(Array(stored[8..<12]) == Array("WEBP".utf8))
            let size = try #require(Vips.dimensions(of: [UInt8](stored)))
            #expect(size.width == 256 && size.height == 256)

            let served = try await server.request(.GET, "/media/avatars/\(file)")
            #expect(served.status == .ok)
            #expect(served.headers.contentType?.description == "image/webp")
            #expect(Data(buffer: served.body) == stored)

            let me = try await server.request(.GET, "/api/v1/users/me", token: alice.accessToken).object()
            #expect(me["avatar_url"] as? String == avatarURL)
            let profile = try await server.request(.GET, "/api/v1/users/alice").object()
            #expect(profile["avatar_url"] as? String == avatarURL)

            let jpeg = try #require(Vips.convert(Fixture.png(width: 320, height: 640), to: .jpeg))
            #expect(jpeg.starts(with: [0xFF, 0xD8, 0xFF]))
            let fromJPEG = try await upload(server, .avatar, jpeg, filename: "photo.jpg", contentType: "image/jpeg", token: alice.accessToken)
            #expect(fromJPEG.status == .ok, "\(fromJPEG.text)")
            let jpegFile = try #require((try fromJPEG.object()["avatar_url"] as? String)?.split(separator: "/").last.map(String.init))
            let jpegStored = try [UInt8](Data(contentsOf: server.dataDir.appendingPathComponent("storage/avatars/\(jpegFile)")))
            let jpegSize = try #require(Vips.dimensions(of: jpegStored))
            #expect(jpegSize.width == 256 && jpegSize.height == 256)
        }
    }

    @Test("/media responses carry Cache-Control: public, max-age=31536000, immutable as a literal header value")
    func mediaCacheControl() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let uploaded = try await upload(server, .avatar, Fixture.png(width: 40, height: 40), token: alice.accessToken)
            let file = try #require((try uploaded.object()["avatar_url"] as? String)?.split(separator: "/").last.map(String.init))
            let served = try await server.request(.GET, "/media/avatars/\(file)")
            #expect(served.status == .ok)
            #expect(served.headers.first(name: "Cache-Control") == "public, max-age=31536000, immutable")
        }
    }

    @Test("a second upload gets a new key and deletes the old file; DELETE removes the avatar and its file, idempotently")
    func replaceAndDelete() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let first = try await upload(server, .avatar, Fixture.png(width: 64, height: 64), token: alice.accessToken)
            #expect(first.status == .ok)
            let firstFile = try #require((try first.object()["avatar_url"] as? String)?.split(separator: "/").last.map(String.init))
            let second = try await upload(server, .avatar, Fixture.png(width: 300, height: 300), token: alice.accessToken)
            #expect(second.status == .ok)
            let secondFile = try #require((try second.object()["avatar_url"] as? String)?.split(separator: "/").last.map(String.init))
            #expect(firstFile != secondFile)
            #expect(try storedFiles(server, "avatars") == [secondFile])
            #expect(try await server.request(.GET, "/media/avatars/\(firstFile)").status == .notFound)
            #expect(try await server.request(.GET, "/media/avatars/\(secondFile)").status == .ok)
            #expect(try await User.find(UUID(uuidString: alice.id), on: server.app.db)?.avatarKey == "avatars/\(secondFile)")

            for _ in 0..<2 {
                let removed = try await server.request(.DELETE, "/api/v1/users/me/avatar", token: alice.accessToken)
                #expect(removed.status == .ok)
                let body = try removed.object()
                #expect(body["avatar_url"] == nil)
                #expect(body["username"] as? String == "alice")
            }
            #expect(try storedFiles(server, "avatars").isEmpty)
            #expect(try await User.find(UUID(uuidString: alice.id), on: server.app.db)?.avatarKey == nil)
            #expect(try await server.request(.GET, "/media/avatars/\(secondFile)").status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/users/me", token: alice.accessToken).object()["avatar_url"] == nil)
            #expect(try await server.request(.DELETE, "/api/v1/users/me/avatar").status == .unauthorized)
        }
    }

    @Test("over 2 MB is 413 (whole body or file part) and leaves storage and the row as they were")
    func tooLarge() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let kept = try await upload(server, .avatar, Fixture.png(width: 32, height: 32), token: alice.accessToken)
            #expect(kept.status == .ok)
            let keptFile = try #require((try kept.object()["avatar_url"] as? String)?.split(separator: "/").last.map(String.init))
            let before = try #require(try await User.find(UUID(uuidString: alice.id), on: server.app.db))

            let threeMB = Fixture.pngMagic + [UInt8](repeating: 0x41, count: 3 << 20)
            let huge = try await upload(server, .avatar, threeMB, token: alice.accessToken)
            #expect(huge.status == .payloadTooLarge)
            #expect(huge.problemType == "payload-too-large")
            // Within the body allowance for multipart overhead, but the file part itself is over 2 MB.
            let justOver = Fixture.pngMagic + [UInt8](repeating: 0x42, count: (2 << 20) + 100 - Fixture.pngMagic.count)
            let over = try await upload(server, .avatar, justOver, token: alice.accessToken)
            #expect(over.status == .payloadTooLarge)
            #expect(over.problemType == "payload-too-large")

            #expect(try storedFiles(server, "avatars") == [keptFile])
            let after = try #require(try await User.find(UUID(uuidString: alice.id), on: server.app.db))
            #expect(after.avatarKey == before.avatarKey)
            #expect(after.updatedAt == before.updatedAt)
        }
    }

    @Test("the type comes from the bytes: GIF, text and PDF named .png are 415; WEBP is 415 for avatars but fine for banners")
    func contentSniffing() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let gif: [UInt8] = Array("GIF89a".utf8) + [0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x2C,
                                                      0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B]
            let text = Array("hello, I am definitely a PNG\n".utf8)
            let pdf = Array("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".utf8)
            for (label, bytes) in [("gif", gif), ("text", text), ("pdf", pdf)] {
                let response = try await upload(server, .avatar, bytes, filename: "x.png", contentType: "image/png", token: alice.accessToken)
                #expect(response.status == .unsupportedMediaType, "\(label): \(response.status) \(response.text)")
                #expect(response.problemType == "unsupported-media-type", "\(label)")
            }

            let webp = try #require(Vips.convert(Fixture.png(width: 400, height: 200), to: .webp))
            let avatar = try await upload(server, .avatar, webp, filename: "x.webp", contentType: "image/webp", token: alice.accessToken)
            #expect(avatar.status == .unsupportedMediaType)
            #expect(avatar.problemType == "unsupported-media-type")
            #expect(try storedFiles(server, "avatars").isEmpty)

            let banner = try await upload(server, .banner, webp, filename: "x.webp", contentType: "image/webp", token: alice.accessToken)
            #expect(banner.status == .ok, "\(banner.text)")
            let bannerURL = try #require(try banner.object()["banner_url"] as? String)
            #expect(bannerURL.hasPrefix("http://api.test/media/banners/\(alice.id)-"))
            let bannerFile = String(bannerURL.split(separator: "/").last!)
            #expect(try storedFiles(server, "banners") == [bannerFile])
            let stored = try [UInt8](Data(contentsOf: server.dataDir.appendingPathComponent("storage/banners/\(bannerFile)")))
            // Banners are never scaled up.
            let size = try #require(Vips.dimensions(of: stored))
            #expect(size.width == 400 && size.height == 200)
            #expect(try await server.request(.GET, "/media/banners/\(bannerFile)").status == .ok)

            // A wide PNG banner is scaled down to 1920 pixels.
            let wide = try await upload(server, .banner, Fixture.png(width: 2400, height: 300), token: alice.accessToken)
            #expect(wide.status == .ok, "\(wide.text)")
            let wideFile = try #require((try wide.object()["banner_url"] as? String)?.split(separator: "/").last.map(String.init))
            #expect(try storedFiles(server, "banners") == [wideFile])
            let wideSize = try #require(Vips.dimensions(of: [UInt8](Data(contentsOf: server.dataDir.appendingPathComponent("storage/banners/\(wideFile)")))))
            #expect(wideSize.width == 1920 && wideSize.height == 240)
        }
    }

    @Test("PNG magic with garbage, and a decompression bomb (100000x100000 header), are 422 and store nothing")
    func undecodable() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let garbage = Fixture.pngMagic + [UInt8]((0..<4000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            let broken = try await upload(server, .avatar, garbage, token: alice.accessToken)
            #expect(broken.status == .unprocessableEntity, "\(broken.text)")
            #expect(broken.problemType == "validation")
            #expect(broken.fieldErrors == ["file"])

            let bomb = Fixture.png(width: 100_000, height: 100_000, rawScanlines: [UInt8](repeating: 0, count: 4096))
            #expect(bomb.count < 10_000)
            let started = Date()
            let refused = try await upload(server, .avatar, bomb, token: alice.accessToken)
            #expect(refused.status == .unprocessableEntity, "\(refused.text)")
            #expect(refused.fieldErrors == ["file"])
            #expect(refused.text.contains("megapixels"), "\(refused.text)")
            #expect(Date().timeIntervalSince(started) < 5)
            let bannerBomb = try await upload(server, .banner, bomb, token: alice.accessToken)
            #expect(bannerBomb.status == .unprocessableEntity)

            #expect(try storedFiles(server, "avatars").isEmpty)
            #expect(try storedFiles(server, "banners").isEmpty)
            let row = try #require(try await User.find(UUID(uuidString: alice.id), on: server.app.db))
            #expect(row.avatarKey == nil && row.bannerKey == nil)
        }
    }

    @Test("a truncated PNG (valid header, two thirds of the pixel data missing) is 422 and stores nothing")
    func truncatedImage() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let real = Fixture.png(width: 200, height: 200)
            let truncated = try await upload(server, .avatar, Array(real.prefix(real.count / 3)), token: alice.accessToken)
            #expect(truncated.status == .unprocessableEntity, "\(truncated.status) \(truncated.text)")
            #expect(truncated.fieldErrors == ["file"])
            #expect(try storedFiles(server, "avatars").isEmpty)
            #expect(try await User.find(UUID(uuidString: alice.id), on: server.app.db)?.avatarKey == nil)
        }
    }

    @Test("erasing the account deletes its avatar and banner files")
    func erasureDeletesFiles() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            #expect(try await upload(server, .avatar, Fixture.png(width: 50, height: 50), token: alice.accessToken).status == .ok)
            #expect(try await upload(server, .banner, Fixture.png(width: 500, height: 100), token: alice.accessToken).status == .ok)
            #expect(try storedFiles(server, "avatars").count == 1)
            #expect(try storedFiles(server, "banners").count == 1)
            let erased = try await server.request(.DELETE, "/api/v1/users/me", json: ["password": alice.password], token: alice.accessToken)
            #expect(erased.status == .noContent)
            #expect(try storedFiles(server, "avatars").isEmpty)
            #expect(try storedFiles(server, "banners").isEmpty)
            let row = try #require(try await User.find(UUID(uuidString: alice.id), on: server.app.db))
            #expect(row.avatarKey == nil && row.bannerKey == nil)
        }
    }

    @Test("a request without a file part is 422; not multipart is 415 or 400; signed out is 401; never a 500")
    func malformedRequests() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let png = Fixture.png(width: 16, height: 16)

            let noFile = MultipartForm(parts: [.init(name: "caption", filename: nil, contentType: nil, data: Array("hi".utf8))])
            let missing = try await server.request(
                .PUT, "/api/v1/users/me/avatar", body: noFile.body, token: alice.accessToken, headers: [("Content-Type", noFile.contentType)])
            #expect(missing.status == .unprocessableEntity, "\(missing.status) \(missing.text)")
            #expect(missing.fieldErrors == ["file"], "\(missing.text)")

            let emptyFile = MultipartForm(parts: [.init(name: "file", filename: "x.png", contentType: "image/png", data: [])])
            let empty = try await server.request(
                .PUT, "/api/v1/users/me/avatar", body: emptyFile.body, token: alice.accessToken, headers: [("Content-Type", emptyFile.contentType)])
            #expect(empty.status == .unprocessableEntity, "\(empty.status) \(empty.text)")

            let asJSON = try await server.request(.PUT, "/api/v1/users/me/avatar", json: ["file": "iVBORw0KGgo="], token: alice.accessToken)
            #expect([.unsupportedMediaType, .badRequest].contains(asJSON.status), "\(asJSON.status) \(asJSON.text)")
            #expect(asJSON.headers.contentType?.description.hasPrefix("application/problem+json") == true)
            let raw = try await server.request(
                .PUT, "/api/v1/users/me/avatar", body: ByteBuffer(bytes: png), token: alice.accessToken, headers: [("Content-Type", "image/png")])
            #expect([.unsupportedMediaType, .badRequest].contains(raw.status), "\(raw.status) \(raw.text)")

            let noBoundary = try await server.request(
                .PUT, "/api/v1/users/me/avatar", body: ByteBuffer(bytes: png), token: alice.accessToken,
                headers: [("Content-Type", "multipart/form-data")])
            #expect([.badRequest, .unsupportedMediaType, .unprocessableEntity].contains(noBoundary.status), "\(noBoundary.status) \(noBoundary.text)")
            let wrongBoundary = MultipartForm(parts: [.init(name: "file", filename: "x.png", contentType: "image/png", data: png)])
            let mismatched = try await server.request(
                .PUT, "/api/v1/users/me/avatar", body: wrongBoundary.body, token: alice.accessToken,
                headers: [("Content-Type", "multipart/form-data; boundary=not-the-one")])
            #expect([.badRequest, .unprocessableEntity].contains(mismatched.status), "\(mismatched.status) \(mismatched.text)")

            let signedOut = try await upload(server, .avatar, png, token: nil)
            #expect(signedOut.status == .unauthorized)
            #expect(signedOut.problemType == "unauthenticated")
            let badToken = try await upload(server, .avatar, png, token: "forged")
            #expect(badToken.status == .unauthorized)

            // Extra parts beside `file` are ignored.
            let extra = MultipartForm(parts: [
                .init(name: "caption", filename: nil, contentType: nil, data: Array("me".utf8)),
                .init(name: "file", filename: "x.png", contentType: "application/octet-stream", data: png),
            ])
            let withExtra = try await server.request(
                .PUT, "/api/v1/users/me/avatar", body: extra.body, token: alice.accessToken, headers: [("Content-Type", extra.contentType)])
            #expect(withExtra.status == .ok, "\(withExtra.text)")
            #expect(try storedFiles(server, "avatars").count == 1)
        }
    }

    @Test("/media answers 404 for other kinds, traversal, non-webp names and unknown files")
    func mediaPaths() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            #expect(try await upload(server, .avatar, Fixture.png(width: 20, height: 20), token: alice.accessToken).status == .ok)
            try Data("TOP-SECRET-CONTENT-42".utf8).write(to: server.dataDir.appendingPathComponent("storage/avatars/notes.txt"))
            try Data("TOP-SECRET-CONTENT-42".utf8).write(to: server.dataDir.appendingPathComponent("storage/private.webp"))
            for path in [
                "/media/other/x.webp", "/media/avatars/nothing.webp", "/media/avatars/notes.txt", "/media/avatars/..%2F..%2Fhwc3d.sqlite",
                "/media/avatars/..%2Fprivate.webp", "/media/avatars/%2E%2E%2Fprivate.webp", "/media/avatars/%2E%2E",
            ] {
                let response = try await server.request(.GET, path)
                #expect(response.status == .notFound, "\(path): \(response.status)")
                #expect(!response.text.contains("TOP-SECRET-CONTENT-42"), "\(path)")
            }
        }
    }
}

// MARK: - helpers

private enum UploadKind: String {
    case avatar, banner
}

private func upload(
    _ server: TestServer, _ kind: UploadKind, _ bytes: [UInt8], filename: String = "x.png", contentType: String = "image/png",
    token: String?
) async throws -> TestResponse {
    let form = MultipartForm(parts: [.init(name: "file", filename: filename, contentType: contentType, data: bytes)])
    return try await server.request(
        .PUT, "/api/v1/users/me/\(kind.rawValue)", body: form.body, token: token, headers: [("Content-Type", form.contentType)])
}

/// Files under `$DATA_DIR/storage/<kind>`, ignoring the temporary files of atomic writes.
private func storedFiles(_ server: TestServer, _ kind: String) throws -> [String] {
    let directory = server.dataDir.appendingPathComponent("storage/\(kind)")
    guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
    return try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".webp") }.sorted()
}


/// Test images made here, so nothing binary lives in the repository.
private enum Fixture {
    static let pngMagic: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// An 8-bit RGB PNG with a gradient, compressed with stored (uncompressed) deflate blocks.
    static func png(width: Int, height: Int) -> [UInt8] {
        var raw = [UInt8]()
        raw.reserveCapacity((width * 3 + 1) * height)
        for y in 0..<height {
            raw.append(0)  // filter: none
            for x in 0..<width {
                raw.append(UInt8(truncatingIfNeeded: x * 255 / max(1, width - 1)))
                raw.append(UInt8(truncatingIfNeeded: y * 255 / max(1, height - 1)))
                raw.append(UInt8(truncatingIfNeeded: (x ^ y) & 0xFF))
            }
        }
        return png(width: width, height: height, rawScanlines: raw)
    }

    /// A PNG whose IHDR claims `width`x`height` whatever the (possibly far too short) pixel data says.
    static func png(width: Int, height: Int, rawScanlines: [UInt8]) -> [UInt8] {
        var ihdr = [UInt8]()
        ihdr += bigEndian(UInt32(width))
        ihdr += bigEndian(UInt32(height))
        ihdr += [8, 2, 0, 0, 0]  // 8-bit depth, truecolour, deflate, adaptive filtering, no interlace
        return pngMagic + chunk("IHDR", ihdr) + chunk("IDAT", zlibStored(rawScanlines)) + chunk("IEND", [])
    }

    static func zlibStored(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let length = min(65_535, data.count - offset)
            let final: UInt8 = offset + length == data.count ? 1 : 0
            out.append(final)
            out += [UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
            out += data[offset..<offset + length]
            offset += length
        } while offset < data.count
        return out + bigEndian(adler32(data))
    }

    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        return bigEndian(UInt32(data.count)) + typeBytes + data + bigEndian(crc32(typeBytes + data))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static let crcTable: [UInt32] = (0..<256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    static func adler32(_ bytes: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        return (b << 16) | a
    }
}

/// libvips through the application's C module, to make JPEG/WEBP inputs and to read back what was stored.
private enum Vips {
    enum Output { case jpeg, webp }

    static let ready: Bool = vips_init("hwc3d-tests") == 0

    static func dimensions(of bytes: [UInt8]) -> (width: Int, height: Int)? {
        guard ready else { return nil }
        var copy = bytes
        return copy.withUnsafeMutableBytes { raw -> (Int, Int)? in
            defer { vips_error_clear() }
            guard let image = hwc3d_vips_image_new_from_buffer(raw.baseAddress, raw.count) else { return nil }
            defer { hwc3d_g_object_unref(image) }
            return (Int(vips_image_get_width(image)), Int(vips_image_get_height(image)))
        }
    }

    static func convert(_ bytes: [UInt8], to output: Output) -> [UInt8]? {
        guard ready else { return nil }
        var copy = bytes
        return copy.withUnsafeMutableBytes { raw -> [UInt8]? in
            defer { vips_error_clear() }
            guard let image = hwc3d_vips_image_new_from_buffer(raw.baseAddress, raw.count) else { return nil }
            defer { hwc3d_g_object_unref(image) }
            var buffer: UnsafeMutableRawPointer?
            var length = 0
            let status = switch output {
            case .jpeg: hwc3d_vips_jpegsave_buffer(image, &buffer, &length, 85)
            case .webp: hwc3d_vips_webpsave_buffer(image, &buffer, &length, 80)
            }
            guard status == 0, let buffer else { return nil }
            defer { g_free(buffer) }
            return [UInt8](UnsafeRawBufferPointer(start: buffer, count: length))
        }
    }
}
