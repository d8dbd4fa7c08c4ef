import Foundation
import NIOCore
import NIOPosix
import PostgresNIO
import Testing
import VaporTesting

@testable import HWC3D

/// One application per test, on its own database (a temp SQLite file, or a fresh PostgreSQL database when
/// `HWC3D_TEST_DATABASE=postgres`), its own data directory, and its own settings. Tests run in parallel.
final class TestServer: @unchecked Sendable {
    let app: Application
    let dataDir: URL
    let settings: Settings
    private let postgresDatabase: String?

    static var usesPostgres: Bool { ProcessInfo.processInfo.environment["HWC3D_TEST_DATABASE"] == "postgres" }

    static let frontend = "http://frontend.test"

    private init(app: Application, dataDir: URL, settings: Settings, postgresDatabase: String?) {
        self.app = app
        self.dataDir = dataDir
        self.settings = settings
        self.postgresDatabase = postgresDatabase
    }

    static func start(_ overrides: [String: String] = [:]) async throws -> TestServer {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("hwc3d-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
        var env: [String: String] = [
            "APP_ENV": "testing",
            "DATA_DIR": dataDir.path,
            "JWT_SECRET": "test-secret-that-is-long-enough-to-sign-tokens-0123456789",
            "FRONTEND_URL": frontend,
            "PUBLIC_URL": "http://api.test",
            "JOB_WORKER": "false",
            // Sockets only where a test opens them (RealtimeSocketTests): the listener holds a connection of its own.
            "REALTIME": "false",
            "LOG_LEVEL": "warning",
            // Generous by default so tests that are not about limits never meet one.
            "RATE_LIMIT_LOGIN": "1000/60", "RATE_LIMIT_REGISTER": "1000/60", "RATE_LIMIT_PASSWORD": "1000/60",
            "RATE_LIMIT_OTP": "1000/60", "RATE_LIMIT_EMAIL": "1000/60", "RATE_LIMIT_UPLOAD": "1000/60",
        ]
        var postgresDatabase: String?
        if usesPostgres {
            let name = "hwc3d_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
            try await PostgresAdmin.execute("CREATE DATABASE \(name)")
            postgresDatabase = String(name)
            env["DATABASE_URL"] = try PostgresAdmin.url(database: String(name))
            env["DATABASE_POOL_SIZE"] = "2"
        }
        // HWC3D_TEST_STORAGE=s3 puts every server on S3 storage, each in a fresh bucket of the S3 test server
        // (S3TestServer.swift), e.g. `HWC3D_TEST_STORAGE=s3 FILTER=Catalogue scripts/test.sh`. One test can do the
        // same with `withServer(try await S3TestServer.serverOverrides())`.
        if ProcessInfo.processInfo.environment["HWC3D_TEST_STORAGE"] == "s3" {
            for (key, value) in try await S3TestServer.serverOverrides() { env[key] = value }
        }
        for (key, value) in overrides { env[key] = value }
        let settings = try Settings.load(from: env)
        let app = try await Application.make(.testing)
        do {
            try await configure(app, settings: settings)
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        return TestServer(app: app, dataDir: dataDir, settings: settings, postgresDatabase: postgresDatabase)
    }

    func stop() async {
        try? await app.asyncShutdown()
        if let postgresDatabase {
            try? await PostgresAdmin.execute("DROP DATABASE IF EXISTS \(postgresDatabase) WITH (FORCE)")
        }
        try? FileManager.default.removeItem(at: dataDir)
    }

    // MARK: requests

    func request(
        _ method: HTTPMethod, _ path: String, json: Any? = nil, body: ByteBuffer? = nil, token: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> TestResponse {
        var httpHeaders = HTTPHeaders(headers)
        if let token { httpHeaders.bearerAuthorization = .init(token: token) }
        var buffer = body
        if let json {
            let data = try JSONSerialization.data(withJSONObject: json)
            buffer = ByteBuffer(data: data)
            if !httpHeaders.contains(name: .contentType) { httpHeaders.contentType = .json }
        }
        let response = try await app.testing().sendRequest(method, path, headers: httpHeaders, body: buffer)
        return TestResponse(status: response.status, headers: response.headers, body: response.body)
    }

    /// Runs the background jobs that are due, as the worker would.
    @discardableResult
    func runJobs() async throws -> Int {
        try await app.services.jobs.runDueJobs(database: app.db, logger: app.logger)
    }

    /// The `.eml` files the log transport wrote, oldest first.
    func sentEmails() throws -> [String] {
        let mailDir = dataDir.appendingPathComponent("mail")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: mailDir.path) else { return [] }
        return try names.filter { $0.hasSuffix(".eml") }.sorted().map {
            try String(contentsOf: mailDir.appendingPathComponent($0), encoding: .utf8)
        }
    }

    /// The token in the newest email link of the form `<path>?token=…`.
    func tokenFromLatestEmail(linkPath: String) async throws -> String? {
        try await runJobs()
        for email in try sentEmails().reversed() {
            if let range = email.range(of: "\(TestServer.frontend)\(linkPath)?token=") {
                return String(email[range.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            }
        }
        return nil
    }

    // MARK: fixtures

    struct SignedIn {
        let id: String
        let username: String
        let email: String
        let password: String
        let accessToken: String
        let refreshToken: String
    }

    static let goodPassword = "Correct-Horse-42!"

    func register(_ username: String, email: String? = nil, password: String = TestServer.goodPassword, verified: Bool = false)
        async throws -> SignedIn
    {
        let email = email ?? "\(username.lowercased())@example.com"
        let response = try await request(.POST, "/api/v1/auth/register", json: [
            "email": email, "username": username, "password": password, "display_name": username.capitalized,
        ])
        #expect(response.status == .created, "register \(username): \(response.text)")
        let json = try response.object()
        let user = json["user"] as? [String: Any] ?? [:]
        let signedIn = SignedIn(
            id: user["id"] as? String ?? "", username: username, email: email, password: password,
            accessToken: json["access_token"] as? String ?? "", refreshToken: json["refresh_token"] as? String ?? "")
        if verified {
            let token = try #require(try await tokenFromLatestEmail(linkPath: "/verify-email"))
            let verify = try await request(.POST, "/api/v1/auth/verify-email", json: ["token": token])
            #expect(verify.status == .ok)
        }
        return signedIn
    }
}

/// Runs `body` with a fresh server and always stops it.
func withServer(_ overrides: [String: String] = [:], _ body: (TestServer) async throws -> Void) async throws {
    let server = try await TestServer.start(overrides)
    do {
        try await body(server)
    } catch {
        await server.stop()
        throw error
    }
    await server.stop()
}

struct TestResponse: Sendable {
    let status: HTTPStatus
    let headers: HTTPHeaders
    let body: ByteBuffer

    var text: String { String(buffer: body) }

    func object() throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(buffer: body))
        return try #require(value as? [String: Any], "expected a JSON object, got: \(text)")
    }

    /// `type` of a problem+json body, after its last slash.
    var problemType: String? {
        guard headers.contentType?.description.hasPrefix("application/problem+json") == true,
            let json = try? object(), let type = json["type"] as? String
        else { return nil }
        return type.split(separator: "/").last.map(String.init)
    }

    var fieldErrors: [String] {
        ((try? object())?["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
    }

    func cookie(_ name: String) -> String? {
        for header in headers[.setCookie] where header.hasPrefix("\(name)=") {
            return String(header.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return nil
    }

    func cookieAttributes(_ name: String) -> String? {
        headers[.setCookie].first { $0.hasPrefix("\(name)=") }
    }
}

/// Creates and drops the per-test databases through the role the test harness gives us.
enum PostgresAdmin {
    static func baseURL() throws -> URLComponents {
        let raw = try #require(ProcessInfo.processInfo.environment["HWC3D_TEST_POSTGRES_URL"], "HWC3D_TEST_POSTGRES_URL is not set")
        return try #require(URLComponents(string: raw))
    }

    static func url(database: String) throws -> String {
        var components = try baseURL()
        components.path = "/" + database
        return components.string!
    }

    static func execute(_ sql: String) async throws {
        let base = try baseURL()
        let configuration = PostgresConnection.Configuration(
            host: base.host ?? "127.0.0.1", port: base.port ?? 5432, username: base.user ?? "postgres",
            password: base.password, database: "postgres", tls: .disable)
        let connection = try await PostgresConnection.connect(
            configuration: configuration, id: 1, logger: Logger(label: "test.postgres-admin"))
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test.postgres-admin"))
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
