import Foundation
import Testing

@testable import HWC3D

/// The signer held to AWS's published examples. Every expected signature below is copied from AWS's documents,
/// never produced by this signer:
/// - Amazon S3 API Reference, "Signature Calculations for the Authorization Header: Transferring Payload in a
///   Single Chunk" (examples GET Object, PUT Object, GET Bucket Lifecycle, Get Bucket (List Objects)),
/// - Amazon S3 API Reference, "Authenticating Requests: Using Query Parameters" (the presigned GET example),
/// - the AWS Signature Version 4 test suite (get-vanilla, get-vanilla-query-order-key-case, post-vanilla,
///   post-x-www-form-urlencoded).
@Suite("SigV4 signer")
struct SigV4SignerTests {
    // MARK: S3's examples: bucket `examplebucket`, 24 May 2013, the documentation's example keys

    static let s3Signer = SigV4Signer(
        credentials: .init(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "s3")
    static let may24 = Date(timeIntervalSince1970: 1_369_353_600)
    static let exampleHost = ("host", "examplebucket.s3.amazonaws.com")

    @Test("S3 example GET Object: a ranged GET of test.txt")
    func s3GetObject() {
        let signed = Self.s3Signer.sign(
            .init(method: "GET", path: "/test.txt", headers: [Self.exampleHost, ("Range", "bytes=0-9")]),
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.may24)
        #expect(signed.signedHeaders == "host;range;x-amz-content-sha256;x-amz-date")
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(signed.headers.contains { $0.name == "x-amz-date" && $0.value == "20130524T000000Z" })
        #expect(signed.headers.contains {
            $0.name == "x-amz-content-sha256" && $0.value == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        })
        #expect(signed.authorization.hasPrefix(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "))
    }

    @Test("S3 example PUT Object: test$file.text with x-amz-storage-class, the `$` percent-encoded once")
    func s3PutObject() {
        let body = Data("Welcome to Amazon S3.".utf8)
        #expect(SigV4Signer.sha256Hex(body) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let signed = Self.s3Signer.sign(
            .init(
                method: "PUT", path: "/test$file.text",
                headers: [Self.exampleHost, ("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")]),
            payloadHash: SigV4Signer.sha256Hex(body), date: Self.may24)
        #expect(signed.signedHeaders == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
        #expect(signed.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("S3 example GET Bucket Lifecycle: a query parameter without a value")
    func s3GetLifecycle() {
        let signed = Self.s3Signer.sign(
            .init(method: "GET", path: "/", query: [("lifecycle", "")], headers: [Self.exampleHost]),
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.may24)
        #expect(signed.signedHeaders == "host;x-amz-content-sha256;x-amz-date")
        #expect(signed.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test("S3 example Get Bucket (List Objects): query parameters sorted by name")
    func s3ListObjects() {
        let signed = Self.s3Signer.sign(
            .init(method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [Self.exampleHost]),
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.may24)
        #expect(signed.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    @Test("S3 presigned URL example: GET test.txt for 86400 seconds, only host signed, UNSIGNED-PAYLOAD")
    func s3PresignedExample() throws {
        let query = Self.s3Signer.presign(
            .init(method: "GET", path: "/test.txt", headers: [Self.exampleHost]), date: Self.may24, expires: 86400)
        let items = Dictionary(uniqueKeysWithValues: query.map { ($0.name, $0.value) })
        #expect(items["X-Amz-Signature"] == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        #expect(items["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256")
        #expect(items["X-Amz-Credential"] == "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request")
        #expect(items["X-Amz-Date"] == "20130524T000000Z")
        #expect(items["X-Amz-Expires"] == "86400")
        #expect(items["X-Amz-SignedHeaders"] == "host")
        // On the wire the credential's slashes are encoded, as in the document's URL.
        #expect(SigV4Signer.canonicalQuery(query).contains(
            "X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"))
    }

    // MARK: the generic SigV4 test suite: service `service`, 30 August 2015

    static let suiteSigner = SigV4Signer(
        credentials: .init(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")
    static let august30 = Date(timeIntervalSince1970: 1_440_938_160)
    static let suiteHost = ("Host", "example.amazonaws.com")

    static func suiteAuthorization(_ signedHeaders: String, _ signature: String) -> String {
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            + "SignedHeaders=\(signedHeaders), Signature=\(signature)"
    }

    @Test("test suite get-vanilla")
    func getVanilla() {
        let signed = Self.suiteSigner.sign(
            .init(method: "GET", path: "/", headers: [Self.suiteHost]), payloadHash: SigV4Signer.emptyPayloadHash,
            date: Self.august30)
        #expect(signed.authorization == Self.suiteAuthorization(
            "host;x-amz-date", "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"))
        // No x-amz-content-sha256 outside S3.
        #expect(!signed.headers.contains { $0.name == "x-amz-content-sha256" })
    }

    @Test("test suite get-vanilla-query-order-key-case")
    func getVanillaQueryOrder() {
        let signed = Self.suiteSigner.sign(
            .init(method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")], headers: [Self.suiteHost]),
            payloadHash: SigV4Signer.emptyPayloadHash, date: Self.august30)
        #expect(signed.authorization == Self.suiteAuthorization(
            "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"))
    }

    @Test("test suite post-vanilla")
    func postVanilla() {
        let signed = Self.suiteSigner.sign(
            .init(method: "POST", path: "/", headers: [Self.suiteHost]), payloadHash: SigV4Signer.emptyPayloadHash,
            date: Self.august30)
        #expect(signed.authorization == Self.suiteAuthorization(
            "host;x-amz-date", "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"))
    }

    @Test("test suite post-x-www-form-urlencoded: the content type signed, the body hashed")
    func postFormEncoded() {
        let signed = Self.suiteSigner.sign(
            .init(method: "POST", path: "/", headers: [("Content-Type", "application/x-www-form-urlencoded"), Self.suiteHost]),
            payloadHash: SigV4Signer.sha256Hex(Data("Param1=value1".utf8)), date: Self.august30)
        #expect(signed.authorization == Self.suiteAuthorization(
            "content-type;host;x-amz-date", "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"))
    }

    // MARK: the pieces

    @Test("timestamps are UTC in the basic ISO 8601 form")
    func timestamps() {
        #expect(SigV4Signer.timestamp(Self.may24) == "20130524T000000Z")
        #expect(SigV4Signer.timestamp(Self.august30) == "20150830T123600Z")
    }

    @Test("paths: RFC 3986 unreserved characters and / stay, everything else is %XX with upper-case hex, once")
    func pathEncoding() {
        #expect(SigV4Signer.encodePath("/models/a b/ü~x_y-z.glb") == "/models/a%20b/%C3%BC~x_y-z.glb")
        #expect(SigV4Signer.encodePath("/a+b=c&d%2F") == "/a%2Bb%3Dc%26d%252F")
        #expect(SigV4Signer.encodePath("") == "/")
        #expect(SigV4Signer.uriEncode("a/b c", keepSlash: false) == "a%2Fb%20c")
    }

    @Test("header values are trimmed with inner runs of spaces collapsed; repeated names join with commas")
    func headerCanonicalisation() {
        let headers = SigV4Signer.canonicalHeaders([("X-Test", "  a   b  "), ("Host", "h"), ("x-test", "c")])
        #expect(headers.map(\.name) == ["host", "x-test"])
        #expect(headers.map(\.value) == ["h", "a b,c"])
    }

    @Test("temporary credentials: the session token is sent and signed, in headers and in presigned URLs")
    func sessionToken() {
        let signer = SigV4Signer(
            credentials: .init(accessKeyID: "AKID", secretAccessKey: "secret", sessionToken: "token/with+chars"),
            region: "eu-west-1", service: "s3")
        let signed = signer.sign(.init(method: "GET", path: "/k", headers: [("host", "h")]), payloadHash: "UNSIGNED-PAYLOAD", date: Self.may24)
        #expect(signed.headers.contains { $0.name == "x-amz-security-token" && $0.value == "token/with+chars" })
        #expect(signed.signedHeaders.contains("x-amz-security-token"))
        let query = signer.presign(.init(method: "GET", path: "/k", headers: [("host", "h")]), date: Self.may24, expires: 60)
        #expect(query.contains { $0.name == "X-Amz-Security-Token" && $0.value == "token/with+chars" })
    }

    @Test("bucket addressing: path style keeps the bucket in the path, virtual-hosted style moves it to the host")
    func addressing() throws {
        let pathStyle = try S3Location(endpoint: "http://127.0.0.1:9000", region: "us-east-1", bucket: "models", pathStyle: true)
        #expect(pathStyle.hostHeader() == "127.0.0.1:9000")
        #expect(pathStyle.url(key: "a/b c.glb", query: [("uploadId", "x/y")]) == "http://127.0.0.1:9000/models/a/b%20c.glb?uploadId=x%2Fy")
        #expect(pathStyle.url(key: nil, query: [("uploads", "")]) == "http://127.0.0.1:9000/models?uploads=")

        let virtual = try S3Location(endpoint: "https://s3.eu-west-1.amazonaws.com", region: "eu-west-1", bucket: "models", pathStyle: false)
        #expect(virtual.hostHeader() == "models.s3.eu-west-1.amazonaws.com")
        #expect(virtual.url(key: "a.glb", query: []) == "https://models.s3.eu-west-1.amazonaws.com/a.glb")
        // Default ports are left out of the Host header, as clients send it.
        let defaultPort = try S3Location(endpoint: "https://minio.example:443", region: "us-east-1", bucket: "b-1", pathStyle: true)
        #expect(defaultPort.hostHeader() == "minio.example")
    }
}
