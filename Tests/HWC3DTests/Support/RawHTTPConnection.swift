import Foundation
import NIOCore
import NIOPosix

/// A TCP connection to a test server that listens on a real port, spoken to in raw bytes: for requests no HTTP
/// client will send (heads past the parser's limit, bytes that are not HTTP) and for what happens to the connection
/// after the answer. Every exchange has a deadline, so a server that stops reading fails the test instead of hanging it.
struct RawHTTPConnection {
    struct Response {
        var status: Int
        var head: String
        var body: String
    }

    struct TimedOut: Error {}

    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private var pending: [UInt8] = []

    /// Connects to 127.0.0.1:`port` and runs `body` on the connection, within `timeout` for the whole of it.
    static func open<T: Sendable>(
        port: Int, timeout: Duration = .seconds(20), _ body: @escaping @Sendable (inout RawHTTPConnection) async throws -> T
    ) async throws -> T {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            try await withThrowingTaskGroup(of: T.self) { group in
                group.addTask {
                    var connection = RawHTTPConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound)
                    return try await body(&connection)
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    throw TimedOut()
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
        }
    }

    /// Writes all of `bytes`, returning only once the server has taken them.
    func send(_ bytes: [UInt8]) async throws {
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 64 * 1024)
            try await outbound.write(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
        }
    }

    func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    /// The next whole response (its body read to its `Content-Length`), or nil if the server closed first.
    mutating func readResponse() async throws -> Response? {
        while true {
            if let end = pending.firstRange(of: Array("\r\n\r\n".utf8)) {
                let head = String(decoding: pending[..<end.lowerBound], as: UTF8.self)
                let length = head.split(separator: "\r\n").lazy
                    .compactMap { line -> Int? in
                        let parts = line.split(separator: ":", maxSplits: 1)
                        guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                        return Int(parts[1].trimmingCharacters(in: .whitespaces))
                    }.first ?? 0
                if pending.count >= end.upperBound + length {
                    let body = String(decoding: pending[end.upperBound..<end.upperBound + length], as: UTF8.self)
                    pending.removeFirst(end.upperBound + length)
                    let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
                    return Response(status: status, head: head, body: body)
                }
            }
            guard let buffer = try await inbound.next() else { return nil }
            pending += buffer.readableBytesView
        }
    }

    /// Whether the server closes the connection with nothing more to say.
    mutating func isClosedByServer() async -> Bool {
        do {
            while let buffer = try await inbound.next() {
                guard buffer.readableBytes == 0 else { return false }
            }
            return pending.isEmpty
        } catch {
            // A reset after the answer is a close too.
            return pending.isEmpty
        }
    }
}
