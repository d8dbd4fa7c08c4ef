import Foundation
import NIOPosix

/// Where files live. Keys are relative paths like `avatars/<id>.webp`; implementations never let a key escape
/// their root.
protocol FileStorage: Sendable {
    func put(_ data: Data, key: String, contentType: String) async throws
    func get(key: String) async throws -> Data?
    func delete(key: String) async throws
    /// For readiness checks: can a file be written and removed right now?
    func checkWritable() async throws
}

enum StoredObjectKey {
    /// Keys are built by the server from ids and fixed names; anything else is refused before touching a disk.
    static func isSafe(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 512 && !key.hasPrefix("/") && !key.contains("\\")
            && !key.split(separator: "/").contains(where: { $0 == ".." || $0 == "." || $0.isEmpty })
            && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }
    }
}

struct LocalFileStorage: FileStorage {
    let root: URL
    let threadPool: NIOThreadPool

    init(root: String, threadPool: NIOThreadPool) throws {
        self.root = URL(fileURLWithPath: root, isDirectory: true)
        self.threadPool = threadPool
        try FileManager.default.createDirectory(at: self.root, withIntermediateDirectories: true)
    }

    private func url(for key: String) throws -> URL {
        guard StoredObjectKey.isSafe(key) else { throw Problem.malformed("Invalid storage key.") }
        return root.appendingPathComponent(key)
    }

    func put(_ data: Data, key: String, contentType: String) async throws {
        let target = try url(for: key)
        try await threadPool.runIfActive {
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            // Written beside the target and renamed, so a reader never sees half a file.
            try data.write(to: target, options: .atomic)
        }
    }

    func get(key: String) async throws -> Data? {
        let target = try url(for: key)
        return try await threadPool.runIfActive {
            FileManager.default.fileExists(atPath: target.path) ? try Data(contentsOf: target) : nil
        }
    }

    func delete(key: String) async throws {
        let target = try url(for: key)
        try await threadPool.runIfActive {
            if FileManager.default.fileExists(atPath: target.path) {
                try FileManager.default.removeItem(at: target)
            }
        }
    }

    func checkWritable() async throws {
        let probe = root.appendingPathComponent(".ready-\(UUID().uuidString)")
        try await threadPool.runIfActive {
            try Data("ok".utf8).write(to: probe)
            try FileManager.default.removeItem(at: probe)
        }
    }
}
