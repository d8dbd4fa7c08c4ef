import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Where a bucket is and how to reach it.
struct S3Location: Sendable {
    var scheme: String
    /// Host name or address of the service, without the bucket.
    var host: String
    var port: Int?
    var region: String
    var bucket: String
    /// `https://host/bucket/key` (MinIO, moto, most self-hosted services) rather than `https://bucket.host/key`.
    var pathStyle: Bool

    init(endpoint: String, region: String, bucket: String, pathStyle: Bool) throws {
        guard let components = URLComponents(string: endpoint), let scheme = components.scheme?.lowercased(),
            ["http", "https"].contains(scheme), let host = components.host, !host.isEmpty
        else { throw StorageError.unexpectedResponse("S3 endpoint \(endpoint) is not an http(s) URL") }
        self.scheme = scheme
        self.host = host
        self.port = components.port
        self.region = region
        self.bucket = bucket
        self.pathStyle = pathStyle
    }

    /// The `Host` header: the port only when it is not the scheme's default, as clients and servers both assume.
    func hostHeader() -> String {
        let name = pathStyle ? host : "\(bucket).\(host)"
        let isDefaultPort = port == nil || (scheme == "http" && port == 80) || (scheme == "https" && port == 443)
        return isDefaultPort ? name : "\(name):\(port!)"
    }

    /// The decoded request path of an object (or of the bucket itself when `key` is nil).
    func path(key: String?) -> String {
        switch (pathStyle, key) {
        case (true, let key?): "/\(bucket)/\(key)"
        case (true, nil): "/\(bucket)"
        case (false, let key?): "/\(key)"
        case (false, nil): "/"
        }
    }

    func url(key: String?, query: [(name: String, value: String)]) -> String {
        let queryString = SigV4Signer.canonicalQuery(query)
        return "\(scheme)://\(hostHeader())\(SigV4Signer.encodePath(path(key: key)))"
            + (queryString.isEmpty ? "" : "?" + queryString)
    }
}

/// Signed requests to one bucket over AsyncHTTPClient, and S3's errors turned into `StorageError`s. Nothing here
/// logs: URLs can carry signatures and headers carry credentials.
struct S3Client: Sendable {
    enum Payload: Sendable {
        case empty
        /// Small bodies (XML, thumbnails): hashed, so the signature covers them.
        case bytes(Data)
        /// File bodies: streamed with `UNSIGNED-PAYLOAD`, because hashing first would mean reading every byte
        /// twice. The headers, path and query are still signed, so the request cannot be pointed elsewhere, and
        /// TLS (in production) protects the bytes in transit.
        case file(FileChunks)
    }

    let location: S3Location
    let signer: SigV4Signer
    let httpClient: HTTPClient

    static let smallRequestTimeout: TimeAmount = .seconds(30)
    /// For a request that carries or starts returning a large body: slow links get their time.
    static let transferTimeout: TimeAmount = .minutes(15)

    init(location: S3Location, credentials: SigV4Signer.Credentials, httpClient: HTTPClient) {
        self.location = location
        self.signer = SigV4Signer(credentials: credentials, region: location.region, service: "s3")
        self.httpClient = httpClient
    }

