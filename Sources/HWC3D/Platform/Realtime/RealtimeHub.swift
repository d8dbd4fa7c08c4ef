import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import Vapor

/// One open socket: the channels it hears, the session behind it (checked while it stays open), and how many of
/// its messages are still being written. A reader too slow to take them is dropped once `maxPending` pile up,
/// so it never holds memory or anyone else's delivery: each send only queues on the socket's own event loop.
final class RealtimeConnection: Sendable {
    static let maxPending = 256

    let id = UUID()
    let socket: WebSocket
    let channels: [String]
    let userID: UUID?
    let sessionID: UUID?
    private struct State {
        var pending = 0
        /// The newest event sent, so nothing is sent twice or out of order.
        var lastSeq = 0
        /// Live events held while missed ones are replayed; nil once the replay is done.
        var held: [RealtimeEvent]? = []
    }
    private let state = NIOLockedValueBox(State())

    init(socket: WebSocket, channels: [String], userID: UUID?, sessionID: UUID?) {
        self.socket = socket
        self.channels = channels
        self.userID = userID
        self.sessionID = sessionID
    }

    /// Sends a stored event, once and in `seq` order; held while the connection is still replaying.
    func deliver(_ event: RealtimeEvent) {
        let send = state.withLockedValue { state -> Bool in
            if state.held != nil {
                state.held!.append(event)
                return false
            }
            guard event.seq > state.lastSeq else { return false }
            state.lastSeq = event.seq
            return true
        }
        if send { write(event.envelope) }
    }

    /// Sends what the client missed (events after the id it last saw), then what arrived meanwhile.
    func finishReplay(_ missed: [RealtimeEvent], after lastSeen: Int) {
        let held = state.withLockedValue { state -> [RealtimeEvent] in
            defer { state.held = nil }
            state.lastSeq = max(state.lastSeq, lastSeen)
            return state.held ?? []
        }
        for event in (missed + held).sorted(by: { $0.seq < $1.seq }) {
            let send = state.withLockedValue { state -> Bool in
                guard event.seq > state.lastSeq else { return false }
                state.lastSeq = event.seq
                return true
            }
            if send { write(event.envelope) }
        }
    }

    /// A message that is not a stored event (a pong, the unread count on connect).
    func write(_ text: String) {
        let queued = state.withLockedValue { state -> Int in
            state.pending += 1
            return state.pending
        }
        guard queued <= Self.maxPending else {
            close(.init(codeNumber: 1013))  // "try again later": this reader could not keep up
            return
        }
        let promise = socket.eventLoop.makePromise(of: Void.self)
        promise.futureResult.whenComplete { _ in self.state.withLockedValue { $0.pending -= 1 } }
        socket.send(text, promise: promise)
    }

    /// WebSocketKit sends the code alone: the code (1008, 1009, 1013, 1001) is what the client learns.
    func close(_ code: WebSocketErrorCode) {
        guard !socket.isClosed else { return }
        _ = socket.close(code: code)
    }
}

/// This instance's open sockets by channel, and the delivery of events to them. Events arrive from
/// `RealtimeListener` whichever instance wrote them.
final class RealtimeHub: Sendable {
    /// How long events stay for reconnecting clients.
    static let retention: TimeInterval = 24 * 3600

    private let byChannel = NIOLockedValueBox<[String: [UUID: RealtimeConnection]]>([:])

    /// Turns a stored event's `data` into what sockets receive, for event types that store only ids (a
    /// notification's body is read when it is sent: NOTIFY's payload is small, and rows change). Nil drops the
    /// event (its subject is gone). Run once per event per instance, not per socket.
    typealias Renderer = @Sendable (RealtimeEvent) async throws -> String?
    private let renderers = NIOLockedValueBox<[String: Renderer]>([:])

    func render(_ type: String, with renderer: @escaping Renderer) {
        renderers.withLockedValue { $0[type] = renderer }
    }

    /// The event as sockets receive it.
    func rendered(_ event: RealtimeEvent) async -> RealtimeEvent? {
        guard let renderer = renderers.withLockedValue({ $0[event.type] }) else { return event }
        guard let data = try? await renderer(event) else { return nil }
        return RealtimeEvent(seq: event.seq, channel: event.channel, type: event.type, data: data, createdAt: event.createdAt)
    }

    func add(_ connection: RealtimeConnection) {
        byChannel.withLockedValue { table in
            for channel in connection.channels { table[channel, default: [:]][connection.id] = connection }
        }
    }

    func remove(_ connection: RealtimeConnection) {
        byChannel.withLockedValue { table in
            for channel in connection.channels {
                table[channel]?[connection.id] = nil
                if table[channel]?.isEmpty == true { table[channel] = nil }
            }
        }
    }

    /// Sends the event to the channel's sockets. `access.revoked` is not sent: it closes the sockets of the user
    /// it names on that channel (a member removed from a private community stops hearing it at once).
    func dispatch(_ stored: RealtimeEvent) async {
        let listeners = byChannel.withLockedValue { Array(($0[stored.channel] ?? [:]).values) }
        guard !listeners.isEmpty, let event = await rendered(stored) else { return }
        if event.type == Self.accessRevoked {
            let userID = event.id("user_id")
            for connection in listeners where connection.userID != nil && connection.userID == userID {
                connection.close(.policyViolation)
            }
            return
        }
        for connection in listeners { connection.deliver(event) }
    }

    static let accessRevoked = "access.revoked"

    /// Every open connection, once.
    var connections: [RealtimeConnection] {
        byChannel.withLockedValue { table in
            var seen: [UUID: RealtimeConnection] = [:]
            for listeners in table.values { for (id, connection) in listeners { seen[id] = connection } }
            return Array(seen.values)
        }
    }

    var count: Int { connections.count }
}
