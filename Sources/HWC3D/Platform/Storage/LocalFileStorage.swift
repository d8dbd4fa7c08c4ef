import Foundation
import NIOPosix
import OpenAPIRuntime

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Storage in a directory (`$DATA_DIR/storage`). Every write lands beside its target and is renamed into place,
/// so a reader never sees half a file. Downloads go through `/api/v1/files/{token}` links signed by the server.
struct LocalFileStorage: FileStorage {
    let root: URL
    let threadPool: NIOThreadPool
    let links: DownloadLinkSigner
    /// Where the API is reached from outside, prefixed to download links.
    let publicURL: String

    init(root: String, threadPool: NIOThreadPool, links: DownloadLinkSigner, publicURL: String) throws {
        self.root = URL(fileURLWithPath: root, isDirectory: true)
        self.threadPool = threadPool
        self.links = links
        self.publicURL = publicURL
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
            try data.write(to: target, options: .atomic)
        }
    }

    func putFile(at localPath: String, key: String, contentType: String) async throws {
        let target = try url(for: key)
        try await threadPool.runIfActive {
            try FileManager.default.createDirectory(
                at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            let partial = target.deletingLastPathComponent()
                .appendingPathComponent(".partial-\(UUID().uuidString)-\(target.lastPathComponent)")
            do {
                // A copy, not a move: the caller's temp file may live on another file system, and stays theirs.
                try FileManager.default.copyItem(atPath: localPath, toPath: partial.path)
                guard rename(partial.path, target.path) == 0 else {
                    throw StorageError.sourceUnreadable("rename failed (errno \(errno))")
                }
            } catch {
                try? FileManager.default.removeItem(at: partial)
                if let storage = error as? StorageError { throw storage }
                throw StorageError.sourceUnreadable("\(error)")
            }
        }
    }

    func get(key: String) async throws -> Data? {
        let target = try url(for: key)
        return try await threadPool.runIfActive {
            FileManager.default.fileExists(atPath: target.path) ? try Data(contentsOf: target) : nil
        }
    }

    func head(key: String) async throws -> StoredObjectInfo? {
        let target = try url(for: key)
        return try await threadPool.runIfActive {
            var status = stat()
            guard stat(target.path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
            return Self.info(size: Int(status.st_size), modified: modifiedNanoseconds(status), key: key)
        }
    }

    func read(key: String, range: ClosedRange<Int>?) async throws -> StoredObjectBody? {
        let target = try url(for: key)
        guard let file = try await threadPool.runIfActive({ try OpenFile.reading(target.path) }) else { return nil }
        let served = try StoredObjectKey.resolve(range, size: file.size)
        let chunks = FileChunks(file: file, range: served, threadPool: threadPool)
        return StoredObjectBody(
            info: Self.info(size: file.size, modified: file.modified, key: key), range: served,
            bytes: HTTPBody(chunks.httpBody, length: .known(Int64(served.count)), iterationBehavior: .single))
    }

    /// The file itself: local storage has nothing to copy and nothing to clean up.
    func fetchToLocalFile(key: String) async throws -> LocalCopy {
        guard try await head(key: key) != nil else { throw StorageError.notFound(key: key) }
        return LocalCopy(path: try url(for: key).path, isTemporary: false)
    }

    func downloadURL(key: String, filename: String, expiresIn seconds: Int) async throws -> String {
        guard StoredObjectKey.isSafe(key) else { throw Problem.malformed("Invalid storage key.") }
        let expiry = Int(Date().timeIntervalSince1970.rounded(.down)) + seconds
        let token = links.token(for: .init(key: key, filename: filename, expiresAt: expiry))
        return "\(publicURL)/api/v1/files/\(token)"
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

    /// A directory keeps no content type, so it is told by the key's extension (keys are made by the server,
    /// with the extension of the detected format). The ETag changes with size or modification time.
    private static func info(size: Int, modified: Int, key: String) -> StoredObjectInfo {
        StoredObjectInfo(
            size: size, contentType: ContentTypes.forKey(key),
            etag: "\"\(String(size, radix: 16))-\(String(modified, radix: 16))\"")
    }
}

enum ContentTypes {
    static func forKey(_ key: String) -> String {
        switch key.split(separator: ".").last?.lowercased() ?? "" {
        case "webp": "image/webp"
        case "jpg", "jpeg": "image/jpeg"
        case "png": "image/png"
        case "glb": "model/gltf-binary"
        case "gltf": "model/gltf+json"
        case "obj": "model/obj"
        case "zip": "application/zip"
        default: "application/octet-stream"
        }
    }
}
