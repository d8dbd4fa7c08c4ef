import Fluent
import Foundation
import Logging
import NIOConcurrencyHelpers
import PostgresKit
import SQLKit
import NIOWebSocket
import Vapor

/// Brings every committed event to this instance's hub, whichever instance wrote it.
/// - PostgreSQL: a connection of its own LISTENs; each NOTIFY names a committed event's `seq`, read and
///   dispatched. NOTIFY is delivered in commit order and only for committed transactions. If the connection
///   drops, it reconnects and catches up on what was written meanwhile.
/// - SQLite: one instance, one writer; new rows are read every `pollInterval` (commits are serial there, so
///   `seq` order is commit order and nothing is skipped).
/// Every `sessionCheckInterval` it closes sockets whose session ended (revoked, expired, account suspended) with
/// 1008, and every ten minutes prunes events older than `RealtimeHub.retention`.
final class RealtimeListener: LifecycleHandler, Sendable {
    static let pollInterval: Double = 0.05

    let hub: RealtimeHub
    let postgresURL: String?
    let sessionCheckInterval: Double
    /// The sessions among these that are still live; the rest are closed.
    let liveSessions: @Sendable (Set<UUID>, any Database) async throws -> Set<UUID>
    private let tasks = NIOLockedValueBox<[Task<Void, Never>]>([])
    /// The LISTEN connection, closed at shutdown: that is what ends its notification sequence (cancelling the task
    /// alone does not), so a stopped server leaves no connection behind.
    private let listening = ListeningConnection()

    final class ListeningConnection: Sendable {
        private let state = NIOLockedValueBox<(connection: PostgresConnection?, closed: Bool)>((nil, false))

        /// Keeps the connection, or closes it at once if shutdown already came.
        func hold(_ connection: PostgresConnection) -> Bool {
            let (closed, previous) = state.withLockedValue { state -> (Bool, PostgresConnection?) in
                let previous = state.connection
                if !state.closed { state.connection = connection }
                return (state.closed, previous)
            }
            if let previous { Task { try? await previous.close() } }
            if closed { Task { try? await connection.close() } }
            return !closed
        }

        func close() async {
            let connection = state.withLockedValue { state -> PostgresConnection? in
                state.closed = true
                defer { state.connection = nil }
                return state.connection
            }
            try? await connection?.close()
        }
    }

    init(hub: RealtimeHub, postgresURL: String?, sessionCheckInterval: Double, liveSessions: @escaping @Sendable (Set<UUID>, any Database) async throws -> Set<UUID>) {
        self.hub = hub
        self.postgresURL = postgresURL
        self.sessionCheckInterval = sessionCheckInterval
        self.liveSessions = liveSessions
    }

    /// Both boots start it: `serve` boots asynchronously, the test runner's in-process server synchronously.
    func didBootAsync(_ application: Application) async throws {
        try didBoot(application)
    }

    func didBoot(_ application: Application) throws {
        let database = application.db
        let logger = application.logger
        let hub = hub
        var started: [Task<Void, Never>] = []
        if let postgresURL {
            let loop = application.eventLoopGroup.any()
            let listening = listening
            started.append(Task { await Self.listen(url: postgresURL, hub: hub, database: database, on: loop, holder: listening, logger: logger) })
        } else {
            started.append(Task { await Self.poll(hub: hub, database: database, logger: logger) })
        }
        started.append(Task { [liveSessions, sessionCheckInterval] in
            await Self.housekeeping(hub: hub, database: database, every: sessionCheckInterval, liveSessions: liveSessions, logger: logger)
        })
        tasks.withLockedValue { $0 = started }
    }

    func shutdownAsync(_ application: Application) async {
        shutdown(application)
        await listening.close()
    }

    func shutdown(_ application: Application) {
        let running = tasks.withLockedValue { tasks -> [Task<Void, Never>] in
            defer { tasks = [] }
            return tasks
        }
        for task in running { task.cancel() }
        let listening = listening
        Task { await listening.close() }
        for connection in hub.connections { connection.close(.goingAway) }
    }

    private static func poll(hub: RealtimeHub, database: any Database, logger: Logger) async {
        var last = (try? await RealtimeEvents.latest(on: database.sql)) ?? 0
        while !Task.isCancelled {
            do {
                let events = try await RealtimeEvents.after(last, on: database.sql)
                for event in events { await hub.dispatch(event) }
                last = events.last?.seq ?? last
            } catch {
                logger.warning("realtime poll failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            try? await Task.sleep(nanoseconds: UInt64(pollInterval * 1_000_000_000))
        }
    }

    private static func listen(
        url: String, hub: RealtimeHub, database: any Database, on loop: any EventLoop, holder: ListeningConnection, logger: Logger
    ) async {
        var last = (try? await RealtimeEvents.latest(on: database.sql)) ?? 0
        var attempt = 0
        while !Task.isCancelled {
            do {
                let configuration = try SQLPostgresConfiguration(url: url).coreConfiguration
                let connection = try await PostgresConnection.connect(on: loop, configuration: configuration, id: 0, logger: logger)
                guard holder.hold(connection) else { return }
                let notifications = try await connection.listen(RealtimeEvents.pgChannel)
                // Whatever committed while there was no listener.
                for event in try await RealtimeEvents.after(last, on: database.sql) {
                    await hub.dispatch(event)
                    last = max(last, event.seq)
                }
                attempt = 0
                for try await notification in notifications {
                    guard let seq = Int(notification.payload) else { continue }
                    if let event = try await RealtimeEvents.event(seq, on: database.sql) {
                        await hub.dispatch(event)
                        last = max(last, seq)
                    }
                }
            } catch {
                if Task.isCancelled { return }
                attempt += 1
                logger.warning("realtime listener lost its connection; reconnecting", metadata: ["error": "\(String(reflecting: error))"])
                try? await Task.sleep(nanoseconds: UInt64(min(5.0, 0.2 * Double(attempt)) * 1_000_000_000))
            }
        }
    }

    private static func housekeeping(
        hub: RealtimeHub, database: any Database, every interval: Double, liveSessions: @escaping @Sendable (Set<UUID>, any Database) async throws -> Set<UUID>,
        logger: Logger
    ) async {
        var lastPrune = Date.distantPast
        while !Task.isCancelled {
            try? await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000))
            do {
                let open = hub.connections
                let sessions = Set(open.compactMap(\.sessionID))
                if !sessions.isEmpty {
                    let live = try await liveSessions(sessions, database)
                    for connection in open where connection.sessionID.map({ !live.contains($0) }) ?? false {
                        connection.close(.policyViolation)
                    }
                }
                if Date().timeIntervalSince(lastPrune) > 600 {
                    try await RealtimeEvents.prune(before: Date().addingTimeInterval(-RealtimeHub.retention), on: database.sql)
                    lastPrune = Date()
                }
            } catch {
                logger.warning("realtime housekeeping failed", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
    }
}
