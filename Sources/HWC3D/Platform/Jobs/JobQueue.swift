import Fluent
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit

/// Something a job does. Handlers must be safe to run twice: a crash after the work but before the job is
/// marked done runs it again.
protocol JobHandler: Sendable {
    static var kind: String { get }
    func run(payload: String, database: any Database, logger: Logger) async throws
}

/// Enqueues jobs inside the caller's transaction (so a job exists exactly when the write that wants it
/// committed) and runs them: claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL so instances never take the
/// same job, retried with exponential backoff, and requeued if a worker died holding them.
final class JobQueue: Sendable {
    static let staleAfter: TimeInterval = 5 * 60
    /// How often the worker looks for jobs a dead worker held; a stale job waits five minutes anyway.
    static let staleSweepInterval: TimeInterval = 60

    private let lastStaleSweep = NIOLockedValueBox<Date>(.distantPast)

    private let handlers: NIOLockedValueBox<[String: any JobHandler]> = .init([:])
    private let wakeUp = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
    let workerID = "worker-\(UUID().uuidString.prefix(8))"

    func register(_ handler: some JobHandler) {
        handlers.withLockedValue { $0[type(of: handler).kind] = handler }
    }

    func enqueue<Payload: Encodable>(
        _ kind: String, payload: Payload, on database: any Database, runAt: Date = Date(), maxAttempts: Int = 8
    ) async throws {
        try await Self.insert(kind, payload: payload, on: database, runAt: runAt, maxAttempts: maxAttempts)
        poke()
    }

    /// Adds a job without waking this process's worker (which finds it on its next poll): for code that runs
    /// where the queue instance is out of reach, such as a job enqueuing its follow-up.
    static func insert<Payload: Encodable>(
        _ kind: String, payload: Payload, on database: any Database, runAt: Date = Date(), maxAttempts: Int = 8
    ) async throws {
        let json = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
        let now = Date()
        // A plain INSERT, not Fluent's `create`, which walks the record's fields by reflection: every sale queues two
        // emails, each with its job (issue 11's checkout profile).
        try await database.preparedRun("""
            INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at)
            VALUES (\(bind: UUID.v7(now: now)), \(bind: kind), \(bind: json), 'queued', 0, \(bind: maxAttempts), \(bind: runAt), \(bind: now), \(bind: now))
            """)
    }

    /// Wakes a sleeping worker loop early; harmless when none sleeps.
    func poke() {
        let continuation = wakeUp.withLockedValue { value -> CheckedContinuation<Void, Never>? in
            defer { value = nil }
            return value
        }
        continuation?.resume()
    }

    func sleep(seconds: Double) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    self.wakeUp.withLockedValue { $0 = continuation }
                }
            }
            group.addTask { try? await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000)) }
            await group.next()
            self.poke()
            group.cancelAll()
        }
    }

    /// Runs due jobs until none is left; returns how many ran. The worker loop calls this; tests call it to make
    /// background work happen at a known point.
    @discardableResult
    func runDueJobs(database: any Database, logger: Logger, now: @Sendable () -> Date = Date.init) async throws -> Int {
        let sweepDue = lastStaleSweep.withLockedValue { last in
            let due = now().timeIntervalSince(last) >= Self.staleSweepInterval
            if due { last = now() }
            return due
        }
        if sweepDue { try await requeueStale(database: database, now: now()) }
        var ran = 0
        while let job = try await claim(database: database, now: now()) {
            await execute(job, database: database, logger: logger, now: now())
            ran += 1
        }
        return ran
    }

    func queuedCount(database: any Database) async throws -> Int {
        try await JobRecord.query(on: database).filter(\.$status == "queued").count()
    }

    func failedCount(database: any Database) async throws -> Int {
        try await JobRecord.query(on: database).filter(\.$status == "failed").count()
    }

    private struct ClaimedJob: Decodable {
        let id: UUID
        let kind: String
        let payload: String
        let attempts: Int
        let max_attempts: Int
    }

    private func claim(database: any Database, now: Date) async throws -> ClaimedJob? {
        let sql = database.sql
        // An idle queue is only read: on SQLite even an UPDATE that matches nothing takes the one write lock,
        // and the worker polls every second.
        let due = try await database.preparedFirst("SELECT id FROM jobs WHERE status = 'queued' AND run_at <= \(bind: now) LIMIT 1")
        guard due != nil else { return nil }
        let lock = sql.dialect.name == "postgresql" ? " FOR UPDATE SKIP LOCKED" : ""
        let rows = try await database.prepared("""
            UPDATE jobs SET status = 'running', locked_at = \(bind: now), locked_by = \(bind: workerID),
                attempts = attempts + 1, updated_at = \(bind: now)
            WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= \(bind: now)
                        ORDER BY run_at LIMIT 1\(unsafeRaw: lock))
            RETURNING id, kind, payload, attempts, max_attempts
            """)
        return try rows.first?.decode(model: ClaimedJob.self)
    }

    private func requeueStale(database: any Database, now: Date) async throws {
        let stale = JobRecord.query(on: database)
            .filter(\.$status == "running")
            .filter(\.$lockedAt < now.addingTimeInterval(-Self.staleAfter))
        guard try await stale.count() > 0 else { return }
        try await stale.copy()
            .set(\.$status, to: "queued")
            .set(\.$lockedBy, to: nil)
            .update()
    }

    private func execute(_ job: ClaimedJob, database: any Database, logger: Logger, now: Date) async {
        var logger = logger
        logger[metadataKey: "job"] = .string("\(job.kind) \(job.id)")
        guard let handler = handlers.withLockedValue({ $0[job.kind] }) else {
            await finish(job.id, status: "failed", error: "no handler for \(job.kind)", runAt: nil, database: database, logger: logger)
            return
        }
        do {
            try await handler.run(payload: job.payload, database: database, logger: logger)
            await finish(job.id, status: "done", error: nil, runAt: nil, database: database, logger: logger)
        } catch {
            let message = String(describing: error).prefix(1000)
            if job.attempts >= job.max_attempts {
                logger.error("job failed for good", metadata: ["attempts": "\(job.attempts)", "error": "\(message)"])
                await finish(job.id, status: "failed", error: String(message), runAt: nil, database: database, logger: logger)
            } else {
                let delay = min(3600, 5 * pow(2, Double(job.attempts - 1)))
                logger.warning("job failed, will retry", metadata: ["in_seconds": "\(Int(delay))", "error": "\(message)"])
                await finish(job.id, status: "queued", error: String(message), runAt: now.addingTimeInterval(delay), database: database, logger: logger)
            }
        }
    }

    private func finish(_ id: UUID, status: String, error: String?, runAt: Date?, database: any Database, logger: Logger) async {
        do {
            let reschedule: SQLQueryString = if let runAt { ", run_at = \(bind: runAt)" } else { "" }
            try await database.preparedRun("""
                UPDATE jobs SET status = \(bind: status), last_error = \(bind: error), locked_at = NULL, locked_by = NULL,
                    updated_at = \(bind: Date())\(reschedule)
                WHERE id = \(bind: id)
                """)
        } catch {
            // The job stays `running` and is requeued as stale later: at-least-once, never lost.
            logger.error("could not record job result", metadata: ["error": "\(error)"])
        }
    }
}
