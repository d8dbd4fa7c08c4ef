import Foundation

/// The storage part of `Settings`, kept beside it so Settings.swift only names the fields.
extension Settings {
    public enum StorageKind: String, Sendable, CaseIterable {
        case local, s3
    }

    /// An S3-compatible bucket (`STORAGE=s3`). The description leaves the secret out, so settings can be logged.
    public struct S3: Sendable, CustomStringConvertible {
        /// Base URL of the service: `S3_ENDPOINT`, or AWS's regional endpoint when that is empty.
        public var endpoint: String
        public var region: String
        public var bucket: String
        public var accessKeyID: String
        public var secretAccessKey: String
        /// Temporary credentials only (`S3_SESSION_TOKEN`).
        public var sessionToken: String?
        /// `endpoint/bucket/key` rather than `bucket.endpoint/key`; the default when an endpoint is given, since
        /// self-hosted services rarely have wildcard DNS.
        public var pathStyle: Bool

        public var description: String {
            "S3(endpoint: \(endpoint), region: \(region), bucket: \(bucket), path style: \(pathStyle))"
        }

        static func load(from env: EnvironmentReader) throws -> S3 {
            let region = env.string("S3_REGION", default: "us-east-1")
            guard region.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }) else {
                throw Invalid(variable: "S3_REGION", reason: "must be a region name like us-east-1")
            }
            let customEndpoint = env.optional("S3_ENDPOINT") != nil
            let endpoint = try env.url("S3_ENDPOINT", default: "https://s3.\(region).amazonaws.com")
            guard let bucket = env.optional("S3_BUCKET") else {
                throw Invalid(variable: "S3_BUCKET", reason: "is required when STORAGE=s3")
            }
            // S3's naming rules, which also keep the bucket usable as a host name.
            guard (3...63).contains(bucket.count),
                bucket.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-" || $0 == ".") }),
                bucket.first!.isLetter || bucket.first!.isNumber
            else {
                throw Invalid(variable: "S3_BUCKET", reason: "must be 3–63 lower-case letters, digits, '-' or '.'")
            }
            guard let accessKeyID = env.optional("S3_ACCESS_KEY_ID") else {
                throw Invalid(variable: "S3_ACCESS_KEY_ID", reason: "is required when STORAGE=s3")
            }
            guard let secret = env.optional("S3_SECRET_ACCESS_KEY") else {
                throw Invalid(variable: "S3_SECRET_ACCESS_KEY", reason: "is required when STORAGE=s3")
            }
            return S3(
                endpoint: endpoint, region: region, bucket: bucket, accessKeyID: accessKeyID, secretAccessKey: secret,
                sessionToken: env.optional("S3_SESSION_TOKEN"),
                pathStyle: try env.boolean("S3_PATH_STYLE", default: customEndpoint))
        }
    }
}
