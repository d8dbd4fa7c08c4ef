import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOPosix
import OpenAPIRuntime

/// Storage in an S3 bucket (AWS S3, Cloudflare R2, MinIO, …). Files above `multipartThreshold` go up as a
/// multipart upload, one part at a time so memory stays flat; a failed upload is aborted so no parts linger
/// (and cost) in the bucket. Downloads are presigned GET URLs.
struct S3FileStorage: FileStorage {
    let client: S3Client
    let threadPool: NIOThreadPool
    /// Where `fetchToLocalFile` downloads to.
    let temporaryDirectory: String
    let multipartThreshold: Int
    /// S3 wants at least 5 MiB per part except the last; 8 MiB keeps request counts low without much memory.
    let partSize: Int
    /// Test seam: runs before each part is sent, so a test can break an upload halfway through.
    let beforeUploadingPart: (@Sendable (_ partNumber: Int) async throws -> Void)?

    static let maxParts = 10_000

    init(
        client: S3Client, threadPool: NIOThreadPool, temporaryDirectory: String,
        multipartThreshold: Int = 16 << 20, partSize: Int = 8 << 20,
        beforeUploadingPart: (@Sendable (Int) async throws -> Void)? = nil
    ) {
        precondition(partSize >= 5 << 20, "S3 refuses parts under 5 MiB")
        self.client = client
        self.threadPool = threadPool
        self.temporaryDirectory = temporaryDirectory
        self.multipartThreshold = multipartThreshold
        self.partSize = partSize
        self.beforeUploadingPart = beforeUploadingPart
    }

    private func checked(_ key: String) throws -> String {
        guard StoredObjectKey.isSafe(key) else { throw Problem.malformed("Invalid storage key.") }
        return key
    }

    // MARK: writing

    func put(_ data: Data, key: String, contentType: String) async throws {
        try await client.perform(
            .PUT, key: try checked(key), headers: [("content-type", contentType)], payload: .bytes(data), expected: [200])
    }

    func putFile(at localPath: String, key: String, contentType: String) async throws {
        let key = try checked(key)
        guard let file = try await threadPool.runIfActive({ try OpenFile.reading(localPath) }) else {
            throw StorageError.sourceUnreadable("\(localPath) does not exist")
        }
        if file.size < multipartThreshold {
            let chunks = FileChunks(file: file, range: 0..<file.size, threadPool: threadPool)
            try await client.perform(
                .PUT, key: key, headers: [("content-type", contentType)], payload: .file(chunks), expected: [200],
                timeout: S3Client.transferTimeout)
        } else {
            try await uploadInParts(file, key: key, contentType: contentType)
        }
    }

    private func uploadInParts(_ file: OpenFile, key: String, contentType: String) async throws {
        let created = try await client.perform(
            .POST, key: key, query: [("uploads", "")], headers: [("content-type", contentType)], expected: [200])
        guard let uploadID = S3XML.firstValue(of: "UploadId", in: created.body), !uploadID.isEmpty else {
            throw StorageError.unexpectedResponse("CreateMultipartUpload gave no UploadId")
        }
        do {
            // Parts grow past the usual size only for files that would otherwise need more than 10,000 of them.
            let size = max(partSize, (file.size + Self.maxParts - 1) / Self.maxParts)
            var etags: [String] = []
            for (index, start) in stride(from: 0, to: file.size, by: size).enumerated() {
                try await beforeUploadingPart?(index + 1)
                let chunks = FileChunks(file: file, range: start..<min(start + size, file.size), threadPool: threadPool)
                let uploaded = try await client.perform(
                    .PUT, key: key, query: [("partNumber", String(index + 1)), ("uploadId", uploadID)],
                    payload: .file(chunks), expected: [200], timeout: S3Client.transferTimeout)
                guard let etag = uploaded.headers.first(name: "etag") else {
                    throw StorageError.unexpectedResponse("UploadPart gave no ETag")
                }
                etags.append(etag)
            }
            let manifest = "<CompleteMultipartUpload>"
                + etags.enumerated().map { "<Part><PartNumber>\($0.offset + 1)</PartNumber><ETag>\(S3XML.escape($0.element))</ETag></Part>" }.joined()
                + "</CompleteMultipartUpload>"
            let completed = try await client.perform(
                .POST, key: key, query: [("uploadId", uploadID)], headers: [("content-type", "application/xml")],
                payload: .bytes(Data(manifest.utf8)), expected: [200], timeout: S3Client.transferTimeout)
            // S3 may answer 200 and still fail the completion, with an <Error> document as the body.
            if completed.body.contains("<Error>") { throw S3Client.error(status: 200, body: completed.body) }
        } catch {
            await abort(uploadID: uploadID, key: key)
            throw error
        }
    }

    /// Runs in a task of its own so that the abort still goes out when the upload failed because its task was
    /// cancelled (a client that hung up). Its own failure is not reported over the upload's.
    private func abort(uploadID: String, key: String) async {
        let client = self.client
        await Task {
            _ = try? await client.perform(.DELETE, key: key, query: [("uploadId", uploadID)], expected: [200, 204])
        }.value
    }

    // MARK: reading

    func get(key: String) async throws -> Data? {
        guard let body = try await read(key: key, range: nil) else { return nil }
        return try await Data(collecting: body.bytes, upTo: max(body.range.count, 1))
    }

