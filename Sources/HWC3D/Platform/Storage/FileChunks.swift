import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An open file, read with `pread` so any number of ranges can be read from it at once. Closed when the last
/// reader lets go of it, which also covers a client that hangs up halfway through a download.
final class OpenFile: Sendable {
    let descriptor: CInt
    let size: Int
    /// Modification time in nanoseconds since 1970, for ETags.
    let modified: Int

    /// nil when there is no file at `path`.
    static func reading(_ path: String) throws -> OpenFile? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT || errno == ENOTDIR { return nil }
            throw StorageError.sourceUnreadable("open failed (errno \(errno))")
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw StorageError.sourceUnreadable("not a regular file")
        }
        return OpenFile(descriptor: descriptor, size: Int(status.st_size), modified: modifiedNanoseconds(status))
    }

    private init(descriptor: CInt, size: Int, modified: Int) {
        self.descriptor = descriptor
        self.size = size
        self.modified = modified
    }

    deinit { close(descriptor) }

    /// Up to `count` bytes from `offset`; fewer only at the end of the file.
    func read(at offset: Int, count: Int) throws -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        while buffer.readableBytes < count {
            let done = buffer.readableBytes
            let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - done) { pointer -> Int in
                while true {
                    let result = pread(descriptor, pointer.baseAddress, count - done, off_t(offset + done))
                    if result >= 0 { return result }
                    if errno != EINTR { throw StorageError.sourceUnreadable("read failed (errno \(errno))") }
                }
            }
            if got == 0 { break }
        }
        return buffer
    }
}

func modifiedNanoseconds(_ status: stat) -> Int {
    Int(status.st_mtim.tv_sec) * 1_000_000_000 + Int(status.st_mtim.tv_nsec)
}

/// A byte range of an open file as a stream of chunks, each read on the blocking thread pool so the event loops
/// never wait for a disk. If the file turns out shorter than the range (truncated while being read), the stream
/// fails rather than ending early, so an upload of it fails rather than storing half a file.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    static let defaultChunkSize = 256 * 1024

    let file: OpenFile
    let range: Range<Int>
    let threadPool: NIOThreadPool
    var chunkSize: Int = FileChunks.defaultChunkSize

    func makeAsyncIterator() -> Iterator {
        Iterator(file: file, offset: range.lowerBound, end: range.upperBound, threadPool: threadPool, chunkSize: chunkSize)
    }

    struct Iterator: AsyncIteratorProtocol {
        let file: OpenFile
        var offset: Int
        let end: Int
        let threadPool: NIOThreadPool
        let chunkSize: Int

        mutating func next() async throws -> ByteBuffer? {
            guard offset < end else { return nil }
            let (file, start, count) = (self.file, offset, Swift.min(chunkSize, end - offset))
            let chunk = try await threadPool.runIfActive { try file.read(at: start, count: count) }
            guard chunk.readableBytes > 0 else {
                throw StorageError.sourceUnreadable("the file ended \(end - offset) bytes early")
            }
            offset += chunk.readableBytes
            return chunk
        }
    }

    /// The same bytes as the chunk type the OpenAPI runtime streams.
    var httpBody: HTTPBodyChunks { HTTPBodyChunks(base: self) }
}

/// `FileChunks` re-chunked as `ArraySlice<UInt8>`, the element type `HTTPBody` is made of.
struct HTTPBodyChunks: AsyncSequence, Sendable {
    typealias Element = ArraySlice<UInt8>
    let base: FileChunks

    func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator()) }

    struct Iterator: AsyncIteratorProtocol {
        var base: FileChunks.Iterator
        mutating func next() async throws -> ArraySlice<UInt8>? {
            guard let buffer = try await base.next() else { return nil }
            return ArraySlice(buffer.readableBytesView)
        }
    }
}
