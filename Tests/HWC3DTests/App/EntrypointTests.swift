import Foundation
import Testing
import VaporTesting

/// The `hwc3d` executable itself, run as a separate process the way an operator runs it.
@Suite("The hwc3d executable")
struct EntrypointTests {
    /// `swift build --build-tests` puts the executable beside the test bundle.
    static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("hwc3d")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func launch(_ arguments: [String], environment: [String: String], output: Pipe? = nil) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.environment = environment.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"]) { a, _ in a }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = output ?? FileHandle.nullDevice
        try process.run()
        return (process, errors)
    }

    func waitForExit(_ process: Process, seconds: Double) async -> Bool {
        for _ in 0..<Int(seconds * 20) where process.isRunning { try? await Task.sleep(nanoseconds: 50_000_000) }
        return !process.isRunning
    }

    @Test("a bad setting stops the server at start with a message naming the variable")
    func badSettingNamesTheVariable() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("hwc3d-entry-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        for (variable, value) in [("PORT", "eighty"), ("DATABASE_URL", "mysql://db/x"), ("MAIL_TRANSPORT", "pigeon")] {
            let (process, errors) = try launch(["serve"], environment: ["DATA_DIR": dataDir.path, variable: value])
            #expect(await waitForExit(process, seconds: 10))
            #expect(process.terminationStatus == 2, "\(variable)")
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(message.contains("Invalid setting \(variable)"), "\(message)")
        }
        let (process, errors) = try launch(["serve"], environment: ["DATA_DIR": dataDir.path, "APP_ENV": "production"])
        #expect(await waitForExit(process, seconds: 10))
        #expect(process.terminationStatus == 2)
        #expect(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("JWT_SECRET"))
    }

    @Test("SIGTERM lets an in-flight request finish, refuses new ones, and exits cleanly")
    func gracefulShutdown() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("hwc3d-entry-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let port = try Self.freePort()
        // A slow password hash keeps the registration in flight while the signal arrives; the debug access log
        // says when the server has the request, so the signal never races the request's arrival.
        let console = Pipe()
        let (process, _) = try launch(["serve"], environment: [
            "DATA_DIR": dataDir.path, "PORT": String(port), "BCRYPT_COST": "14", "LOG_LEVEL": "debug",
            // The cost-14 hash takes about a second alone, but far longer while the rest of the suite loads both
            // cores; the drain must outlast it, or the test measures the machine, not the drain.
            "SHUTDOWN_GRACE_SECONDS": "120",
        ], output: console)
        let log = LogCollector(console)
        let client = try await Application.make(.testing)
        do {
            let base = "http://127.0.0.1:\(port)"
            var healthy = false
            for _ in 0..<200 where !healthy {
                healthy = (try? await client.client.get(URI(string: "\(base)/health")).status) == .ok
                if !healthy { try await Task.sleep(nanoseconds: 50_000_000) }
            }
            try #require(healthy, "the server did not come up")

            async let registration = client.client.post(URI(string: "\(base)/api/v1/auth/register")) { request in
                try request.content.encode(["email": "drain@example.com", "username": "drain", "password": "Slow-Hash-Wins-9!"])
            }
            var arrived = false
            for _ in 0..<600 where !arrived {
                arrived = log.text.contains("request started") && log.text.contains("path: /api/v1/auth/register")
                if !arrived { try await Task.sleep(nanoseconds: 50_000_000) }
            }
            try #require(arrived, "the registration never reached the server")
            kill(process.processIdentifier, SIGTERM)
            let response = try await registration
            #expect(response.status == .created)
            #expect(await waitForExit(process, seconds: 20))
            #expect(process.terminationStatus == 0)
            #expect((try? await client.client.get(URI(string: "\(base)/health"))) == nil, "still accepting after exit")
        } catch {
            process.terminate()
            try await client.asyncShutdown()
            throw error
        }
        try await client.asyncShutdown()
    }
}

/// Everything a child process writes to a pipe, collected as it arrives.
final class LogCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected = Data()

    init(_ pipe: Pipe) {
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            if chunk.isEmpty { handle.readabilityHandler = nil; return }
            self?.lock.withLock { self?.collected.append(chunk) }
        }
    }

    var text: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }
}
