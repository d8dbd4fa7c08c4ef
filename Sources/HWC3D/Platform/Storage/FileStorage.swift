import Foundation
import OpenAPIRuntime

/// Where files live. Keys are relative paths like `avatars/<id>.webp`; implementations never let a key escape
/// their root. Two real implementations: `LocalFileStorage` (a directory, the default) and `S3FileStorage`
/// (any S3-compatible service).
protocol FileStorage: Sendable {
    /// Small objects already in memory (thumbnails, avatars).
    func put(_ data: Data, key: String, contentType: String) async throws
    /// Moves the bytes of a local file (an upload's temp file) into storage without loading it into memory.
    /// The caller still owns, and removes, `localPath`. Either the whole object is stored or nothing is.
    func putFile(at localPath: String, key: String, contentType: String) async throws
    /// The whole object in memory, or nil when there is none; only for small objects.
    func get(key: String) async throws -> Data?
    func head(key: String) async throws -> StoredObjectInfo?
    /// The object (or one byte range of it, with HTTP's rules: an end past the last byte is clamped, a start past
    /// it throws `StorageError.rangeNotSatisfiable`) as a stream, or nil when there is none.
    func read(key: String, range: ClosedRange<Int>?) async throws -> StoredObjectBody?
    /// A file on this machine holding the object, for readers that need random access (the 3D analysis).
    /// Throws `StorageError.notFound` when there is no such object. Call `discard()` when done.
    func fetchToLocalFile(key: String) async throws -> LocalCopy
    /// A link that lets anyone holding it download the object as `filename` until it expires, and never after.
    func downloadURL(key: String, filename: String, expiresIn seconds: Int) async throws -> String
    /// Removing an object that is not there is not an error.
    func delete(key: String) async throws
    /// For readiness checks: can a file be written and removed right now?
    func checkWritable() async throws
}

struct StoredObjectInfo: Sendable, Equatable {
    var size: Int
    var contentType: String?
    /// Changes whenever the content does; quoted, as HTTP and S3 give it.
    var etag: String?
}

/// A stored object's bytes on their way out. `bytes` streams once, in chunks, from disk or from S3.
struct StoredObjectBody: Sendable {
    var info: StoredObjectInfo
    /// The bytes `bytes` yields: the requested range, or the whole object.
    var range: Range<Int>
    var bytes: HTTPBody

    var isPartial: Bool { range.count != info.size }
}

/// A local path holding a stored object's bytes. Local storage hands out its own file (nothing to clean up);
/// remote storage downloads to a temp file that `discard()` removes.
struct LocalCopy: Sendable {
    let path: String
    private let isTemporary: Bool

    init(path: String, isTemporary: Bool) {
        self.path = path
        self.isTemporary = isTemporary
    }

    func discard() {
        if isTemporary { try? FileManager.default.removeItem(atPath: path) }
    }
}

enum StorageError: Error, Equatable, CustomStringConvertible {
    case notFound(key: String)
    case rangeNotSatisfiable(size: Int)
    /// The local file being stored could not be read to its end (removed, truncated, unreadable).
    case sourceUnreadable(String)
    /// The storage service refused: HTTP status and, for S3, the `<Code>` and `<Message>` of its error document.
    case service(status: Int, code: String, message: String)
    case unexpectedResponse(String)

    var description: String {
        switch self {
        case .notFound(let key): "no stored object \(key)"
        case .rangeNotSatisfiable(let size): "range outside the object (\(size) bytes)"
        case .sourceUnreadable(let reason): "cannot read the file to store: \(reason)"
        case .service(let status, let code, let message): "storage service answered \(status) \(code): \(message)"
        case .unexpectedResponse(let reason): "unexpected answer from the storage service: \(reason)"
        }
    }
}

enum StoredObjectKey {
    /// Keys are built by the server from ids and fixed names; anything else is refused before touching a disk.
    static func isSafe(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 512 && !key.hasPrefix("/") && !key.contains("\\")
            && !key.split(separator: "/", omittingEmptySubsequences: false).contains(where: { $0 == ".." || $0 == "." || $0.isEmpty })
            && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./".contains($0)) }
    }

    /// Resolves an HTTP-style range against an object's size: the end is clamped to the last byte; a start past it
    /// (or any range of an empty object) cannot be served.
    static func resolve(_ range: ClosedRange<Int>?, size: Int) throws -> Range<Int> {
        guard let range else { return 0..<size }
        guard range.lowerBound >= 0, range.lowerBound < size else { throw StorageError.rangeNotSatisfiable(size: size) }
        return range.lowerBound..<(min(range.upperBound, size - 1) + 1)
    }
}
