import Vapor

/// An error a client is meant to see: an RFC 9457 problem with a stable type. Services throw these; the one
/// problem middleware turns them (and every other error) into `application/problem+json`.
public struct Problem: Error, Sendable, Equatable {
    public struct FieldError: Codable, Sendable, Equatable {
        public var field: String
        public var message: String
        public init(field: String, message: String) {
            self.field = field
            self.message = message
        }
    }

    public var status: HTTPResponseStatus
    /// The last path segment of the problem type URI, e.g. `validation` for https://hwc3d.dev/problems/validation.
    public var slug: String
    public var title: String
    public var detail: String?
    public var errors: [FieldError]
    public var headers: [(String, String)]

    public init(
        _ status: HTTPResponseStatus, _ slug: String, _ title: String, detail: String? = nil,
        errors: [FieldError] = [], headers: [(String, String)] = []
    ) {
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    public static func == (lhs: Problem, rhs: Problem) -> Bool {
        lhs.status == rhs.status && lhs.slug == rhs.slug && lhs.detail == rhs.detail && lhs.errors == rhs.errors
    }

    public var typeURI: String { "https://hwc3d.dev/problems/\(slug)" }
}

extension Problem {
    static func malformed(_ detail: String) -> Problem {
        Problem(.badRequest, "malformed-request", "Malformed request", detail: detail)
    }
    static func validation(_ errors: [FieldError], detail: String? = nil) -> Problem {
        Problem(
            .unprocessableEntity, "validation", "Validation failed",
            detail: detail ?? errors.map { "\($0.field): \($0.message)" }.joined(separator: "; "), errors: errors)
    }
    static func validation(field: String, _ message: String) -> Problem {
        validation([FieldError(field: field, message: message)])
    }
    static let unauthenticated = Problem(
        .unauthorized, "unauthenticated", "Not signed in", detail: "Sign in to use this endpoint.")
    static func invalidToken(_ detail: String) -> Problem {
        Problem(.unauthorized, "invalid-token", "Invalid or expired token", detail: detail)
    }
    static let invalidCredentials = Problem(
        .unauthorized, "invalid-credentials", "Invalid credentials",
        detail: "The sign-in details are not correct.")
    static func forbidden(_ detail: String) -> Problem {
        Problem(.forbidden, "forbidden", "Not allowed", detail: detail)
    }
    static let emailNotVerified = Problem(
        .forbidden, "email-not-verified", "Email address not verified",
        detail: "Verify your email address before uploading, buying, selling, posting or commenting.")
    static func notFound(_ what: String) -> Problem {
        Problem(.notFound, "not-found", "Not found", detail: "\(what) was not found.")
    }
    static func conflict(_ slug: String, _ title: String, detail: String) -> Problem {
        Problem(.conflict, slug, title, detail: detail)
    }
    static func payloadTooLarge(limit: Int) -> Problem {
        Problem(
            .payloadTooLarge, "payload-too-large", "Payload too large",
            detail: "The request body exceeds the limit of \(ByteCountFormatting.describe(limit)) for this endpoint.")
    }
    static func unsupportedMediaType(_ detail: String) -> Problem {
        Problem(.unsupportedMediaType, "unsupported-media-type", "Unsupported media type", detail: detail)
    }
    static func rateLimited(retryAfter: Int) -> Problem {
        Problem(
            .tooManyRequests, "rate-limited", "Too many requests",
            detail: "Too many requests; try again in \(retryAfter) seconds.",
            headers: [("Retry-After", String(retryAfter))])
    }
}

enum ByteCountFormatting {
    static func describe(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KB" }
        return "\(bytes) bytes"
    }
}
