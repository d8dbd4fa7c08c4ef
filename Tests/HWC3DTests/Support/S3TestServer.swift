import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

@testable import HWC3D

/// The S3-compatible server the storage tests talk to: `Tests/tools/s3_server.py` (moto with its authentication
/// switched on, plus the presigned-URL checks moto lacks) on loopback.
///
/// `scripts/test.sh` starts one for the whole run and sets `HWC3D_TEST_S3_ENDPOINT`. Without that variable the
/// first test that needs it starts its own, as the SMTP tests start aiosmtpd, and it exits with the test process.
/// When neither works the S3 tests are skipped with a message, except under CI (`CI` set), where they run and
/// fail, so a missing server can never pass for a green run.
enum S3TestServer {
    struct Endpoint: Sendable {
        let url: String
        let accessKeyID: String
        let secretAccessKey: String
    }

    /// The script's defaults; `HWC3D_TEST_S3_ACCESS_KEY_ID` / `…_SECRET_ACCESS_KEY` go with an outside endpoint.
    static let defaultAccessKeyID = "AKIAHWC3DTESTS000001"
    static let defaultSecret = "hwc3d-tests-secret-access-key-0123456789"

    static let skipMessage: Comment = """
        needs the S3-compatible test server (Tests/tools/s3_server.py, moto): run scripts/test.sh, or \
        scripts/ensure-deps.sh test, or set HWC3D_TEST_S3_ENDPOINT
        """

    /// For `.enabled(if:)`: true when the server can be reached, and always true in CI.
    static func shouldRun() async -> Bool {
        if ProcessInfo.processInfo.environment["CI"].map({ !$0.isEmpty && $0 != "false" }) == true { return true }
        return (try? await endpoint()) != nil
    }

    static func endpoint() async throws -> Endpoint {
        try await Launcher.shared.endpoint()
    }

    /// A client for `bucket` on the test server, through the process-wide HTTP client (never shut down).
    static func client(bucket: String, accessKeyID: String? = nil, secret: String? = nil) async throws -> S3Client {
        let endpoint = try await endpoint()
        return S3Client(
            location: try S3Location(endpoint: endpoint.url, region: "us-east-1", bucket: bucket, pathStyle: true),
            credentials: .init(accessKeyID: accessKeyID ?? endpoint.accessKeyID, secretAccessKey: secret ?? endpoint.secretAccessKey),
            httpClient: HTTPClient.shared)
    }

    /// A new, empty bucket, so tests running in parallel never see each other's objects.
    static func makeBucket() async throws -> String {
        let name = "hwc3d-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(20)
        try await client(bucket: String(name)).perform(.PUT, key: nil, expected: [200])
        return String(name)
    }

    /// Multipart uploads started in `bucket` and neither completed nor aborted.
    static func pendingUploads(bucket: String) async throws -> [String] {
        let listing = try await client(bucket: bucket).perform(.GET, key: nil, query: [("uploads", "")], expected: [200])
        return S3XML.values(of: "UploadId", in: listing.body)
    }

    /// Settings that put a whole `TestServer` on S3, in a bucket of its own.
    static func serverOverrides() async throws -> [String: String] {
        let endpoint = try await endpoint()
        return [
            "STORAGE": "s3", "S3_ENDPOINT": endpoint.url, "S3_BUCKET": try await makeBucket(), "S3_REGION": "us-east-1",
            "S3_ACCESS_KEY_ID": endpoint.accessKeyID, "S3_SECRET_ACCESS_KEY": endpoint.secretAccessKey,
            "S3_PATH_STYLE": "true",
        ]
    }

    /// Starts the server at most once per test process.
    private actor Launcher {
        static let shared = Launcher()
        private var started: Result<Endpoint, any Error>?
        /// Kept open for the life of the process: the server exits when this pipe closes.
        private var stdin: Pipe?

        func endpoint() async throws -> Endpoint {
            if let started { return try started.get() }
            let environment = ProcessInfo.processInfo.environment
            let result: Result<Endpoint, any Error>
            if let url = environment["HWC3D_TEST_S3_ENDPOINT"], !url.isEmpty {
                result = .success(Endpoint(
                    url: url, accessKeyID: environment["HWC3D_TEST_S3_ACCESS_KEY_ID"] ?? S3TestServer.defaultAccessKeyID,
                    secretAccessKey: environment["HWC3D_TEST_S3_SECRET_ACCESS_KEY"] ?? S3TestServer.defaultSecret))
            } else {
                do { result = .success(try await launch(environment)) } catch { result = .failure(error) }
            }
            started = result
            return try result.get()
        }

        private func launch(_ environment: [String: String]) async throws -> Endpoint {
            let python = environment["HWC3D_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("tools/s3_server.py").path
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python.contains("/") ? python : "/usr/bin/env")
            process.arguments = (python.contains("/") ? [] : [python]) + [script, "--port", "0"]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            stdin = input

            // A server that never says READY is killed, which ends the read below.
            let watchdog = Task.detached { [process] in
                try? await Task.sleep(nanoseconds: 60_000_000_000)
                if !Task.isCancelled, process.isRunning { process.terminate() }
            }
            defer { watchdog.cancel() }
            let reader = output.fileHandleForReading
            let line = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
                Thread.detachNewThread {
                    var data = Data()
                    while !data.contains(0x0A) {
                        let chunk = reader.availableData
                        if chunk.isEmpty { break }
                        data.append(chunk)
                    }
                    continuation.resume(returning: String(decoding: data, as: UTF8.self))
                }
            }
            guard line.hasPrefix("READY "), let port = Int(line.dropFirst("READY ".count).prefix { $0.isNumber }) else {
                if process.isRunning { process.terminate() }
                throw ServerDidNotStart(detail: "\(python) \(script) said: \(line)")
            }
            return Endpoint(url: "http://127.0.0.1:\(port)", accessKeyID: defaultAccessKeyID, secretAccessKey: defaultSecret)
        }
    }

    struct ServerDidNotStart: Error, CustomStringConvertible {
        let detail: String
        var description: String { "the S3 test server did not start (is moto installed? scripts/ensure-deps.sh test): \(detail)" }
    }
}
