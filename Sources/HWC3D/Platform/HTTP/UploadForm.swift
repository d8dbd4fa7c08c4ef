import Foundation
import HWC3DAPI
import OpenAPIRuntime

/// Reading the `file` part of an upload form the same way on every upload route: the file is handed on while it
/// streams, other parts are read past, a missing file is 422, a broken body (a truncated part, no closing
/// boundary, too many parts) is 400 — and a failure of our own (storage, database) is never mistaken for a
/// malformed body.
enum UploadForm {
    /// A form has a file and perhaps a few fields; more parts than this is not a form any client of ours sends.
    static let maxParts = 16

    enum Part {
        case file(filename: String?, body: HTTPBody)
        case other(HTTPBody)
    }

    static func handleFile<Payload: Sendable, Result>(
        in parts: MultipartBody<Payload>, classify: (Payload) -> Part,
        _ handle: (_ filename: String?, _ body: HTTPBody) async throws -> Result
    ) async throws -> Result {
        var result: Result?
        var count = 0
        do {
            for try await payload in parts {
                count += 1
                guard count <= maxParts else { throw Problem.malformed("The form has more than \(maxParts) parts.") }
                switch classify(payload) {
                case .file(let filename, let body):
                    guard result == nil else { throw Problem.validation(field: "file", "send one file per request") }
                    do {
                        // A body that breaks off while the file streams is the client's malformed request, and the
                        // handler's clean-up (spool, storage) sees it as such.
                        let checked = HTTPBody(
                            MalformedOnFailure(base: body), length: body.length, iterationBehavior: .single)
                        result = try await handle(filename, checked)
                    } catch let problem as Problem {
                        throw problem
                    } catch {
                        throw OwnFailure(underlying: error)
                    }
                case .other(let body):
                    for try await _ in body {}
                }
            }
        } catch let problem as Problem {
            throw problem
        } catch let failure as OwnFailure {
            throw failure.underlying
        } catch {
            // The runtime's multipart errors are internal types; its message is all there is to tell them apart.
            if String(describing: error).hasPrefix("Missing required parts") {
                throw Problem.validation(field: "file", "is required")
            }
            throw Problem.malformed("The multipart body could not be read.")
        }
        guard let result else { throw Problem.validation(field: "file", "is required") }
        return result
    }

    /// The whole file in memory, for small uploads (images): refused with 413 the moment it passes `limit`.
    static func collectFile<Payload: Sendable>(
        in parts: MultipartBody<Payload>, limit: Int, classify: (Payload) -> Part
    ) async throws -> Data {
        let file = try await handleFile(in: parts, classify: classify) { _, body in
            var bytes = Data()
            for try await chunk in body {
                guard bytes.count + chunk.count <= limit else { throw Problem.payloadTooLarge(limit: limit) }
                bytes.append(contentsOf: chunk)
            }
            return bytes
        }
        guard !file.isEmpty else { throw Problem.validation(field: "file", "is required") }
        return file
    }

    private struct OwnFailure: Error {
        let underlying: any Error
    }

    /// The file part's bytes as they arrive; a failure to read them (the runtime's multipart parser found the body
    /// truncated or without its closing boundary) becomes a 400, while our own problems (413) pass unchanged.
    private struct MalformedOnFailure: AsyncSequence, Sendable {
        typealias Element = HTTPBody.ByteChunk
        let base: HTTPBody

        struct AsyncIterator: AsyncIteratorProtocol {
            var base: HTTPBody.AsyncIterator

            mutating func next() async throws -> HTTPBody.ByteChunk? {
                do {
                    return try await base.next()
                } catch let problem as Problem {
                    throw problem
                } catch {
                    throw Problem.malformed("The multipart body could not be read: it is truncated or has no closing boundary.")
                }
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator()) }
    }
}

extension Components.RequestBodies.ImageUpload {
    /// The image in the `file` part, whole, refused with 413 the moment it passes `limit` (the rest is never read).
    func file(limit: Int) async throws -> Data {
        guard case .multipartForm(let parts) = self else {
            throw Problem.unsupportedMediaType("Send multipart/form-data with a `file` part.")
        }
        return try await UploadForm.collectFile(in: parts, limit: limit) { part in
            switch part {
            case .file(let file): .file(filename: file.filename, body: file.payload.body)
            case .undocumented(let raw): .other(raw.body)
            }
        }
    }
}
