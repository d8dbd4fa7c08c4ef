import HTTPTypes
import OpenAPIRuntime
import Vapor

/// Serves the handlers generated from the contract on Vapor's router.
///
/// It replaces OpenAPIVapor's transport for one reason that shows on every response: that transport hands Vapor
/// every body as a stream, written from a new task with one future per chunk, even a 300-byte JSON answer. Here a
/// body whose length is known and at most `wholeBodyLimit` is collected in the handler's own task and given to
/// Vapor as one buffer, which goes out with the head in a single write. Bodies of unknown length, or larger ones
/// (none today: downloads are redirects or `/files` responses served by Vapor), still stream.
///
/// Request bodies are never collected here: routes take them as streams (`body: .stream`), so the route policy can
/// refuse an oversized body while it arrives; what a handler leaves unread is drained after it answers
/// (`RequestBodyReader`).
struct ContractTransport: ServerTransport {
    static let wholeBodyLimit = 4 << 20

    let routes: any RoutesBuilder
    /// The most a client may still send after its answer, drained so the connection stays usable: the largest body
    /// any operation accepts.
    let drainLimit: Int

    func register(
        _ handler: @Sendable @escaping (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method, path: String
    ) throws {
        let components = Self.components(of: path)
        let parameterNames = components.compactMap { component -> String? in
            if case .parameter(let name) = component { name } else { nil }
        }
        let drainLimit = self.drainLimit
        routes.on(HTTPMethod(rawValue: method.rawValue), components, body: .stream) { request async throws -> Response in
            var parameters: [String: Substring] = [:]
            for name in parameterNames {
                // The router matched the path, so every parameter it names is there.
                guard let value = request.parameters.get(name) else { throw Abort(.notFound) }
                parameters[name] = Substring(value)
            }
            let reader = RequestBodyReader(request)
            defer { Task { await reader.discardRest(limit: drainLimit) } }
            let (head, body) = try await handler(
                try Self.head(of: request), reader.body(), ServerRequestMetadata(pathParameters: parameters))
            return try await Self.response(head, body: body)
        }
    }

    /// `/api/v1/models/{id}` as Vapor's path components.
    static func components(of path: String) -> [PathComponent] {
        path.split(separator: "/").map { part in
            part.first == "{" && part.last == "}" ? .parameter(String(part.dropFirst().dropLast())) : .constant(String(part))
        }
    }

    static func head(of request: Request) throws -> HTTPRequest {
        guard let method = HTTPRequest.Method(request.method.rawValue) else { throw Abort(.methodNotAllowed) }
        var fields = HTTPFields()
        fields.reserveCapacity(request.headers.count)
        for (name, value) in request.headers {
            // NIO has already refused names that are not tokens; the check only satisfies the type.
            guard let fieldName = HTTPField.Name(name) else { continue }
            fields.append(HTTPField(name: fieldName, value: value))
        }
        let target = request.url.query.map { request.url.path + "?" + $0 } ?? request.url.path
        return HTTPRequest(method: method, scheme: request.url.scheme, authority: request.url.host, path: target, headerFields: fields)
    }

    static func response(_ head: HTTPResponse, body: HTTPBody?) async throws -> Response {
        var headers = HTTPHeaders()
        headers.reserveCapacity(head.headerFields.count)
        for field in head.headerFields { headers.add(name: field.name.rawName, value: field.value) }
        let status = HTTPResponseStatus(statusCode: head.status.code, reasonPhrase: head.status.reasonPhrase)
        guard let body else { return Response(status: status, headers: headers, body: .empty) }
        if case .known(let length) = body.length, length <= Self.wholeBodyLimit {
            var buffer = ByteBuffer()
            buffer.reserveCapacity(Int(length))
            for try await chunk in body { buffer.writeBytes(chunk) }
            return Response(status: status, headers: headers, body: .init(buffer: buffer))
        }
        let count: Int = if case .known(let length) = body.length { Int(clamping: length) } else { -1 }
        return Response(status: status, headers: headers, body: .init(asyncStream: { writer in
            for try await chunk in body { try await writer.writeBuffer(ByteBuffer(bytes: chunk)) }
            try await writer.write(.end)
        }, count: count))
    }
}
