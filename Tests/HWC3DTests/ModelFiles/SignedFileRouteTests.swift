import AsyncHTTPClient
import Foundation
import Testing
import VaporTesting

@testable import HWC3D

/// Downloads through signed links on local storage, over HTTP: what a browser or a download manager sees.
@Suite("Signed download links: GET /api/v1/files/{token}")
struct SignedFileRouteTests {
    static let bytes = Data((0..<100).map { UInt8($0) })
    static let key = "models/0190f3a2-6c1e-7b4a-9d2e-3f5a8c7b1e42/files/chair.glb"

    /// Stores the file and returns the path of a fresh link to it.
    static func link(_ server: TestServer, filename: String = "chair.glb", key: String = key) async throws -> String {
        try await server.app.services.storage.put(bytes, key: Self.key, contentType: "model/gltf-binary")
        let url = try await server.app.services.storage.downloadURL(key: key, filename: filename, expiresIn: 600)
        #expect(url.hasPrefix(server.settings.publicURL + "/api/v1/files/"))
        return String(url.dropFirst(server.settings.publicURL.count))
    }

    /// A token signed with the server's key, as the server would make it, for links it would never make itself.
    static func token(_ server: TestServer, key: String, filename: String = "chair.glb", expiresAt: Date) -> String {
        DownloadLinkSigner(serverSecret: server.settings.jwtSecret).token(
            for: .init(key: key, filename: filename, expiresAt: Int(expiresAt.timeIntervalSince1970)))
    }

    @Test("the whole file: 200 with the bytes, attachment name, Accept-Ranges and no caching")
    func wholeFile() async throws {
        try await withServer { server in
            let response = try await server.request(.GET, try await Self.link(server))
            #expect(response.status == .ok)
            #expect(Data(buffer: response.body) == Self.bytes)
            #expect(response.headers.first(name: "Content-Disposition") == "attachment; filename=\"chair.glb\"")
            #expect(response.headers.first(name: "Accept-Ranges") == "bytes")
            #expect(response.headers.first(name: "Cache-Control") == "private, no-store")
            #expect(response.headers.first(name: "Content-Type") == "application/octet-stream")
            #expect(response.headers.first(name: "Content-Length") == "100")
            // No session was involved, and none is needed.
            #expect(response.headers[.setCookie].isEmpty)
        }
    }

    @Test("one byte range in each of its three forms: 206 with Content-Range")
    func ranges() async throws {
        try await withServer { server in
            let path = try await Self.link(server)
            for (header, expected, contentRange) in [
                ("bytes=0-9", 0..<10, "bytes 0-9/100"),
                ("bytes=90-", 90..<100, "bytes 90-99/100"),
                ("bytes=-5", 95..<100, "bytes 95-99/100"),
                ("bytes=50-1000", 50..<100, "bytes 50-99/100"),
                ("bytes=0-", 0..<100, "bytes 0-99/100"),
            ] {
                let response = try await server.request(.GET, path, headers: [("Range", header)])
                #expect(response.status == .partialContent, "\(header)")
                #expect(response.headers.first(name: "Content-Range") == contentRange, "\(header)")
                #expect(Data(buffer: response.body) == Self.bytes[expected], "\(header)")
                #expect(response.headers.first(name: "Content-Length") == String(expected.count), "\(header)")
                #expect(response.headers.first(name: "Content-Disposition") == "attachment; filename=\"chair.glb\"")
            }
        }
    }

    @Test("several ranges, or a Range that does not parse, get the whole file")
    func rangesServedWhole() async throws {
        try await withServer { server in
            let path = try await Self.link(server)
            for header in ["bytes=0-1,5-6", "bytes=abc", "bytes=9-2", "items=0-5", "bytes=--5"] {
                let response = try await server.request(.GET, path, headers: [("Range", header)])
                #expect(response.status == .ok, "\(header)")
                #expect(Data(buffer: response.body) == Self.bytes, "\(header)")
            }
        }
    }

    @Test("a range past the end: 416 with Content-Range bytes */size")
    func unsatisfiable() async throws {
        try await withServer { server in
            let path = try await Self.link(server)
            for header in ["bytes=100-", "bytes=150-200", "bytes=-0"] {
                let response = try await server.request(.GET, path, headers: [("Range", header)])
                #expect(response.status == .rangeNotSatisfiable, "\(header)")
                #expect(response.headers.first(name: "Content-Range") == "bytes */100", "\(header)")
                #expect(response.problemType == "range-not-satisfiable", "\(header)")
            }
        }
    }

