import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// What an outside probe sent (issue 9), and the variations it did not: huge lists, oversized request heads,
/// broken multipart bodies, control characters and NUL, repeated and overflowing parameters, wrong methods.
/// Each answers its 4xx and leaves nothing behind, on SQLite and PostgreSQL.
@Suite("Hostile requests")
struct HostileRequestTests {
    static let json = [("Content-Type", "application/json")]

    @Test("list inputs are counted before any item is looked at: the most tags or skills a body can hold are one 422; 100,000 are 413 unread")
    func hugeListsAreRefusedUpFront() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let alice = try await server.register("alice", verified: true)
            // Past the 64 KiB JSON limit nothing is parsed at all.
            let huge = try await server.request(
                .POST, "/api/v1/models", json: ["title": "Many tags", "tags": (0..<100_000).map { "t\($0)" }], token: alice.accessToken)
            #expect(huge.status == .payloadTooLarge)
            // As many as fit (about 8,000) are counted before any is looked at.
            let tags = (0..<8_000).map { "t\($0)" }
            let create = try await server.request(.POST, "/api/v1/models", json: ["title": "Many tags", "tags": tags], token: alice.accessToken)
            #expect(create.status == .unprocessableEntity, "\(create.text)")
            #expect(create.fieldErrors == ["tags"])
            #expect(create.text.contains("at most 20 tags"))
            #expect(try await CatalogueFixtures.count(server, "models") == 0)

            let model = try await CatalogueFixtures.model(server, owner: alice)
            let patch = try await server.request(.PATCH, "/api/v1/models/\(model)", json: ["tags": tags], token: alice.accessToken)
            #expect(patch.status == .unprocessableEntity)
            #expect(patch.fieldErrors == ["tags"])
            // Twenty tags still work, and duplicates collapse.
            let twenty = (0..<18).map { "tag\($0)" } + ["tag0", "TAG1"]
            let ok = try await server.request(.PATCH, "/api/v1/models/\(model)", json: ["tags": twenty], token: alice.accessToken)
            #expect(ok.status == .ok, "\(ok.text)")
            #expect((try ok.object()["tags"] as? [String])?.count == 18)

            let skills = try await server.request(.PATCH, "/api/v1/users/me", json: ["skills": tags], token: alice.accessToken)
            #expect(skills.status == .unprocessableEntity)
            #expect(skills.fieldErrors == ["skills"], "one error for the list, not one per item")
            var links: [String: String] = [:]
            for index in 0..<1_500 { links["net\(index)"] = "https://example.com/\(index)" }
            let social = try await server.request(.PATCH, "/api/v1/users/me", json: ["social_links": links], token: alice.accessToken)
            #expect(social.status == .unprocessableEntity)
            #expect(social.fieldErrors == ["social_links"])

