import Vapor

/// The Vapor request behind the generated OpenAPI handlers, which receive only typed input: set by
/// `RequestContextMiddleware` (registered last, so it wraps the handler's task).
enum CurrentRequest {
    @TaskLocal static var value: Request?

    static func get() throws -> Request {
        guard let value else { throw ProblemMiddleware.internalError }
        return value
    }
}

struct RequestContextMiddleware: AsyncMiddleware {
    static let uriEncodedHeaders: [HTTPHeaders.Name] = [.location, .cacheControl, .contentDisposition, .contentRange]

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await CurrentRequest.$value.withValue(request) {
            try await next.respond(to: request)
        }
        // Cookies decided by a handler (sign-in, sign-out) travel on the response the generated code built.
        for cookie in request.pendingCookies {
            response.cookies[cookie.name] = cookie.value
        }
        request.applyPendingHeaders(to: response)
        // The generated server writes typed response headers URI-encoded as a whole (swift-openapi-generator
        // #529), which turns `Location: https://…` into a relative path for browsers. Every value of these
        // headers comes from that encoder, so decoding once restores exactly what the handler returned.
        for name in Self.uriEncodedHeaders {
            if let value = response.headers.first(name: name), let decoded = value.removingPercentEncoding {
                response.headers.replaceOrAdd(name: name, value: decoded)
            }
        }
        return response
    }
}

struct PendingCookie: Sendable {
    let name: String
    let value: HTTPCookies.Value
}

private struct PendingCookiesKey: StorageKey {
    typealias Value = [PendingCookie]
}

private struct PendingHeadersKey: StorageKey {
    typealias Value = [(String, String)]
}

private struct RequestIDKey: StorageKey {
    typealias Value = String
}

extension Request {
    var pendingCookies: [PendingCookie] {
        get { storage[PendingCookiesKey.self] ?? [] }
        set { storage[PendingCookiesKey.self] = newValue }
    }

    func setCookie(_ name: String, _ value: HTTPCookies.Value) {
        pendingCookies.append(PendingCookie(name: name, value: value))
    }

    /// Headers decided before the handler ran (rate-limit standing) that every response carries, errors included.
    func addResponseHeader(_ name: String, _ value: String) {
        storage[PendingHeadersKey.self] = (storage[PendingHeadersKey.self] ?? []) + [(name, value)]
    }

    func applyPendingHeaders(to response: Response) {
        for (name, value) in storage[PendingHeadersKey.self] ?? [] where !response.headers.contains(name: name) {
            response.headers.replaceOrAdd(name: name, value: value)
        }
    }

    var requestID: String {
        get { storage[RequestIDKey.self] ?? "unknown" }
        set { storage[RequestIDKey.self] = newValue }
    }

    /// The caller's address for rate limits and session records. Forwarded headers count only when the
    /// operator says a proxy sets them (`TRUST_PROXY=true`), since anyone can send them.
    var clientIP: String {
        if application.settings.trustProxy,
            let forwarded = headers.first(name: "X-Forwarded-For")?.split(separator: ",", maxSplits: 1).first
        {
            return forwarded.trimmingCharacters(in: .whitespaces)
        }
        return remoteAddress?.ipAddress ?? "unknown"
    }
}

/// Takes a sane `X-Request-ID` from the caller or makes one, puts it on every log line of the request and on
/// the response.
struct RequestIDMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let id: String
        if let incoming = request.headers.first(name: "X-Request-ID"), Self.isSane(incoming) {
            id = incoming
        } else {
            id = UUID().uuidString.lowercased()
        }
        request.requestID = id
        request.logger[metadataKey: "request-id"] = .string(id)
        // The access log is `LOG_LEVEL=debug`: the path only, because a query string can carry a secret (a reset
        // token, an OAuth code), and a download link's signed token is cut off too.
        request.logger.debug("request started", metadata: ["method": .string(request.method.rawValue), "path": .string(Self.loggable(request.url.path))])
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "X-Request-ID", value: id)
        request.logger.debug("request answered", metadata: ["status": .stringConvertible(response.status.code)])
        return response
    }

    static func loggable(_ path: String) -> String {
        let signedLinks = "/api/v1/files/"
        return path.hasPrefix(signedLinks) ? signedLinks + "…" : path
    }

    static func isSane(_ value: String) -> Bool {
        (1...128).contains(value.utf8.count)
            && value.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x2D || byte == 0x5F || byte == 0x2E
            }
    }
}

/// A response whose `Access-Control-Allow-Origin` depends on the request's Origin must say so, or a shared
/// cache could hand one origin's answer to another.
struct VaryOriginMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        if response.headers.contains(name: .accessControlAllowOrigin),
            !response.headers[.vary].contains(where: { $0.lowercased().contains("origin") })
        {
            response.headers.add(name: .vary, value: "Origin")
        }
        return response
    }
}

/// Headers every response carries; HSTS only in production, where TLS terminates in front of us.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    let production: Bool

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "strict-origin-when-cross-origin")
        response.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        if !response.headers.contains(name: "Content-Security-Policy") {
            response.headers.replaceOrAdd(
                name: "Content-Security-Policy", value: "default-src 'none'; frame-ancestors 'none'")
        }
        if production {
            response.headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains")
        }
        return response
    }
}