    @Test("an expired link: 403 download-link-expired")
    func expired() async throws {
        try await withServer { server in
            _ = try await Self.link(server)
            let token = Self.token(server, key: Self.key, expiresAt: Date().addingTimeInterval(-1))
            let response = try await server.request(.GET, "/api/v1/files/\(token)")
            #expect(response.status == .forbidden)
            #expect(response.problemType == "download-link-expired")
        }
    }

    @Test("a tampered link: 403 invalid-download-link, whatever was changed")
    func tampered() async throws {
        try await withServer { server in
            let path = try await Self.link(server)
            let token = String(path.dropFirst("/api/v1/files/".count))
            let parts = token.split(separator: ".").map(String.init)
            let longer = Self.token(server, key: Self.key, expiresAt: Date().addingTimeInterval(86_400 * 365))
            let otherFile = Self.token(server, key: "models/other/files/x.glb", expiresAt: Date().addingTimeInterval(600))
            var flipped = Array(parts[1])
            flipped[0] = flipped[0] == "A" ? "B" : "A"
            for (name, candidate) in [
                ("MAC of another payload", longer.split(separator: ".")[0] + "." + parts[1]),
                ("payload of another link", parts[0] + "." + otherFile.split(separator: ".")[1]),
                ("one MAC character", parts[0] + "." + String(flipped)),
                ("no MAC", parts[0]),
                ("garbage", "not-a-token"),
            ] {
                let response = try await server.request(.GET, "/api/v1/files/\(candidate)")
                #expect(response.status == .forbidden, "\(name)")
                #expect(response.problemType == "invalid-download-link", "\(name)")
            }
            let other = DownloadLinkSigner(serverSecret: "another-secret-that-is-long-enough-0123456789").token(
                for: .init(key: Self.key, filename: "chair.glb", expiresAt: Int(Date().timeIntervalSince1970) + 600))
            let response = try await server.request(.GET, "/api/v1/files/\(other)")
            #expect(response.problemType == "invalid-download-link", "signed by another server")
        }
    }

    @Test("a correctly signed token for a key with .. (or any key storage would refuse) is refused")
    func traversal() async throws {
        try await withServer { server in
            try Data("secret".utf8).write(to: server.dataDir.appendingPathComponent("jwt-secret-copy"))
            for key in ["../jwt-secret-copy", "models/../../jwt-secret-copy", "/etc/passwd", "models//x"] {
                let token = Self.token(server, key: key, expiresAt: Date().addingTimeInterval(600))
                let response = try await server.request(.GET, "/api/v1/files/\(token)")
                #expect(response.status == .forbidden, "\(key)")
                #expect(response.problemType == "invalid-download-link", "\(key)")
                #expect(!response.text.contains("secret"))
            }
        }
    }

    @Test("a valid link to a file that is gone: 404")
    func gone() async throws {
        try await withServer { server in
            let path = try await Self.link(server)
            try await server.app.services.storage.delete(key: Self.key)
            #expect(try await server.request(.GET, path).status == .notFound)
            #expect(try await server.request(.GET, path, headers: [("Range", "bytes=0-1")]).status == .notFound)
        }
    }

    @Test("a file name that is not plain ASCII travels as filename*, and cannot break the header")
    func filenames() async throws {
        try await withServer { server in
            for (filename, expected) in [
                ("Stuhl ü.glb", "attachment; filename=\"Stuhl _.glb\"; filename*=UTF-8''Stuhl%20%C3%BC.glb"),
                ("a\"b\r\nSet-Cookie: x=1.glb", "attachment; filename=\"a_bSet-Cookie: x=1.glb\"; filename*=UTF-8''a%22bSet-Cookie%3A%20x%3D1.glb"),
                ("../../etc/passwd", "attachment; filename=\"_.._etc_passwd\""),
            ] {
                let response = try await server.request(.GET, try await Self.link(server, filename: filename))
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "Content-Disposition") == expected, "\(filename)")
                #expect(response.headers[.setCookie].isEmpty)
            }
        }
    }
}

