import OpenAPIRuntime
import Vapor

/// A request's body as the contract's handlers read it, and the reading of what is left once they have answered.
///
/// A handler may answer before the body ends: 413 the moment it passes its limit, 400 for a form with too many
/// parts, 422 for a second file in one form. Vapor drains a body nobody has begun to read, but once a reader has
/// taken chunks it waits for that reader; one that stops leaves the client blocked on a send that never finishes and
/// the connection stuck with it. So the reading is owned here, and after the answer whatever the client still sends
/// is read and dropped, as nginx discards a body it will not use, and the connection serves the next request. Past
/// `limit` bytes the rest is left unread, and the idle timeout closes the connection.
///
/// Reads never overlap: the handler reads until it answers, and only then does `discardRest` run.
final class RequestBodyReader: @unchecked Sendable {
    private let request: Request
    private var iterator: Request.Body.AsyncIterator?
    private var ended = false

    init(_ request: Request) {
        self.request = request
    }

    /// The body for the generated code: one pass, its length as the client declared it.
    func body() -> HTTPBody {
        let length: HTTPBody.Length = request.headers.first(name: .contentLength).flatMap(Int64.init).map { .known($0) } ?? .unknown
        return HTTPBody(Chunks(reader: self), length: length, iterationBehavior: .single)
    }

    private func next() async throws -> HTTPBody.ByteChunk? {
        if ended { return nil }
        var current = iterator ?? request.body.makeAsyncIterator()
        iterator = nil
        do {
            guard let buffer = try await current.next() else {
                ended = true
                return nil
            }
            iterator = current
            return ArraySlice(buffer.readableBytesView)
        } catch {
            ended = true
            throw error
        }
    }

    /// Reads and drops the rest of a body the handler began and did not finish, up to `limit` bytes more.
    func discardRest(limit: Int) async {
        // Never begun: Vapor drains it itself. Finished or failed: nothing is left.
        guard iterator != nil, !ended else { return }
        var discarded = 0
        while discarded <= limit, let chunk = try? await next() {
            discarded += chunk.count
        }
    }

    private struct Chunks: AsyncSequence, Sendable {
        typealias Element = HTTPBody.ByteChunk
        let reader: RequestBodyReader

        struct AsyncIterator: AsyncIteratorProtocol {
            let reader: RequestBodyReader
            mutating func next() async throws -> HTTPBody.ByteChunk? { try await reader.next() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(reader: reader) }
    }
}
