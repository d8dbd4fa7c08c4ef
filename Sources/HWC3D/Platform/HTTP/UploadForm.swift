import Foundation
import OpenAPIRuntime

/// Reading the `file` part of an upload form the same way on every upload route: the file is handed on while it
/// streams, other parts are read past, a missing file is 422, a broken body is 400 — and a failure of our own
/// (storage, database) is never mistaken for a malformed body.
enum UploadForm {
    enum Part {
        case file(filename: String?, body: HTTPBody)
        case other(HTTPBody)
    }

    static func handleFile<Payload: Sendable, Result>(
        in parts: MultipartBody<Payload>, classify: (Payload) -> Part,
        _ handle: (_ filename: String?, _ body: HTTPBody) async throws -> Result
    ) async throws -> Result {
        var result: Result?
        do {
            for try await payload in parts {
                switch classify(payload) {
                case .file(let filename, let body):
                    guard result == nil else { throw Problem.validation(field: "file", "send one file per request") }
                    do {
                        result = try await handle(filename, body)
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
}
