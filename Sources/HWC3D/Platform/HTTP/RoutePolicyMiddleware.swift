import HTTPTypes
import OpenAPIRuntime
import Vapor

/// Applies each operation's `RoutePolicy` before the generated code reads anything of the request: who is calling
/// comes first (401, then 403: cheap to decide, and the rate budget is per caller), then the path and query
/// (NUL, repeated or mistyped parameters), then the rate limit, and only then is the body handed on, cut off the
/// moment it passes the operation's size limit (the generated decoders would otherwise collect any amount) and,
/// for JSON, refused if it carries a NUL character.
struct RoutePolicyMiddleware: ServerMiddleware {
    /// The largest JSON body any operation takes (a 10,000-character description is at most 40 KB of UTF-8). Kept
    /// small because the generated code decodes a body whole before any rule can count its lists: at 64 KiB the
    /// longest array anyone can send decodes in milliseconds, and larger is 413 before a byte is parsed.
    static let jsonBodyLimit = 64 << 10
    /// Multipart overhead (boundaries, part headers) allowed on top of the file limit.
    static let multipartOverhead = 64 << 10

    let policies: RoutePolicies
    let rateLimiter: RateLimiter
    let settings: Settings

    func bodyLimit(_ limit: RoutePolicy.BodyLimit) -> Int {
        switch limit {
        case .json: Self.jsonBodyLimit
        case .avatar: UserMedia.avatarMaxBytes + Self.multipartOverhead
        case .banner: UserMedia.bannerMaxBytes + Self.multipartOverhead
        case .webhook: APIHandler.webhookBodyLimit
        case .modelFile: settings.modelUploadMaxBytes + Self.multipartOverhead
        case .image: settings.imageUploadMaxBytes + Self.multipartOverhead
        }
    }

    /// The largest body any operation accepts.
    var largestBodyLimit: Int { RoutePolicy.BodyLimit.allCases.map(bodyLimit).max() ?? Self.jsonBodyLimit }

    func intercept(
        _ request: HTTPTypes.HTTPRequest, body: OpenAPIRuntime.HTTPBody?, metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPTypes.HTTPRequest, OpenAPIRuntime.HTTPBody?, ServerRequestMetadata) async throws -> (
            HTTPTypes.HTTPResponse, OpenAPIRuntime.HTTPBody?
        )
    ) async throws -> (HTTPTypes.HTTPResponse, OpenAPIRuntime.HTTPBody?) {
        // Checked when the server starts; an operation without a policy cannot get here.
        guard let policy = policies[operationID] else { throw ProblemMiddleware.internalError }
        let vaporRequest = try CurrentRequest.get()

        switch policy.access {
        case .public: break
        case .optional: _ = try await vaporRequest.caller()
        case .user: _ = try await vaporRequest.requireCaller()
        case .verified: _ = try await vaporRequest.requireVerifiedCaller()
        case .admin:
            let admin = try await vaporRequest.requireAdminCaller()
            if let permission = policy.permission { try admin.require(permission) }
        }

        // Input only after identity: a caller who may not call the operation hears 401/403, whatever it sent.
        // No text anywhere in the API may hold NUL (PostgreSQL cannot store it); a path or query with one is
        // refused here rather than failing in the database.
        if vaporRequest.url.path.range(of: "%00", options: .caseInsensitive) != nil {
            throw Problem.malformed("The request path contains a NUL character (%00).")
        }
        if let query = vaporRequest.url.query { try Self.checkQuery(query, declared: policy.query) }

        if settings.rateLimitsEnabled, request.path?.hasPrefix("/api/") == true {
            let limit = RateLimitPolicies.policy(named: policy.rateLimit, settings: settings)
            var key = "ip:\(vaporRequest.clientIP)"
            if limit.perUser, let caller = try? await vaporRequest.caller() {
                key = "user:\(caller.userID.uuidString)"
            }
            let decision = rateLimiter.hit(
                policy: limit.name, limit: limit.limit, windowSeconds: limit.windowSeconds, key: key)
            // Carried by every response of the route, errors included (see `Request.applyPendingHeaders`).
            for (name, value) in decision.headers { vaporRequest.addResponseHeader(name, value) }
            guard decision.allowed else {
                throw Problem.rateLimited(retryAfter: max(1, decision.resetSeconds))
            }
        }

        // The transport hands over a body object even when the request has none; an empty body is "no body",
        // so optional request bodies decode as absent instead of as malformed JSON.
        var limitedBody = body
        let declaresBody = request.headerFields[.contentLength].map { $0 != "0" }
            ?? (request.headerFields[.transferEncoding] != nil)
        if !declaresBody { limitedBody = nil }
        if let body, declaresBody {
            let limit = bodyLimit(policy.bodyLimit)
            if case .known(let length) = body.length, length > limit { throw Problem.payloadTooLarge(limit: limit) }
            limitedBody = HTTPBody(
                BodyLimitSequence(base: body, limit: limit), length: body.length, iterationBehavior: .single)
            if request.headerFields[.contentType]?.lowercased().contains("json") == true, let checked = limitedBody {
                limitedBody = HTTPBody(JSONNulGuard(base: checked), length: body.length, iterationBehavior: .single)
            }
        }
        return try await next(request, limitedBody, metadata)
    }
}

extension RoutePolicyMiddleware {
    /// No parameter of the API is a list of repeated names, so a repeat is a malformed request, named as such;
    /// a value that cannot be what its schema says, or holds NUL, is a 422 naming the parameter (a number past
    /// `Int` included), rather than a decoding error the generated code would report against the body. Parameters
    /// the operation does not declare are never read, so they are not checked: a cache-busting `?_=1` stays harmless.
    static func checkQuery(_ query: String, declared: [String: RoutePolicy.QueryValue]) throws {
        var seen = Set<String>()
        var errors: [Problem.FieldError] = []
        for item in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = parts[0].removingPercentEncoding ?? String(parts[0])
            guard let kind = declared[name] else { continue }
            guard seen.insert(name).inserted else {
                throw Problem.malformed("The query parameter `\(name.prefix(60))` is given more than once.")
            }
            guard parts.count == 2 else { continue }
            let value = (parts[1].replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[1]))
            if value.unicodeScalars.contains("\u{0}") {
                errors.append(.init(field: name, message: TextInput.controlMessage))
                continue
            }
            switch kind {
            case .integer where Int(value) == nil:
                errors.append(.init(field: name, message: "must be an integer"))
            case .boolean where value != "true" && value != "false":
                errors.append(.init(field: name, message: "must be true or false"))
            default:
                break
            }
        }
        guard errors.isEmpty else { throw Problem.validation(errors) }
    }
}

/// Passes a body through until it passes `limit` bytes, then fails with 413 at once: the rest is never read.
struct BodyLimitSequence: AsyncSequence, Sendable {
    typealias Element = HTTPBody.ByteChunk
    let base: HTTPBody
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPBody.AsyncIterator
        let limit: Int
        var seen = 0

        mutating func next() async throws -> HTTPBody.ByteChunk? {
            guard let chunk = try await base.next() else { return nil }
            seen += chunk.count
            if seen > limit { throw Problem.payloadTooLarge(limit: limit) }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), limit: limit) }
}
