import Foundation
import Testing
import Vapor

@testable import HWC3D

/// What a real connection sees when a request is too large or broken for the HTTP parser, and after a handler answers
/// before the body ends: an answer every time, and a connection that is either closed cleanly or still usable.
@Suite("Connection limits")
struct ConnectionLimitsTests {
    /// Serves `server` on a free loopback port, as `serve` does, for the length of `body`.
    func listening(_ server: TestServer, _ body: (Int) async throws -> Void) async throws {
        try await server.app.server.start(address: .hostname("127.0.0.1", port: 0))
        do {
            let port = try #require(server.app.http.server.shared.localAddress?.port)
            try await body(port)
        } catch {
            await server.app.server.shutdown()
            throw error
        }
        await server.app.server.shutdown()
    }

    @Test("heads past the parser's 80 KiB get the same 414 and 431 problems as smaller ones, non-HTTP gets 400; then the connection closes")
    func headsPastTheParser() async throws {
        try await withServer { server in
            try await listening(server) { port in
                let tags = (0..<100_000).map { "t\($0)" }.joined(separator: ",")
                let manyHeaders = (0..<100_000).map { "X-H\($0): v\r\n" }.joined()
                let cases: [(String, String, Int, String)] = [
                    ("100,000 tags in the query", "GET /api/v1/models?tags=\(tags) HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri-too-long"),
                    ("100,000 header fields", "GET /api/v1/models HTTP/1.1\r\nHost: x\r\n\(manyHeaders)\r\n", 431, "headers-too-large"),
                    ("a 90 KB cookie", "GET /api/v1/models HTTP/1.1\r\nHost: x\r\nCookie: a=\(String(repeating: "b", count: 90_000))\r\n\r\n", 431, "headers-too-large"),
                    ("not HTTP", "HELLO\r\n\r\n", 400, "malformed-request"),
                ]
                for (label, request, status, type) in cases {
                    let (response, closed) = try await RawHTTPConnection.open(port: port) { connection in
                        try await connection.send(request)
                        return (try await connection.readResponse(), await connection.isClosedByServer())
                    }
                    let answer = try #require(response, "\(label): no answer")
                    #expect(answer.status == status, "\(label): \(answer.head)")
                    #expect(answer.head.lowercased().contains("content-type: application/problem+json"), "\(label)")
                    #expect(answer.body.contains("https://hwc3d.dev/problems/\(type)"), "\(label): \(answer.body)")
                    #expect(closed, "\(label): the connection should close after the answer")
                }

                // Below the parser's limit the middleware answers, and the connection stays open for the next request.
                let statuses = try await RawHTTPConnection.open(port: port) { connection in
                    try await connection.send("GET /api/v1/models?tags=\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: x\r\n\r\n")
                    let first = try await connection.readResponse()?.status
                    try await connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                    return [first, try await connection.readResponse()?.status]
                }
                #expect(statuses == [414, 200])
            }
        }
    }

    @Test("a form refused after its 16th part is answered, the rest of its body is read and dropped, and the connection serves the next request")
    func earlyAnswerDrainsTheBody() async throws {
        try await withServer { server in
            let alice = try await server.register("alice", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: alice)
            try await listening(server) { port in
                // 100,000 parts, 5.7 MB: sent whole before reading, as most HTTP clients do. A server that stopped
                // reading at its answer would leave this send blocked until the deadline.
                let parts = (0..<100_000).map { "--zz\r\nContent-Disposition: form-data; name=\"p\($0)\"\r\n\r\nx\r\n" }.joined() + "--zz--\r\n"
                let head = "POST /api/v1/models/\(model)/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(alice.accessToken)\r\n"
                    + "Content-Type: multipart/form-data; boundary=zz\r\nContent-Length: \(parts.utf8.count)\r\n\r\n"
                let (refused, next) = try await RawHTTPConnection.open(port: port) { connection in
                    try await connection.send(head + parts)
                    let refused = try await connection.readResponse()
                    try await connection.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
                    return (refused, try await connection.readResponse())
                }
                #expect(refused?.status == 400, "\(refused?.head ?? "no answer")")
                #expect(refused?.body.contains("more than 16 parts") == true, "\(refused?.body ?? "")")
                #expect(next?.status == 200, "the connection should serve the next request")
            }
            #expect(try ModelDrafts.storedModelFiles(server).isEmpty)
            #expect(try ModelDrafts.spooledUploads(server).isEmpty)
        }
    }

    @Test("the connection hook is a path that does not exist to anyone but the server itself")
    func hookIsHidden() async throws {
        try await withServer { server in
            for headers in [
                [("Connection", "Upgrade"), ("Upgrade", "hwc3d-connection-hook")],
                [("Connection", "Upgrade"), ("Upgrade", "hwc3d-connection-hook"), (GuardedHTTPServer.tokenHeader, "guess")],
            ] {
                let response = try await server.request(.GET, "/_hwc3d/connection-hook", headers: headers)
                #expect(response.status == .notFound)
            }
        }
    }
}
