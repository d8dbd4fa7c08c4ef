import Crypto
import Foundation

/// AWS Signature Version 4 (the `AWS4-HMAC-SHA256` algorithm), as S3 and every S3-compatible service check it.
/// Pure: the same request, credentials and instant always give the same signature, which is what lets the tests
/// hold it to AWS's published examples.
///
/// Paths are given decoded and encoded here exactly once, the S3 way (other AWS services encode twice); the
/// caller sends `SigV4Signer.encodePath(path)` on the wire so what is signed is what is sent.
struct SigV4Signer: Sendable {
    struct Credentials: Sendable {
        var accessKeyID: String
        var secretAccessKey: String
        /// Only for temporary credentials (STS); sent and signed as `x-amz-security-token`.
        var sessionToken: String?

        init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
            self.accessKeyID = accessKeyID
            self.secretAccessKey = secretAccessKey
            self.sessionToken = sessionToken
        }
    }

    /// What gets signed. `headers` must include `host` (with the port when it is not the scheme's default).
    struct Request: Sendable {
        var method: String
        var path: String
        var query: [(name: String, value: String)]
        var headers: [(name: String, value: String)]

        init(method: String, path: String, query: [(name: String, value: String)] = [], headers: [(name: String, value: String)]) {
            self.method = method
            self.path = path
            self.query = query
            self.headers = headers
        }
    }

    struct HeaderSignature: Sendable {
        /// Headers to send in addition to the request's own: `x-amz-date`, `x-amz-content-sha256` (S3),
        /// `x-amz-security-token` (temporary credentials) and `Authorization`.
        var headers: [(name: String, value: String)]
        var signedHeaders: String
        var signature: String
        var authorization: String
    }

    static let algorithm = "AWS4-HMAC-SHA256"
    /// The payload hash that tells S3 the body is not covered by the signature.
    static let unsignedPayload = "UNSIGNED-PAYLOAD"
    static let emptyPayloadHash = sha256Hex(Data())

    let credentials: Credentials
    let region: String
    let service: String

    // MARK: signing

    /// Signs with an `Authorization` header. S3 requires `x-amz-content-sha256` on every request, so it is added
    /// (and signed) for the `s3` service; other services do without it.
    func sign(_ request: Request, payloadHash: String, date: Date) -> HeaderSignature {
        let stamp = Self.timestamp(date)
        var headers = request.headers
        var added: [(name: String, value: String)] = [("x-amz-date", stamp)]
        if service == "s3" { added.append(("x-amz-content-sha256", payloadHash)) }
        if let token = credentials.sessionToken { added.append(("x-amz-security-token", token)) }
        headers += added

        let canonicalHeaders = Self.canonicalHeaders(headers)
        let signedHeaders = canonicalHeaders.map(\.name).joined(separator: ";")
        let canonical = Self.canonicalRequest(
            method: request.method, path: request.path, query: request.query, headers: canonicalHeaders,
            signedHeaders: signedHeaders, payloadHash: payloadHash)
        let signature = self.signature(canonicalRequest: canonical, timestamp: stamp)
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(stamp)), "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return HeaderSignature(
            headers: added + [("Authorization", authorization)], signedHeaders: signedHeaders, signature: signature,
            authorization: authorization)
    }

    /// The query items that make `request` a presigned URL valid for `expires` seconds from `date`: the request's
    /// own query followed by the `X-Amz-*` items, `X-Amz-Signature` last. Only `host` is signed, so any client
    /// can follow the link; the payload is `UNSIGNED-PAYLOAD` because a GET has none worth signing.
    func presign(_ request: Request, date: Date, expires: Int) -> [(name: String, value: String)] {
        let stamp = Self.timestamp(date)
        let canonicalHeaders = Self.canonicalHeaders(request.headers.filter { $0.name.lowercased() == "host" })
        let signedHeaders = canonicalHeaders.map(\.name).joined(separator: ";")
        var query = request.query
        query.append(("X-Amz-Algorithm", Self.algorithm))
        query.append(("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(stamp))"))
        query.append(("X-Amz-Date", stamp))
        query.append(("X-Amz-Expires", String(expires)))
        if let token = credentials.sessionToken { query.append(("X-Amz-Security-Token", token)) }
        query.append(("X-Amz-SignedHeaders", signedHeaders))
        let canonical = Self.canonicalRequest(
            method: request.method, path: request.path, query: query, headers: canonicalHeaders,
            signedHeaders: signedHeaders, payloadHash: Self.unsignedPayload)
        query.append(("X-Amz-Signature", signature(canonicalRequest: canonical, timestamp: stamp)))
        return query
    }

    // MARK: the algorithm's steps

    private func scope(_ timestamp: String) -> String {
        "\(timestamp.prefix(8))/\(region)/\(service)/aws4_request"
    }

    private func signature(canonicalRequest: String, timestamp: String) -> String {
        let stringToSign = [
            Self.algorithm, timestamp, scope(timestamp), Self.sha256Hex(Data(canonicalRequest.utf8)),
        ].joined(separator: "\n")
        return Self.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: signingKey(day: String(timestamp.prefix(8)))))
    }

    /// The key is derived per day, region and service, so a leaked signing key is worth little.
    private func signingKey(day: String) -> SymmetricKey {
        var key = SymmetricKey(data: Data("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        return key
    }

    static func canonicalRequest(
        method: String, path: String, query: [(name: String, value: String)],
        headers: [(name: String, value: String)], signedHeaders: String, payloadHash: String
    ) -> String {
        [
            method.uppercased(),
            encodePath(path),
            canonicalQuery(query),
            headers.map { "\($0.name):\($0.value)\n" }.joined(),
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
    }

    /// Lower-case names, values trimmed with inner runs of spaces collapsed, repeated names joined with commas,
    /// sorted by name.
    static func canonicalHeaders(_ headers: [(name: String, value: String)]) -> [(name: String, value: String)] {
        var merged: [String: [String]] = [:]
        for (name, value) in headers {
            let trimmed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
                .trimmingCharacters(in: .whitespaces)
            merged[name.lowercased(), default: []].append(trimmed)
        }
        return merged.keys.sorted().map { ($0, merged[$0]!.joined(separator: ",")) }
    }

    /// Every name and value encoded, then sorted by name and, for repeated names, by value.
    static func canonicalQuery(_ query: [(name: String, value: String)]) -> String {
        let encoded: [(name: String, value: String)] = query.map {
            (uriEncode($0.name, keepSlash: false), uriEncode($0.value, keepSlash: false))
        }
        let sorted = encoded.sorted { lhs, rhs in lhs.name == rhs.name ? lhs.value < rhs.value : lhs.name < rhs.name }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// A path as it is signed and as it must be sent: every byte but the RFC 3986 unreserved characters and `/`
    /// percent-encoded.
    static func encodePath(_ path: String) -> String {
        path.isEmpty ? "/" : uriEncode(path, keepSlash: true)
    }

    /// RFC 3986 percent-encoding with upper-case hex, leaving only `A–Z a–z 0–9 - . _ ~` (and `/` if asked).
    static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if unreserved[Int(byte)] || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let unreserved: [Bool] = (0..<256).map { value in
        let byte = UInt8(value)
        return (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "~")
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// `YYYYMMDD'T'HHMMSS'Z'` in UTC.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        func pad(_ value: Int?, _ width: Int) -> String {
            let digits = String(value ?? 0)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return pad(c.year, 4) + pad(c.month, 2) + pad(c.day, 2) + "T" + pad(c.hour, 2) + pad(c.minute, 2) + pad(c.second, 2) + "Z"
    }

    static func sha256Hex(_ data: some DataProtocol) -> String {
        hex(SHA256.hash(data: data))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
