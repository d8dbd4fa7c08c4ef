import Crypto
import Foundation
import NIOPosix
import OpenAPIRuntime

/// Streams an upload to a temp file while counting and hashing it, refusing it (413) the moment it passes its
/// limit. The caller stores the finished file and always calls `discard()`.
struct UploadSpool: Sendable {
    let path: String
    let size: Int64
    let sha256: String

    enum Refusal: Error { case tooLarge, overQuota }

    static func receive(
        _ body: HTTPBody, limit: Int, quotaLeft: Int64, into directory: String, threadPool: NIOThreadPool
    ) async throws -> UploadSpool {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/upload-" + UUID().uuidString.lowercased()
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw Problem(.serviceUnavailable, "service-unavailable", "Service unavailable", detail: "Uploads cannot be stored right now.") }
        var hasher = SHA256()
        var size: Int64 = 0
        var pending = Data()
        do {
            for try await chunk in body {
                size += Int64(chunk.count)
                if size > Int64(limit) { throw Refusal.tooLarge }
                if size > quotaLeft { throw Refusal.overQuota }
                hasher.update(data: chunk)
                pending.append(contentsOf: chunk)
                // Written in batches on the thread pool: disk writes never block an event loop.
                if pending.count >= 1 << 20 {
                    let batch = pending
                    pending = Data()
                    try await threadPool.runIfActive { try handle.write(contentsOf: batch) }
                }
            }
            let batch = pending
            try await threadPool.runIfActive {
                try handle.write(contentsOf: batch)
                try handle.close()
            }
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        return UploadSpool(path: path, size: size, sha256: digest)
    }

    func discard() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