    func head(key: String) async throws -> StoredObjectInfo? {
        let response = try await client.perform(.HEAD, key: try checked(key), expected: [200, 404])
        if response.status == 404 { return nil }
        guard let size = response.headers.first(name: "content-length").flatMap(Int.init) else {
            throw StorageError.unexpectedResponse("HEAD gave no Content-Length")
        }
        return StoredObjectInfo(
            size: size, contentType: response.headers.first(name: "content-type"), etag: response.headers.first(name: "etag"))
    }

    func read(key: String, range: ClosedRange<Int>?) async throws -> StoredObjectBody? {
        let key = try checked(key)
        var headers: [(name: String, value: String)] = []
        if let range {
            guard range.lowerBound >= 0 else { throw StorageError.rangeNotSatisfiable(size: 0) }
            headers.append(("range", "bytes=\(range.lowerBound)-\(range.upperBound)"))
        }
        let response = try await client.send(.GET, key: key, headers: headers, timeout: S3Client.transferTimeout)
        switch response.status {
        case .ok, .partialContent:
            break
        case .notFound:
            let body = String(buffer: (try? await response.body.collect(upTo: 64 * 1024)) ?? ByteBuffer())
            let error = S3Client.error(status: 404, body: body)
            // A missing bucket is a misconfiguration, not a missing file.
            if case .service(_, "NoSuchBucket", _) = error { throw error }
            return nil
        case .rangeNotSatisfiable:
            _ = try? await response.body.collect(upTo: 64 * 1024)
            throw StorageError.rangeNotSatisfiable(size: try await head(key: key)?.size ?? 0)
        default:
            try await client.check(response, expected: [])
        }
        guard let length = response.headers.first(name: "content-length").flatMap(Int.init) else {
            throw StorageError.unexpectedResponse("GET gave no Content-Length")
        }
        let served: Range<Int>
        let total: Int
        if response.status == .partialContent {
            guard let contentRange = response.headers.first(name: "content-range"),
                let parsed = Self.parseContentRange(contentRange), parsed.range.count == length
            else { throw StorageError.unexpectedResponse("206 without a usable Content-Range") }
            (served, total) = parsed
        } else {
            (served, total) = (0..<length, length)
        }
        let chunks = response.body.map { ArraySlice($0.readableBytesView) }
        return StoredObjectBody(
            info: StoredObjectInfo(
                size: total, contentType: response.headers.first(name: "content-type"),
                etag: response.headers.first(name: "etag")),
            range: served, bytes: HTTPBody(chunks, length: .known(Int64(length)), iterationBehavior: .single))
    }

    /// `bytes 0-9/443` → (0..<10, 443).
    static func parseContentRange(_ value: String) -> (range: Range<Int>, total: Int)? {
        guard value.hasPrefix("bytes ") else { return nil }
        let parts = value.dropFirst("bytes ".count).split(separator: "/")
        guard parts.count == 2, let total = Int(parts[1]) else { return nil }
        let bounds = parts[0].split(separator: "-")
        guard bounds.count == 2, let first = Int(bounds[0]), let last = Int(bounds[1]), first <= last else { return nil }
        return (first..<(last + 1), total)
    }

    func fetchToLocalFile(key: String) async throws -> LocalCopy {
        let key = try checked(key)
        let response = try await client.send(.GET, key: key, timeout: S3Client.transferTimeout)
        if response.status == .notFound {
            _ = try? await response.body.collect(upTo: 64 * 1024)
            throw StorageError.notFound(key: key)
        }
        try await client.check(response, expected: [200])
        try FileManager.default.createDirectory(atPath: temporaryDirectory, withIntermediateDirectories: true)
        let path = temporaryDirectory + "/fetch-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw StorageError.unexpectedResponse("cannot create a temp file in \(temporaryDirectory)") }
        let copy = LocalCopy(path: path, isTemporary: true)
        do {
            // Written a megabyte at a time on the thread pool: one hop per network chunk would be thousands.
            var pending = ByteBuffer()
            for try await chunk in response.body {
                pending.writeImmutableBuffer(chunk)
                if pending.readableBytes >= 1 << 20 {
                    let full = pending
                    pending = ByteBuffer()
                    try await threadPool.runIfActive { try handle.write(contentsOf: full.readableBytesView) }
                }
            }
            let rest = pending
            try await threadPool.runIfActive {
                try handle.write(contentsOf: rest.readableBytesView)
                try handle.close()
            }
        } catch {
            try? handle.close()
            copy.discard()
            throw error
        }
        return copy
    }

    // MARK: links, deletion, readiness

    /// S3 sends the file name back as `Content-Disposition` because the (signed) query asks it to.
    func downloadURL(key: String, filename: String, expiresIn seconds: Int) async throws -> String {
        client.presignedGetURL(
            key: try checked(key), query: [("response-content-disposition", ContentDisposition.attachment(filename: filename))],
            expiresIn: seconds)
    }

    func delete(key: String) async throws {
        let response = try await client.perform(.DELETE, key: try checked(key), expected: [200, 204, 404])
        // Some S3-compatible services say 404 for a key that is already gone; a missing bucket is still an error.
        if response.status == 404, case .service(_, let code, _) = S3Client.error(status: 404, body: response.body),
            code != "NoSuchKey"
        {
            throw S3Client.error(status: 404, body: response.body)
        }
    }

    func checkWritable() async throws {
        let probe = ".ready/\(UUID().uuidString.lowercased())"
        try await put(Data("ok".utf8), key: probe, contentType: "text/plain")
        try await delete(key: probe)
    }
}