    /// Sends one signed request. The caller checks the status (`expect`) and owns the response body.
    func send(
        _ method: HTTPMethod, key: String?, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], payload: Payload = .empty, timeout: TimeAmount = smallRequestTimeout
    ) async throws -> HTTPClientResponse {
        var signed = headers
        signed.append(("host", location.hostHeader()))
        let payloadHash: String
        let body: HTTPClientRequest.Body?
        switch payload {
        // Content-Length is left to the HTTP client and left unsigned: S3 needs only host and x-amz-* signed.
        case .empty:
            payloadHash = SigV4Signer.emptyPayloadHash
            // An explicit empty body, so PUT and POST carry `Content-Length: 0` as S3 wants.
            body = method == .PUT || method == .POST ? .bytes(ByteBuffer()) : nil
        case .bytes(let data):
            payloadHash = SigV4Signer.sha256Hex(data)
            body = .bytes(ByteBuffer(bytes: data))
        case .file(let chunks):
            payloadHash = SigV4Signer.unsignedPayload
            body = .stream(chunks, length: .known(Int64(chunks.range.count)))
        }
        let request = SigV4Signer.Request(
            method: method.rawValue, path: location.path(key: key), query: query, headers: signed)
        let signature = signer.sign(request, payloadHash: payloadHash, date: Date())

        var outgoing = HTTPClientRequest(url: location.url(key: key, query: query))
        outgoing.method = method
        for (name, value) in signed + signature.headers { outgoing.headers.replaceOrAdd(name: name, value: value) }
        outgoing.body = body
        return try await httpClient.execute(outgoing, timeout: timeout)
    }

    /// A request whose answer is small: sent, checked against `expected`, and its body read whole, which also
    /// hands the connection back to the pool.
    @discardableResult
    func perform(
        _ method: HTTPMethod, key: String?, query: [(name: String, value: String)] = [],
        headers: [(name: String, value: String)] = [], payload: Payload = .empty, expected: Set<UInt>,
        timeout: TimeAmount = smallRequestTimeout
    ) async throws -> (status: UInt, headers: HTTPHeaders, body: String) {
        let response = try await send(method, key: key, query: query, headers: headers, payload: payload, timeout: timeout)
        try await check(response, expected: expected)
        let body = try await response.body.collect(upTo: 1 << 20)
        return (response.status.code, response.headers, String(buffer: body))
    }

    /// Throws the service's error unless the status is one of `expected`. S3 explains refusals in an XML
    /// `<Error>` document (none for HEAD); only its `Code` and `Message` are kept.
    func check(_ response: HTTPClientResponse, expected: Set<UInt>) async throws {
        guard !expected.contains(response.status.code) else { return }
        let body = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
        throw Self.error(status: Int(response.status.code), body: body)
    }

    static func error(status: Int, body: String) -> StorageError {
        let code = S3XML.firstValue(of: "Code", in: body) ?? "HTTP\(status)"
        let message = S3XML.firstValue(of: "Message", in: body) ?? HTTPResponseStatus(statusCode: status).reasonPhrase
        return .service(status: status, code: code, message: message)
    }

    /// A GET of `key` that anyone can make until it expires, with the service's own signature check.
    func presignedGetURL(key: String, query: [(name: String, value: String)], expiresIn seconds: Int, date: Date = Date()) -> String {
        let request = SigV4Signer.Request(
            method: "GET", path: location.path(key: key), query: query, headers: [("host", location.hostHeader())])
        return location.url(key: key, query: signer.presign(request, date: date, expires: seconds))
    }
}

/// Just enough XML for S3's small, flat answers (upload ids, error codes, part lists). Values are found by
/// element name; S3 never nests an element inside one of the same name in these documents.
enum S3XML {
    static func firstValue(of element: String, in xml: String) -> String? {
        values(of: element, in: xml).first
    }

    static func values(of element: String, in xml: String) -> [String] {
        var found: [String] = []
        var rest = xml[...]
        while let open = rest.range(of: "<\(element)>") {
            guard let close = rest[open.upperBound...].range(of: "</\(element)>") else { break }
            found.append(unescape(String(rest[open.upperBound..<close.lowerBound])))
            rest = rest[close.upperBound...]
        }
        return found
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&apos;")
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = text[...]
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semicolon = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semicolon) <= 10 else {
                out += rest[amp...]
                return out
            }
            let entity = rest[rest.index(after: amp)..<semicolon]
            switch entity {
            case "amp": out += "&"
            case "lt": out += "<"
            case "gt": out += ">"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let number = entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16)
                    : entity.hasPrefix("#") ? UInt32(entity.dropFirst(), radix: 10) : nil
                if let number, let scalar = Unicode.Scalar(number) { out.unicodeScalars.append(scalar) } else { out += "&\(entity);" }
            }
            rest = rest[rest.index(after: semicolon)...]
        }
        return out + rest
    }
}
