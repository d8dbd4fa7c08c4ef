import Vapor

/// Bounds the request line and the header section before any route looks at them: no list in a query string can
/// be long enough to cost real work, and an oversized request gets a clear 414 or 431 rather than a dropped
/// connection. (Past 80 KiB SwiftNIO's HTTP parser gives up before any middleware runs; `MalformedHeadAnswer` gives the
/// same answers there.)
struct RequestHeadLimitsMiddleware: AsyncMiddleware {
    /// Browsers and proxies commonly cap URLs near 8 KB; nothing in the API needs more.
    static let maxTargetBytes = 8 << 10
    /// Cookies and tokens included; counted as name + value + the four bytes of ": " and CRLF per field.
    static let maxHeaderBytes = 32 << 10

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if request.url.string.utf8.count > Self.maxTargetBytes { throw Self.targetTooLong }
        var headerBytes = 0
        for (name, value) in request.headers { headerBytes += name.utf8.count + value.utf8.count + 4 }
        if headerBytes > Self.maxHeaderBytes { throw Self.headersTooLarge }
        return try await next.respond(to: request)
    }

    /// Also the answer when a head is too large even for the parser (`MalformedHeadAnswer`).
    static let targetTooLong = Problem(
        .uriTooLong, "uri-too-long", "URI too long", detail: "The request target is longer than \(maxTargetBytes) bytes.")
    static let headersTooLarge = Problem(
        .init(statusCode: 431, reasonPhrase: "Request Header Fields Too Large"), "headers-too-large",
        "Request header fields too large", detail: "The request's header fields are larger than \(maxHeaderBytes) bytes.")
}