@Suite("A whole server on S3 storage", .enabled(S3TestServer.skipMessage, { await S3TestServer.shouldRun() }))
struct ServerOnS3StorageTests {
    @Test("ready checks the bucket; download links are presigned S3 URLs; /files links read from S3 as well")
    func serverOnS3() async throws {
        let endpoint = try await S3TestServer.endpoint()
        try await withServer(try await S3TestServer.serverOverrides()) { server in
            let storage = server.app.services.storage
            #expect(storage is S3FileStorage)
            let ready = try await server.request(.GET, "/ready")
            #expect(ready.status == .ok, "\(ready.text)")

            try await storage.put(SignedFileRouteTests.bytes, key: SignedFileRouteTests.key, contentType: "model/gltf-binary")
            let url = try await storage.downloadURL(
                key: SignedFileRouteTests.key, filename: "chair.glb", expiresIn: server.settings.downloadURLTTLSeconds)
            #expect(url.hasPrefix(endpoint.url + "/"))
            #expect(url.contains("X-Amz-Expires=600"))
            let fetched = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
            #expect(fetched.status == .ok)
            #expect(fetched.headers.first(name: "content-disposition") == "attachment; filename=\"chair.glb\"")
            #expect(Data(buffer: try await fetched.body.collect(upTo: 1 << 20)) == SignedFileRouteTests.bytes)

            let token = SignedFileRouteTests.token(server, key: SignedFileRouteTests.key, expiresAt: Date().addingTimeInterval(600))
            let ranged = try await server.request(.GET, "/api/v1/files/\(token)", headers: [("Range", "bytes=10-19")])
            #expect(ranged.status == .partialContent)
            #expect(ranged.headers.first(name: "Content-Range") == "bytes 10-19/100")
            #expect(Data(buffer: ranged.body) == SignedFileRouteTests.bytes[10..<20])
        }
    }
}

@Suite("Storage settings")
struct StorageSettingsTests {
    static let base = [
        "STORAGE": "s3", "JWT_SECRET": String(repeating: "x", count: 40), "S3_BUCKET": "models",
        "S3_ACCESS_KEY_ID": "AKID", "S3_SECRET_ACCESS_KEY": "the-secret",
    ]

    @Test("local storage and 10-minute links by default")
    func defaults() throws {
        let settings = try Settings.load(from: ["JWT_SECRET": String(repeating: "x", count: 40)])
        #expect(settings.storage == .local)
        #expect(settings.s3 == nil)
        #expect(settings.downloadURLTTLSeconds == 600)
    }

    @Test("S3: AWS's regional endpoint and virtual-hosted style unless an endpoint is given; the secret never printed")
    func s3Defaults() throws {
        var env = Self.base
        env["S3_REGION"] = "eu-west-3"
        let aws = try #require(try Settings.load(from: env).s3)
        #expect(aws.endpoint == "https://s3.eu-west-3.amazonaws.com")
        #expect(!aws.pathStyle)
        #expect(!"\(aws)".contains("the-secret"))
        env["S3_ENDPOINT"] = "http://127.0.0.1:9000/"
        let minio = try #require(try Settings.load(from: env).s3)
        #expect(minio.endpoint == "http://127.0.0.1:9000")
        #expect(minio.pathStyle)
        env["S3_PATH_STYLE"] = "false"
        #expect(try Settings.load(from: env).s3?.pathStyle == false)
    }

    @Test("STORAGE=s3 without its settings stops the server, naming the variable")
    func missingSettings() throws {
        for (variable, value) in [
            ("S3_BUCKET", nil), ("S3_ACCESS_KEY_ID", nil), ("S3_SECRET_ACCESS_KEY", nil), ("S3_BUCKET", "No_Such"),
            ("S3_ENDPOINT", "ftp://x"), ("S3_PATH_STYLE", "maybe"), ("DOWNLOAD_URL_TTL_SECONDS", "999999999"),
            ("STORAGE", "floppy"),
        ] as [(String, String?)] {
            var env = Self.base
            env[variable] = value
            do {
                _ = try Settings.load(from: env)
                Issue.record("loaded with \(variable)=\(value ?? "(unset)")")
            } catch let invalid as Settings.Invalid {
                #expect(invalid.variable == variable)
                #expect(!invalid.description.contains("the-secret"))
            }
        }
    }
}
