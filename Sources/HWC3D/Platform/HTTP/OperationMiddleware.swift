import HTTPTypes
import OpenAPIRuntime
import Vapor

/// Per-operation limits that the generated server cannot express: request body size (enforced while the body
/// streams in, since the generated decoders would otherwise collect any amount) and rate-limit policies.
struct OperationLimitsMiddleware: ServerMiddleware {
    static let jsonBodyLimit = 1 << 20
    /// Multipart overhead (boundaries, part headers) allowed on top of the file limit.
    static let multipartOverhead = 64 << 10

    static let bodyLimits: [String: Int] = [
        "uploadAvatar": UserMedia.avatarMaxBytes + multipartOverhead,
        "uploadBanner": UserMedia.bannerMaxBytes + multipartOverhead,
    ]

    let rateLimiter: RateLimiter
    let settings: Settings

    /// Catalogue uploads follow their settings; everything else has a fixed limit.
    func bodyLimit(for operationID: String) -> Int {
        switch operationID {
        case "uploadModelFile": settings.modelUploadMaxBytes + Self.multipartOverhead
        case "uploadModelImage": settings.imageUploadMaxBytes + Self.multipartOverhead
        default: Self.bodyLimits[operationID] ?? Self.jsonBodyLimit
        }
    }

    func intercept(
        _ request: HTTPTypes.HTTPRequest, body: OpenAPIRuntime.HTTPBody?, metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPTypes.HTTPRequest, OpenAPIRuntime.HTTPBody?, ServerRequestMetadata) async throws -> (
            HTTPTypes.HTTPResponse, OpenAPIRuntime.HTTPBody?
        )
    ) async throws -> (HTTPTypes.HTTPResponse, OpenAPIRuntime.HTTPBody?) {
        if settings.rateLimitsEnabled, request.path?.hasPrefix("/api/") == true {
            let policy = RateLimitPolicies.policy(for: operationID, settings: settings)
            let vaporRequest = try CurrentRequest.get()
            var key = "ip:\(vaporRequest.clientIP)"
            if policy.perUser, let caller = try? await vaporRequest.caller() {
                key = "user:\(caller.userID.uuidString)"
            }
            let decision = rateLimiter.hit(
                policy: policy.name, limit: policy.limit, windowSeconds: policy.windowSeconds, key: key)
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
            let limit = bodyLimit(for: operationID)
            if case .known(let length) = body.length, length > limit { throw Problem.payloadTooLarge(limit: limit) }
            limitedBody = HTTPBody(
                BodyLimitSequence(base: body, limit: limit), length: body.length, iterationBehavior: .single)
        }
        return try await next(request, limitedBody, metadata)
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
