import FluentPostgresDriver
import OpenAPIRuntime
import Vapor

/// The one place where errors become responses. Every error leaves as `application/problem+json`; only problems
/// meant for clients carry details, and a 500 says nothing about its cause (the log, keyed by request id, does).
struct ProblemMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            let problem = Self.problem(for: error)
            if problem.status == .internalServerError {
                // The runtime's wrapper hides its cause; the log (never the response) gets the full story.
                let cause = (error as? ServerError).map { String(reflecting: $0.underlyingError) } ?? String(reflecting: error)
                request.logger.error("unhandled error", metadata: ["error": "\(cause)"])
            } else {
                request.logger.debug("request failed", metadata: ["status": "\(problem.status.code)", "type": "\(problem.slug)"])
            }
            let response = Self.response(for: problem, request: request)
            request.applyPendingHeaders(to: response)
            return response
        }
    }

    static func response(for problem: Problem, request: Request) -> Response {
        let body = ProblemBody(
            type: problem.typeURI,
            title: problem.title,
            status: Int(problem.status.code),
            detail: problem.detail,
            instance: request.url.path,
            requestID: request.requestID,
            errors: problem.errors.isEmpty ? nil : problem.errors)
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "application", subType: "problem+json")
        for (name, value) in problem.headers { headers.replaceOrAdd(name: name, value: value) }
        let data = (try? JSONEncoder.api.encode(body)) ?? Data()
        return Response(status: problem.status, headers: headers, body: .init(data: data))
    }

    static func problem(for error: any Error) -> Problem {
        if isTransientDatabaseError(error) { return databaseBusy }
        switch error {
        case let problem as Problem:
            return problem
        case let serverError as ServerError:
            if let inner = serverError.underlyingError as? Problem { return inner }
            if isTransientDatabaseError(serverError.underlyingError) { return databaseBusy }
            if let decoding = serverError.underlyingError as? DecodingError { return problem(for: decoding) }
            let status = HTTPResponseStatus(statusCode: serverError.httpStatus.code)
            switch status.code {
            case 415:
                return .unsupportedMediaType(serverError.causeDescription)
            case 400..<500:
                return Problem(status, "malformed-request", status.reasonPhrase, detail: serverError.causeDescription)
            default:
                if let abort = serverError.underlyingError as? any AbortError { return problem(for: abort) }
                // The runtime reports an unparsable query string (`?&a=1`) with its internal ParsingError and a 500;
                // it is the client's malformed request, so it is a 400.
                if String(reflecting: type(of: serverError.underlyingError)).hasSuffix(".ParsingError") {
                    return .malformed("The query string could not be parsed.")
                }
                return internalError
            }
        case let decoding as DecodingError:
            return problem(for: decoding)
        case let abort as any AbortError:
            let slug: String
            switch abort.status {
            case .notFound: slug = "not-found"
            case .payloadTooLarge: slug = "payload-too-large"
            case .unsupportedMediaType: slug = "unsupported-media-type"
            case .methodNotAllowed: slug = "method-not-allowed"
            default: slug = abort.status.code < 500 ? "bad-request" : "internal"
            }
            if abort.status.code >= 500 { return internalError }
            return Problem(abort.status, slug, abort.status.reasonPhrase, detail: abort.reason,
                           headers: abort.headers.map { ($0.name, $0.value) })
        default:
            return internalError
        }
    }

    static let internalError = Problem(
        .internalServerError, "internal", "Internal server error",
        detail: "Something went wrong on our side. Quote the request id when reporting it.")

    /// Syntax errors are 400; a well-formed body with missing or wrong-typed fields is 422 naming the field.
    static func problem(for error: DecodingError) -> Problem {
        func field(_ path: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let keys = (path + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            let joined = keys.reduce("") { partial, key in
                key.hasPrefix("[") || partial.isEmpty ? partial + key : partial + "." + key
            }
            return joined.isEmpty ? "body" : joined
        }
        switch error {
        case .keyNotFound(let key, let context):
            return .validation(field: field(context.codingPath, key), "is required")
        case .valueNotFound(_, let context):
            return .validation(field: field(context.codingPath), "must not be null")
        case .typeMismatch(let type, let context):
            return .validation(field: field(context.codingPath), "has the wrong type (expected \(describe(type)))")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                return .malformed("The request body is not valid JSON.")
            }
            return .validation(field: field(context.codingPath), "has an invalid value")
        @unknown default:
            return .malformed("The request could not be read.")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        let name = String(describing: type)
        switch name {
        case "String", "Substring": return "string"
        case "Int", "Int64", "Int32", "Double", "Float": return "number"
        case "Bool": return "boolean"
        default:
            if name.hasPrefix("Array") { return "array" }
            if name.hasPrefix("Dictionary") { return "object" }
            return "object"
        }
    }
    /// Contention that a retry resolves: no pooled connection came free in time (SQLite's single connection behind
    /// a queue of writes), or PostgreSQL broke a deadlock or a serialization conflict. A 503 with `Retry-After`
    /// tells the client so, where a 500 would claim the server is broken.
    static func isTransientDatabaseError(_ error: any Error) -> Bool {
        if let psql = error as? PSQLError, let state = psql.serverInfo?[.sqlState] {
            return state == "40P01" || state == "40001"
        }
        return String(reflecting: type(of: error)).hasSuffix("ConnectionPoolTimeoutError")
    }

    static let databaseBusy = Problem(
        .serviceUnavailable, "database-busy", "Busy", detail: "The database is busy; retry in a moment.", headers: [("Retry-After", "1")])
}

struct ProblemBody: Codable {
    var type: String
    var title: String
    var status: Int
    var detail: String?
    /// Absent only where no request could be read (a head the HTTP parser refused).
    var instance: String?
    var requestID: String?
    var errors: [Problem.FieldError]?

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, instance, errors
        case requestID = "request_id"
    }
}

extension JSONEncoder {
    /// The API's JSON: snake_case keys are spelled out in the types, dates are RFC 3339 UTC.
    static let api: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}