            // The catalogue's comma list: past ten tags is 422 however many follow (up to the URL limit).
            let query = (0..<1_000).map { "t\($0)" }.joined(separator: ",")
            let search = try await server.request(.GET, "/api/v1/models?tags=\(query)")
            #expect(search.status == .unprocessableEntity, "\(search.text)")
            #expect(search.fieldErrors == ["tags"])
            let ten = try await server.request(.GET, "/api/v1/models?tags=\((0..<10).map { "t\($0)" }.joined(separator: ","))")
            #expect(ten.status == .ok)
        }
    }

    @Test("a request target past 8 KiB is 414 and a header section past 32 KiB is 431, as problems")
    func oversizedRequestHeads() async throws {
        try await withServer { server in
            let long = try await server.request(.GET, "/api/v1/models?q=" + String(repeating: "a", count: 9_000))
            #expect(long.status == .uriTooLong)
            #expect(long.problemType == "uri-too-long")
            let tags = try await server.request(.GET, "/api/v1/models?tags=" + (0..<100_000).map { "t\($0)" }.joined(separator: ","))
            #expect(tags.status == .uriTooLong)
            let headers = try await server.request(.GET, "/api/v1/categories", headers: [("X-Padding", String(repeating: "p", count: 33_000))])
            #expect(headers.status.code == 431)
            #expect(headers.problemType == "headers-too-large")
            #expect(try await server.request(.GET, "/api/v1/categories", headers: [("X-Padding", String(repeating: "p", count: 4_000))]).status == .ok)
        }
    }

    @Test("an unterminated or truncated multipart body is 400 on every upload route, and nothing is stored")
    func unterminatedMultipart() async throws {
        try await withServer { server in
            let alice = try await server.register("alice", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let bodies = [
                "--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.glb\"\r\n\r\nglTF",
                "--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.glb\"\r\n\r\nglTF\u{2}\0\0\0\r\n--zz",
                "--zz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.glb\"\r\n",
                "--zz\r\n",
            ]
            let routes: [(HTTPMethod, String)] = [
                (.POST, "/api/v1/models/\(model)/files"), (.POST, "/api/v1/models/\(model)/images"),
                (.PUT, "/api/v1/users/me/avatar"), (.PUT, "/api/v1/users/me/banner"),
            ]
            for (method, path) in routes {
                for body in bodies {
                    let response = try await server.request(
                        method, path, body: ByteBuffer(string: body), token: alice.accessToken,
                        headers: [("Content-Type", "multipart/form-data; boundary=zz")])
                    #expect(response.status == .badRequest, "\(path) \(body.debugDescription): \(response.status) \(response.text)")
                    #expect(response.problemType == "malformed-request")
                }
            }
            // Too many parts is malformed too, read no further than the limit.
            let many = (0..<100).map { "--zz\r\nContent-Disposition: form-data; name=\"x\($0)\"\r\n\r\nv\r\n" }.joined() + "--zz--\r\n"
            let response = try await server.request(
                .POST, "/api/v1/models/\(model)/files", body: ByteBuffer(string: many), token: alice.accessToken,
                headers: [("Content-Type", "multipart/form-data; boundary=zz")])
            #expect(response.status == .badRequest, "\(response.text)")

            #expect(try await CatalogueFixtures.count(server, "model_files") == 0)
            #expect(try await CatalogueFixtures.count(server, "model_images") == 0)
            #expect(try await CatalogueFixtures.count(server, "jobs WHERE kind <> 'send_email'") == 0)
            let stored = FileManager.default.enumerator(atPath: server.settings.storageDir)?.allObjects.compactMap { $0 as? String } ?? []
            #expect(stored.filter { !$0.hasSuffix("/") && !$0.isEmpty && (try? FileManager.default.attributesOfItem(atPath: server.settings.storageDir + "/" + $0)[.type] as? FileAttributeType) == .typeRegular } == [])
            let spooled = (try? FileManager.default.contentsOfDirectory(atPath: server.settings.dataDir + "/tmp")) ?? []
            #expect(spooled == [])
        }
    }

    @Test("one text rule everywhere: NUL never, controls only as newline and tab in multi-line fields, NFC; the same 422")
    func controlCharactersAndNormalisation() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let alice = try await server.register("alice", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: alice)
            func expectRefused(_ method: HTTPMethod, _ path: String, _ body: [String: Any], field: String, token: String? = nil,
                               sourceLocation: SourceLocation = #_sourceLocation) async throws {
                let response = try await server.request(method, path, json: body, token: token ?? alice.accessToken)
                #expect(response.status == .unprocessableEntity, "\(path) \(body): \(response.text)", sourceLocation: sourceLocation)
                #expect(response.fieldErrors == [field], "\(path) \(body)", sourceLocation: sourceLocation)
                #expect(response.text.contains(TextInput.controlMessage), "\(response.text)", sourceLocation: sourceLocation)
            }
            for bad in ["a\u{0}bc", "ab\u{1}c", "line\nbreak", "tab\there", "cr\rhere", "del\u{7F}x", "c1\u{85}x", "ls\u{2028}x", "ps\u{2029}x"] {
                try await expectRefused(.POST, "/api/v1/models", ["title": bad], field: "title")
                try await expectRefused(.PATCH, "/api/v1/models/\(model)", ["title": bad], field: "title")
                try await expectRefused(.PATCH, "/api/v1/users/me", ["display_name": bad], field: "display_name")
                try await expectRefused(.PATCH, "/api/v1/users/me", ["location": bad], field: "location")
            }
            for bad in ["a\u{0}b", "bell\u{7}", "esc\u{1B}[31m", "c1\u{9B}x"] {
                try await expectRefused(.PATCH, "/api/v1/models/\(model)", ["description": bad], field: "description")
                try await expectRefused(.PATCH, "/api/v1/users/me", ["bio": bad], field: "bio")
            }
            // NUL in fields that have no text rule of their own is refused by the body guard, naming the field.
            try await expectRefused(.POST, "/api/v1/auth/register", ["email": "x\u{0}@example.com", "username": "xnul", "password": TestServer.goodPassword], field: "email", token: "")
            try await expectRefused(.POST, "/api/v1/auth/login", ["login": "alice\u{0}", "password": "x"], field: "login", token: "")
            try await expectRefused(.PATCH, "/api/v1/users/me", ["social_links": ["github": "https://github.com/a\u{0}"]], field: "social_links.github")
            // An escaped backslash followed by u0000 is text, not NUL.
            let literal = try await server.request(.PATCH, "/api/v1/models/\(model)", json: ["description": "path C:\\u0000 stays"], token: alice.accessToken)
            #expect(literal.status == .ok, "\(literal.text)")
            #expect(try literal.object()["description"] as? String == "path C:\\u0000 stays")

            // Multi-line fields keep newlines and tabs; CRLF becomes LF; everything is NFC.
            let edited = try await server.request(.PATCH, "/api/v1/models/\(model)", json: [
                "title": "\u{FEFF}Cafe\u{301} chair", "description": "First line\r\nSecond\tcolumn\rthird\u{2028}fourth\u{2029}fifth",
            ], token: alice.accessToken)
            #expect(edited.status == .ok, "\(edited.text)")
            let body = try edited.object()
            #expect(body["title"] as? String == "Caf\u{E9} chair")
            #expect((body["title"] as? String)?.unicodeScalars.count == 10)
            #expect(body["description"] as? String == "First line\nSecond\tcolumn\nthird\nfourth\nfifth")
            let row = try await CatalogueFixtures.row(server, model)
            #expect(row.title.unicodeScalars.map(\.value) == "Caf\u{E9} chair".unicodeScalars.map(\.value))
            let profile = try await server.request(.PATCH, "/api/v1/users/me", json: ["display_name": "Zoe\u{308}", "bio": "Hi\nthere"], token: alice.accessToken)
            #expect(profile.status == .ok)
            #expect(try profile.object()["display_name"] as? String == "Zo\u{EB}")

            // Comments: multi-line, NUL and other controls refused; nothing stored.
            try await CatalogueFixtures.setStatus(server, model, .published)
            try await expectRefused(.POST, "/api/v1/models/\(model)/comments", ["body": "nul\u{0}"], field: "body")
            try await expectRefused(.POST, "/api/v1/models/\(model)/comments", ["body": "bell\u{7}"], field: "body")
            #expect(try await CatalogueFixtures.count(server, "model_comments") == 0)
            #expect(try await server.request(.POST, "/api/v1/models/\(model)/comments", json: ["body": "Nice\n\tmodel"], token: alice.accessToken).status == .created)

            // NUL in a path or a query value never reaches the database.
            #expect(try await server.request(.GET, "/api/v1/users/alice%00").status == .badRequest)
            let query = try await server.request(.GET, "/api/v1/users?q=al%00ice")
            #expect(query.status == .unprocessableEntity)
            #expect(query.fieldErrors == ["q"])
        }
    }

    @Test("query parameters: a repeat is 400 naming it; a number past Int or a bad boolean is 422 naming it")
    func queryParameters() async throws {
        try await withServer { server in
            let repeated = try await server.request(.GET, "/api/v1/models?sort=newest&sort=newest")
            #expect(repeated.status == .badRequest)
            #expect(repeated.text.contains("`sort` is given more than once"), "\(repeated.text)")
            let overflow = try await server.request(.GET, "/api/v1/models?page=99999999999999999999999")
            #expect(overflow.status == .unprocessableEntity)
            #expect(overflow.fieldErrors == ["page"])
            let big = try await server.request(.GET, "/api/v1/models?page=100001&per_page=101")
            #expect(big.status == .unprocessableEntity)
            #expect(Set(big.fieldErrors) == ["page", "per_page"])
            let boolean = try await server.request(.GET, "/api/v1/models?free=maybe")
            #expect(boolean.status == .unprocessableEntity)
            #expect(boolean.fieldErrors == ["free"])
            #expect(try await server.request(.GET, "/api/v1/models?free=true&page=2").status == .ok)
        }
    }

    @Test("a path routed under other methods answers 405 with Allow; an unknown path stays 404")
    func methodNotAllowed() async throws {
        try await withServer { server in
            let trace = try await server.request(.TRACE, "/api/v1/models")
            #expect(trace.status == .methodNotAllowed)
            #expect(trace.headers.first(name: "Allow") == "GET, HEAD, POST")
            #expect(trace.problemType == "method-not-allowed")
            let put = try await server.request(.PUT, "/api/v1/auth/login")
            #expect(put.status == .methodNotAllowed)
            #expect(put.headers.first(name: "Allow") == "POST")
            let parameterised = try await server.request(.POST, "/api/v1/models/\(UUID())")
            #expect(parameterised.status == .methodNotAllowed)
            #expect(parameterised.headers.first(name: "Allow")?.contains("PATCH") == true)
            #expect(try await server.request(.GET, "/api/v1/no-such-thing").status == .notFound)
            #expect(try await server.request(.TRACE, "/api/v1/no-such-thing").status == .notFound)
        }
    }
}
