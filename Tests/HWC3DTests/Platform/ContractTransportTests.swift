import Foundation
import HTTPTypes
import OpenAPIRuntime
import Testing
import Vapor

@testable import HWC3D

/// How answers of the generated handlers reach Vapor: whole when their length is known, streamed otherwise.
@Suite("Contract transport")
struct ContractTransportTests {
    @Test("a body of known length becomes one buffer with its headers; an unknown length still streams")
    func wholeBodies() async throws {
        var head = HTTPResponse(status: .ok)
        head.headerFields[.contentType] = "application/json; charset=utf-8"
        let json = #"{"status":"ok"}"#
        let whole = try await ContractTransport.response(head, body: HTTPBody(json))
        #expect(whole.status == .ok)
        #expect(whole.headers.first(name: .contentType) == "application/json; charset=utf-8")
        #expect(whole.body.buffer.map { String(buffer: $0) } == json)
        #expect(whole.headers.first(name: .contentLength) == String(json.utf8.count))

        let chunks = AsyncStream<ArraySlice<UInt8>> { continuation in
            continuation.yield(ArraySlice(Array("ab".utf8)))
            continuation.yield(ArraySlice(Array("cd".utf8)))
            continuation.finish()
        }
        let streamed = try await ContractTransport.response(head, body: HTTPBody(chunks, length: .unknown))
        #expect(streamed.body.buffer == nil, "an unknown length cannot be written whole")

        let empty = try await ContractTransport.response(HTTPResponse(status: .noContent), body: nil)
        #expect(empty.status == .noContent)
        #expect(empty.body.count == 0)
    }

    @Test("path templates become Vapor path components")
    func pathComponents() {
        let components = ContractTransport.components(of: "/api/v1/models/{id}/files/{fileId}")
        #expect(components.map(\.description) == ["api", "v1", "models", ":id", "files", ":fileId"])
    }
}
