import Fluent
import Foundation
import NIOCore
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Platform: probes, contract, headers, errors, limits and settings")
struct PlatformTests {
    // MARK: probes and contract

    @Test("/health is 200 ok; /ready is 200 with every check, 503 naming the failed one")
    func probes() async throws {
        try await withServer { server in
            let health = try await server.request(.GET, "/health")
            #expect(health.status == .ok)
            #expect(try health.object()["status"] as? String == "ok")

            let ready = try await server.request(.GET, "/ready")
            #expect(ready.status == .ok)
            let body = try ready.object()
            #expect(body["status"] as? String == "ok")
            let checks = try #require(body["checks"] as? [String: [String: Any]])
            #expect(Set(checks.keys) == ["database", "migrations", "storage"])
            for (name, check) in checks { #expect(check["ok"] as? Bool == true, "\(name)") }

            // Storage that cannot take a write: 503, storage named, the rest fine. (A file where the directory
            // should be fails even for root.)
            let storage = server.dataDir.appendingPathComponent("storage")
            try FileManager.default.removeItem(at: storage)
            try Data("not a directory".utf8).write(to: storage)
            let notReady = try await server.request(.GET, "/ready")
            #expect(notReady.status == .serviceUnavailable)
            let failed = try notReady.object()
            #expect(failed["status"] as? String == "unavailable")
            let failedChecks = try #require(failed["checks"] as? [String: [String: Any]])
            #expect(failedChecks["storage"]?["ok"] as? Bool == false)
            #expect(failedChecks["storage"]?["detail"] is String)
            #expect(failedChecks["database"]?["ok"] as? Bool == true)
            #expect(failedChecks["migrations"]?["ok"] as? Bool == true)
            // Liveness does not care.
            #expect(try await server.request(.GET, "/health").status == .ok)
            try FileManager.default.removeItem(at: storage)
            try FileManager.default.createDirectory(at: storage, withIntermediateDirectories: true)

            // A migration that is not applied.
            let sql = try #require(server.app.db as? any SQLDatabase)
            try await sql.raw("DELETE FROM _fluent_migrations WHERE name LIKE '%CreateOutboxEmails%'").run()
            let missing = try await server.request(.GET, "/ready")
            #expect(missing.status == .serviceUnavailable)
            let missingChecks = try #require(try missing.object()["checks"] as? [String: [String: Any]])
            #expect(missingChecks["migrations"]?["ok"] as? Bool == false)
            #expect((missingChecks["migrations"]?["detail"] as? String)?.contains("1 migration") == true)
            #expect(missingChecks["storage"]?["ok"] as? Bool == true)
        }
    }

    @Test("/openapi.json is the contract as JSON (3.1.0, string keys); /openapi.yaml is the bundled file; /docs and /redoc are HTML")
    func contractDocuments() async throws {
        try await withServer { server in
            let json = try await server.request(.GET, "/openapi.json")
            #expect(json.status == .ok)
            #expect(json.headers.contentType?.description.hasPrefix("application/json") == true)
            let document = try json.object()
            #expect(document["openapi"] as? String == "3.1.0")
            #expect((document["info"] as? [String: Any])?["title"] as? String == "HWC3D API")
            let paths = try #require(document["paths"] as? [String: Any])
            #expect(paths["/api/v1/auth/register"] != nil)
            #expect(paths["/api/v1/users/{username}/follow"] != nil)
            #expect(paths["/health"] != nil)
            let register = try #require((paths["/api/v1/auth/register"] as? [String: Any])?["post"] as? [String: Any])
            #expect(register["operationId"] as? String == "register")
            let responses = try #require(register["responses"] as? [String: Any])
            #expect(responses["201"] != nil && responses["409"] != nil)

            let yaml = try await server.request(.GET, "/openapi.yaml")
            #expect(yaml.status == .ok)
            #expect(yaml.headers.contentType?.description.contains("yaml") == true)
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent()
                .appendingPathComponent("Sources/HWC3DAPI/openapi.yaml")
            #expect(yaml.text == (try String(contentsOf: source, encoding: .utf8)))
            #expect(yaml.text.hasPrefix("openapi: 3.1.0"))

            for (path, marker) in [("/docs", "swagger-ui"), ("/redoc", "<redoc")] {
                let page = try await server.request(.GET, path)
                #expect(page.status == .ok, "\(path)")
                #expect(page.headers.contentType?.description.hasPrefix("text/html") == true, "\(path)")
                #expect(page.text.contains(marker), "\(path)")
                #expect(page.text.contains("/openapi.json"), "\(path)")
                let csp = page.headers.first(name: "Content-Security-Policy") ?? ""
                #expect(csp.contains("frame-ancestors 'none'"), "\(path): \(csp)")
                #expect(csp.contains("https://cdn.jsdelivr.net"), "\(path): \(csp)")
            }
        }
    }

    // MARK: request ids and headers

    @Test("X-Request-ID: generated when absent, a sane one echoed, an insane one replaced, repeated in problems")
    func requestIDs() async throws {
        try await withServer { server in
            let plain = try await server.request(.GET, "/health")
            let generated = try #require(plain.headers.first(name: "X-Request-ID"))
            #expect(UUID(uuidString: generated) != nil)
            let other = try await server.request(.GET, "/health").headers.first(name: "X-Request-ID")
            #expect(other != generated)

            for sane in ["abc-123_DEF.ghi", String(repeating: "r", count: 128)] {
                let response = try await server.request(.GET, "/health", headers: [("X-Request-ID", sane)])
                #expect(response.headers.first(name: "X-Request-ID") == sane)
            }
            for insane in [String(repeating: "a", count: 200), "has space", "semi;colon", "quote\"d", "ünï"] {
                let response = try await server.request(.GET, "/health", headers: [("X-Request-ID", insane)])
                let echoed = try #require(response.headers.first(name: "X-Request-ID"), "\(insane)")
                #expect(echoed != insane)
                #expect(UUID(uuidString: echoed) != nil, "\(insane) -> \(echoed)")
            }

            let missing = try await server.request(.GET, "/no/such/route", headers: [("X-Request-ID", "trace-42")])
            #expect(missing.status == .notFound)
            #expect(missing.headers.first(name: "X-Request-ID") == "trace-42")
            #expect(try missing.object()["request_id"] as? String == "trace-42")
            let generatedOnError = try await server.request(.GET, "/api/v1/users/me")
            #expect(try generatedOnError.object()["request_id"] as? String == generatedOnError.headers.first(name: "X-Request-ID"))
        }
    }

    @Test("security headers on every response; HSTS only in production")
    func securityHeaders() async throws {
        try await withServer { server in
            for (method, path) in [(HTTPMethod.GET, "/health"), (.GET, "/nope"), (.GET, "/api/v1/users/me"), (.POST, "/api/v1/auth/login")] {
                let response = try await server.request(method, path)
                #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff", "\(path)")
                #expect(response.headers.first(name: "Referrer-Policy") == "strict-origin-when-cross-origin", "\(path)")
                #expect(response.headers.first(name: "X-Frame-Options") == "DENY", "\(path)")
                #expect(response.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true, "\(path)")
                #expect(response.headers.first(name: "Strict-Transport-Security") == nil, "\(path)")
                #expect(response.headers.first(name: "X-Request-ID") != nil, "\(path)")
            }
        }
        try await withServer(["APP_ENV": "production"]) { server in
            #expect(server.settings.isProduction)
            for path in ["/health", "/nope"] {
                let response = try await server.request(.GET, path)
                #expect(response.headers.first(name: "Strict-Transport-Security") == "max-age=63072000; includeSubDomains", "\(path)")
                #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
            }
            // Production problems say nothing about causes either.
            let missing = try await server.request(.GET, "/nope")
            #expect(missing.problemType == "not-found")
        }
    }

    @Test("CORS: preflight from the frontend is allowed with credentials; other origins get no Access-Control-Allow-Origin")
    func cors() async throws {
        try await withServer { server in
            let preflightHeaders = [
                ("Origin", TestServer.frontend), ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type, x-csrf-token"),
            ]
            let preflight = try await server.request(.OPTIONS, "/api/v1/auth/login", headers: preflightHeaders)
            #expect(preflight.status == .ok)
            #expect(preflight.headers.first(name: "Access-Control-Allow-Origin") == TestServer.frontend)
            #expect(preflight.headers.first(name: "Access-Control-Allow-Credentials") == "true")
            let methods = preflight.headers.first(name: "Access-Control-Allow-Methods") ?? ""
            #expect(methods.contains("POST") && methods.contains("PATCH") && methods.contains("DELETE"))
            let allowed = (preflight.headers.first(name: "Access-Control-Allow-Headers") ?? "").lowercased()
            #expect(allowed.contains("x-csrf-token") && allowed.contains("content-type") && allowed.contains("authorization"))
            #expect(try await User.query(on: server.app.db).count() == 0)

            let simple = try await server.request(.GET, "/health", headers: [("Origin", TestServer.frontend)])
            #expect(simple.headers.first(name: "Access-Control-Allow-Origin") == TestServer.frontend)
            let exposed = (simple.headers.first(name: "Access-Control-Expose-Headers") ?? "").lowercased()
            #expect(exposed.contains("x-request-id") && exposed.contains("retry-after") && exposed.contains("ratelimit-policy"), "\(exposed)")
            // Errors are readable by the frontend too.
            let error = try await server.request(.GET, "/api/v1/users/me", headers: [("Origin", TestServer.frontend)])
            #expect(error.status == .unauthorized)
            #expect(error.headers.first(name: "Access-Control-Allow-Origin") == TestServer.frontend)

            for origin in ["http://evil.test", "http://frontend.test.evil.test", "null", "https://frontend.test"] {
                let foreign = try await server.request(.OPTIONS, "/api/v1/auth/login", headers: [
                    ("Origin", origin), ("Access-Control-Request-Method", "POST"),
                ])
                let allowOrigin = foreign.headers.first(name: "Access-Control-Allow-Origin")
                #expect(allowOrigin == nil || allowOrigin == "", "\(origin): \(allowOrigin ?? "")")
                let foreignGet = try await server.request(.GET, "/health", headers: [("Origin", origin)])
                #expect(foreignGet.headers.first(name: "Access-Control-Allow-Origin") == nil, "\(origin)")
            }
        }
    }

    @Test("a response whose Access-Control-Allow-Origin depends on Origin says Vary: Origin")
    func corsVary() async throws {
        try await withServer { server in
            let response = try await server.request(.GET, "/health", headers: [("Origin", TestServer.frontend)])
            #expect(response.headers.first(name: "Access-Control-Allow-Origin") == TestServer.frontend)
            let vary = response.headers[.vary].joined(separator: ",").lowercased()
            #expect(vary.contains("origin"), "Vary: \(vary)")
        }
    }

    // MARK: errors and limits

    @Test("problem+json shape on an unknown route; malformed JSON 400; wrong types 422 naming fields; 2 MB body 413")
    func problems() async throws {
        try await withServer { server in
            let missing = try await server.request(.GET, "/api/v1/nothing-here?x=1")
            #expect(missing.status == .notFound)
            #expect(missing.headers.contentType?.description == "application/problem+json")
            let problem = try missing.object()
            #expect(problem["type"] as? String == "https://hwc3d.dev/problems/not-found")
            #expect(problem["title"] as? String == "Not Found" || problem["title"] as? String == "Not found")
            #expect(problem["status"] as? Int == 404)
            #expect(problem["instance"] as? String == "/api/v1/nothing-here")
            #expect(problem["request_id"] as? String == missing.headers.first(name: "X-Request-ID"))
            #expect(problem["errors"] == nil)

            let jsonHeaders = [("Content-Type", "application/json")]
            for malformed in ["{\"email\": ", "not json at all", "{\"email\" \"a@b.c\"}", "{}x", "{'email': 'a@b.c'}"] {
                let response = try await server.request(
                    .POST, "/api/v1/auth/register", body: ByteBuffer(string: malformed), headers: jsonHeaders)
                #expect(response.status == .badRequest, "\(malformed): \(response.status) \(response.text)")
                #expect(response.problemType == "malformed-request", "\(malformed)")
                #expect(try response.object()["status"] as? Int == 400)
            }

            let wrongTypes = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": 42, "username": "alice", "password": TestServer.goodPassword,
            ] as [String: Any])
            #expect(wrongTypes.status == .unprocessableEntity, "\(wrongTypes.text)")
            #expect(wrongTypes.problemType == "validation")
            #expect(wrongTypes.fieldErrors == ["email"])
            let wrongPassword = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": "a@example.com", "username": "alice", "password": ["Correct-Horse-42!"],
            ] as [String: Any])
            #expect(wrongPassword.status == .unprocessableEntity)
            #expect(wrongPassword.fieldErrors == ["password"])
            let missingField = try await server.request(.POST, "/api/v1/auth/register", json: ["email": "a@example.com", "username": "alice"])
            #expect(missingField.status == .unprocessableEntity)
            #expect(missingField.fieldErrors == ["password"])
            let array = try await server.request(.POST, "/api/v1/auth/register", json: [1, 2, 3])
            #expect([.badRequest, .unprocessableEntity].contains(array.status), "\(array.status)")
            let noBody = try await server.request(.POST, "/api/v1/auth/register", headers: jsonHeaders)
            #expect([.badRequest, .unprocessableEntity].contains(noBody.status), "\(noBody.status) \(noBody.text)")
            let textPlain = try await server.request(
                .POST, "/api/v1/auth/register", body: ByteBuffer(string: "{\"email\":\"a@example.com\"}"), headers: [("Content-Type", "text/plain")])
            #expect(textPlain.status == .unsupportedMediaType, "\(textPlain.status) \(textPlain.text)")
            #expect(textPlain.problemType == "unsupported-media-type")

            let big = String(repeating: "A", count: 2 << 20)
            let tooLarge = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": "big@example.com", "username": "big", "password": big,
            ])
            #expect(tooLarge.status == .payloadTooLarge)
            #expect(tooLarge.problemType == "payload-too-large")
            #expect(try await User.query(on: server.app.db).count() == 0)

            // Signed in, too: the limit applies before the handler.
            let alice = try await server.register("alice")
            let bigPatch = try await server.request(.PATCH, "/api/v1/users/me", json: ["bio": big], token: alice.accessToken)
            #expect(bigPatch.status == .payloadTooLarge)
            let nestedWrong = try await server.request(.PATCH, "/api/v1/users/me", json: ["skills": ["ok", 2] as [Any]], token: alice.accessToken)
            #expect(nestedWrong.status == .unprocessableEntity, "\(nestedWrong.text)")
            #expect(nestedWrong.fieldErrors == ["skills[1]"])
            let linksWrong = try await server.request(.PATCH, "/api/v1/users/me", json: ["social_links": ["github": 7]], token: alice.accessToken)
            #expect(linksWrong.status == .unprocessableEntity, "\(linksWrong.text)")
            #expect(linksWrong.fieldErrors == ["social_links.github"])
        }
    }

    @Test("a 60,000-character password (within the 64 KiB body limit) is refused with 422 quickly, not after quadratic work")
    func longPasswordIsCheap() async throws {
        try await withServer { server in
            let started = Date()
            let response = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": "long@example.com", "username": "longpass", "password": "Aa1!" + String(repeating: "A", count: 60_000),
            ])
            let elapsed = Date().timeIntervalSince(started)
            #expect(response.status == .unprocessableEntity)
            #expect(response.fieldErrors.contains("password"))
            // Quadratic work on 60,000 characters takes minutes; a linear check well under a second even on a loaded
            // machine. The bound is far from both, so load (a CI run once took 2.02 s here) cannot fail it.
            #expect(elapsed < 15, "took \(elapsed) s")
        }
    }

    @Test("RATE_LIMIT_REGISTER=2/3600: the third registration is 429 with Retry-After; RateLimit headers on the route's responses")
    func rateLimit() async throws {
        try await waitForFreshWindow(seconds: 3600)
        try await withServer(["RATE_LIMIT_REGISTER": "2/3600"]) { server in
            var last: TestResponse?
            for (index, name) in ["rl_one", "rl_two"].enumerated() {
                let response = try await server.request(.POST, "/api/v1/auth/register", json: [
                    "email": "\(name)@example.com", "username": name, "password": TestServer.goodPassword,
                ])
                #expect(response.status == .created)
                #expect(response.headers.first(name: "RateLimit-Policy") == "\"register\";q=2;w=3600")
                let rate = try #require(response.headers.first(name: "RateLimit"))
                #expect(rate.hasPrefix("\"register\";r=\(1 - index);t="), "\(rate)")
                last = response
            }
            _ = last
            let blocked = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": "rl_three@example.com", "username": "rl_three", "password": TestServer.goodPassword,
            ])
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.problemType == "rate-limited")
            let retryAfter = try #require(blocked.headers.first(name: "Retry-After").flatMap(Int.init))
            #expect(retryAfter >= 1 && retryAfter <= 3600)
            #expect(blocked.headers.first(name: "RateLimit-Policy") == "\"register\";q=2;w=3600")
            #expect(blocked.headers.first(name: "RateLimit")?.hasPrefix("\"register\";r=0;t=") == true)
            #expect(try await User.query(on: server.app.db).filter(\.$usernameKey == "rl_three").count() == 0)

            // Other policies are separate budgets.
            let login = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "rl_one", "password": TestServer.goodPassword])
            #expect(login.status == .ok)
            #expect(login.headers.first(name: "RateLimit-Policy")?.hasPrefix("\"login\";") == true)
            // Platform routes are not rate limited.
            #expect(try await server.request(.GET, "/health").headers.first(name: "RateLimit") == nil)
        }
    }

    @Test("an unparsable query string is a 400 problem, never a 500")
    func malformedQueryString() async throws {
        try await withServer { server in
            for path in ["/api/v1/models?&per_page=2", "/api/v1/users?&&q=a"] {
                let response = try await server.request(.GET, path)
                #expect(response.status == .badRequest, "\(path): \(response.text)")
                #expect(response.problemType == "malformed-request", "\(path)")
            }
        }
    }

    @Test("error responses of a rate-limited route carry the RateLimit headers too")
    func rateLimitHeadersOnErrors() async throws {
        try await waitForFreshWindow(seconds: 3600)
        try await withServer(["RATE_LIMIT_REGISTER": "5/3600"]) { server in
            _ = try await server.register("taken")
            let conflict = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": "taken@example.com", "username": "other", "password": TestServer.goodPassword,
            ])
            #expect(conflict.status == .conflict)
            #expect(conflict.headers.first(name: "RateLimit-Policy") == "\"register\";q=5;w=3600")
            #expect(conflict.headers.first(name: "RateLimit")?.hasPrefix("\"register\";r=3;t=") == true)
            let invalid = try await server.request(.POST, "/api/v1/auth/register", json: ["email": "x", "username": "x", "password": "x"])
            #expect(invalid.status == .unprocessableEntity)
            #expect(invalid.headers.first(name: "RateLimit")?.hasPrefix("\"register\";r=2;t=") == true)
        }
    }

    @Test("/metrics serves the Prometheus exposition to allowlisted addresses over a real socket, 404 otherwise")
    func metrics() async throws {
        try await withServer { server in
            _ = try await server.register("metered")
            _ = try await server.request(.GET, "/health")
            // In-memory requests have no remote address: not on the allowlist.
            let hidden = try await server.request(.GET, "/metrics")
            #expect(hidden.status == .notFound)

            let live = try server.app.testing(method: .running(hostname: "127.0.0.1", port: 0))
            let response = try await live.sendRequest(.GET, "/metrics")
            #expect(response.status == .ok)
            #expect(response.headers.contentType?.description.hasPrefix("text/plain") == true)
            let text = String(buffer: response.body)
            #expect(text.contains("http_requests_total"))
            #expect(text.contains("http_request_duration_seconds"))
            #expect(text.contains("# TYPE hwc3d_jobs_queued gauge"))
            let queued = text.split(separator: "\n").first { $0.hasPrefix("hwc3d_jobs_queued ") }
            #expect(queued.flatMap { Double($0.split(separator: " ")[1]) } == 1, "\(queued ?? "absent")")
            #expect(text.contains("hwc3d_outbox_pending"))
        }
    }

    // MARK: settings

    @Test("invalid settings throw Settings.Invalid naming the variable")
    func settingsValidation() throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("hwc3d-settings-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let base = ["DATA_DIR": dataDir, "JWT_SECRET": String(repeating: "s", count: 40), "APP_ENV": "testing"]
        func variable(_ overrides: [String: String], removing: [String] = []) -> String? {
            var env = base
            for (key, value) in overrides { env[key] = value }
            for key in removing { env[key] = nil }
            do {
                _ = try Settings.load(from: env)
                return nil
            } catch let invalid as Settings.Invalid {
                #expect(invalid.description.contains(invalid.variable))
                return invalid.variable
            } catch {
                Issue.record("unexpected error \(error)")
                return "?"
            }
        }

        #expect(variable([:]) == nil)
        #expect(variable(["PORT": "abc"]) == "PORT")
        #expect(variable(["PORT": "70000"]) == "PORT")
        #expect(variable(["DATABASE_URL": "mysql://x"]) == "DATABASE_URL")
        #expect(variable(["DATABASE_URL": "postgres://"]) == "DATABASE_URL")
        #expect(variable(["APP_ENV": "production"], removing: ["JWT_SECRET"]) == "JWT_SECRET")
        #expect(variable(["JWT_SECRET": "short"]) == "JWT_SECRET")
        #expect(variable(["MAIL_TRANSPORT": "smtp"]) == "SMTP_HOST")
        #expect(variable(["MAIL_TRANSPORT": "smtp", "SMTP_HOST": "mail.test", "SMTP_SECURITY": "ssl3"]) == "SMTP_SECURITY")
        #expect(variable(["MAIL_TRANSPORT": "pigeon"]) == "MAIL_TRANSPORT")
        #expect(variable(["APP_ENV": "staging"]) == "APP_ENV")
        #expect(variable(["RATE_LIMIT_LOGIN": "lots"]) == "RATE_LIMIT_LOGIN")
        #expect(variable(["FRONTEND_URL": "ftp://x"]) == "FRONTEND_URL")
        #expect(variable(["JOB_WORKER": "maybe"]) == "JOB_WORKER")
        #expect(variable(["MAIL_FROM": "nobody"]) == "MAIL_FROM")

        let smtp = try Settings.load(from: base.merging(["MAIL_TRANSPORT": "smtp", "SMTP_HOST": "mail.test"]) { $1 })
        #expect(smtp.smtp?.port == 587)
        #expect(smtp.smtp?.security == "starttls")
        #expect(smtp.smtp?.verifyCertificate == true)
        let production = try Settings.load(from: base.merging(["APP_ENV": "production"]) { $1 })
        #expect(production.isProduction && production.secureCookies)
    }
}

/// Fixed windows start on multiples of their length; wait if one is about to roll over mid-test.
private func waitForFreshWindow(seconds window: Int) async throws {
    let now = Date().timeIntervalSince1970
    let left = Double(window) - now.truncatingRemainder(dividingBy: Double(window))
    // Fixed windows start on the clock; a slow, loaded machine must not see one end mid-test.
    if left < 120 { try await Task.sleep(nanoseconds: UInt64((left + 0.5) * 1_000_000_000)) }
}

