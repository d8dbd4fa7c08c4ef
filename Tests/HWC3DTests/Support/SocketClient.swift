import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOWebSocket
import Testing
import Vapor
import WebSocketKit

/// A WebSocket client for tests: connects to a test server listening on a real port, keeps every text message
/// it receives, and waits for the next of a type, or for the close, with a deadline.
final class SocketClient: Sendable {
    struct TimedOut: Error, CustomStringConvertible {
        let description: String
    }

    let socket: WebSocket
    /// Every text message, oldest first; `next` takes them out.
    private let received = NIOLockedValueBox<[String]>([])
    private let raw = NIOLockedValueBox<[String]>([])

    private init(socket: WebSocket) {
        self.socket = socket
        socket.onText { [received, raw] _, text in
            raw.withLockedValue { $0.append(text) }
            received.withLockedValue { $0.append(text) }
        }
    }

    private static func object(_ text: String) -> [String: Any]? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
    }

    /// Opens `path` (with its query) on 127.0.0.1:`port`; throws if the server refuses the upgrade.
    static func connect(port: Int, _ path: String, headers: HTTPHeaders = [:]) async throws -> SocketClient {
        let box = NIOLockedValueBox<SocketClient?>(nil)
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        try await WebSocket.connect(
            scheme: "ws", host: "127.0.0.1", port: port, path: parts[0], query: parts.count > 1 ? parts[1] : nil, headers: headers,
            configuration: .init(maxFrameSize: 1 << 20), on: MultiThreadedEventLoopGroup.singleton
        ) { socket in
            box.withLockedValue { $0 = SocketClient(socket: socket) }
        }.get()
        for _ in 0..<100 {
            if let client = box.withLockedValue({ $0 }) { return client }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TimedOut(description: "no socket after the upgrade")
    }


    /// The first message of `type` not taken before, within `timeout`.
    func next(_ type: String, timeout: Duration = .seconds(10)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found = received.withLockedValue { messages -> String? in
                guard let index = messages.firstIndex(where: { Self.object($0)?["type"] as? String == type }) else { return nil }
                return messages.remove(at: index)
            }
            if let found, let object = Self.object(found) { return object }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw TimedOut(description: "no \(type) within \(timeout); had \(raw.withLockedValue { $0 })")
    }

    /// Whether a message of `type` arrives within `window` (for what must not arrive).
    func receives(_ type: String, within window: Duration) async -> Bool {
        (try? await next(type, timeout: window)) != nil
    }

    /// The close code, once the server has closed the socket (nil if it stays open past `timeout`).
    func closeCode(timeout: Duration = .seconds(10)) async throws -> WebSocketErrorCode? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if socket.isClosed { return socket.closeCode }
            try await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func send(_ text: String) async throws {
        try await socket.send(text)
    }

    func close() async {
        try? await socket.close()
    }
}

extension TestServer {
    /// Serves the app on a free loopback port with its background lifecycle (the realtime listener) running,
    /// for the length of `body`.
    func listening(_ body: (Int) async throws -> Void) async throws {
        try await app.asyncBoot()
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        do {
            let port = try #require(app.http.server.shared.localAddress?.port)
            try await body(port)
        } catch {
            await app.server.shutdown()
            throw error
        }
        await app.server.shutdown()
    }

    /// A single-use socket ticket for `user`.
    func socketTicket(_ user: SignedIn) async throws -> String {
        let response = try await request(.POST, "/api/v1/ws/ticket", token: user.accessToken)
        #expect(response.status == .created, "\(response.text)")
        return try #require(try response.object()["ticket"] as? String)
    }
}
