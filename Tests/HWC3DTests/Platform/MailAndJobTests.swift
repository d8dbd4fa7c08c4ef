import Fluent
import Foundation
import Logging
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Background jobs and mail delivery")
struct MailAndJobTests {
    // MARK: job queue

    @Test("a failing job is retried later with attempts counted, then marked failed after max_attempts")
    func retryThenFail() async throws {
        try await withServer { server in
            let queue = server.app.services.jobs
            let handler = FailingJob()
            queue.register(handler)
            try await queue.enqueue(FailingJob.kind, payload: ["n": 1], on: server.app.db, maxAttempts: 3)
            let start = Date()

            func job() async throws -> JobRecord {
                try #require(try await JobRecord.query(on: server.app.db).filter(\.$kind == FailingJob.kind).first())
            }

            #expect(try await queue.runDueJobs(database: server.app.db, logger: server.app.logger, now: { start }) == 1)
            var record = try await job()
            #expect(record.status == "queued")
            #expect(record.attempts == 1)
            #expect(record.lastError?.contains("boom #1") == true, "\(record.lastError ?? "nil")")
            #expect(record.lockedAt == nil && record.lockedBy == nil)
            let firstDelay = record.runAt.timeIntervalSince(start)
            #expect(abs(firstDelay - 5) < 0.01, "\(firstDelay)")

            // Not due yet: nothing runs.
            #expect(try await queue.runDueJobs(database: server.app.db, logger: server.app.logger, now: { start.addingTimeInterval(4) }) == 0)
            #expect(handler.calls == 1)

            let second = start.addingTimeInterval(6)
            #expect(try await queue.runDueJobs(database: server.app.db, logger: server.app.logger, now: { second }) == 1)
            record = try await job()
            #expect(record.status == "queued")
            #expect(record.attempts == 2)
            #expect(record.lastError?.contains("boom #2") == true)
            #expect(abs(record.runAt.timeIntervalSince(second) - 10) < 0.01, "backoff doubles")

            let third = start.addingTimeInterval(100)
            #expect(try await queue.runDueJobs(database: server.app.db, logger: server.app.logger, now: { third }) == 1)
            record = try await job()
            #expect(record.status == "failed")
            #expect(record.attempts == 3)
            #expect(record.lastError?.contains("boom #3") == true)
            #expect(record.lockedAt == nil)

            // Failed for good: never picked up again.
            #expect(try await queue.runDueJobs(database: server.app.db, logger: server.app.logger, now: { start.addingTimeInterval(100_000) }) == 0)
            #expect(handler.calls == 3)
            #expect(try await queue.queuedCount(database: server.app.db) == 0)

            // A kind nobody handles fails at once instead of looping.
            try await queue.enqueue("no_such_kind", payload: ["x": 1], on: server.app.db)
            #expect(try await queue.runDueJobs(database: server.app.db, logger: server.app.logger) == 1)
            let orphan = try #require(try await JobRecord.query(on: server.app.db).filter(\.$kind == "no_such_kind").first())
            #expect(orphan.status == "failed")
            #expect(orphan.lastError == "no handler for no_such_kind")
        }
    }

    @Test("a running job locked more than 5 minutes ago is requeued and run; a recently locked one is left alone")
    func staleJobRecovery() async throws {
        try await withServer { server in
            let queue = server.app.services.jobs
            let handler = RecordingJob()
            queue.register(handler)
            let now = Date()

            let stale = JobRecord(kind: RecordingJob.kind, payload: "\"stale\"", runAt: now.addingTimeInterval(-600), maxAttempts: 8)
            stale.status = "running"
            stale.attempts = 1
            stale.lockedAt = now.addingTimeInterval(-(5 * 60 + 30))
            stale.lockedBy = "worker-dead"
            try await stale.create(on: server.app.db)
            let busy = JobRecord(kind: RecordingJob.kind, payload: "\"busy\"", runAt: now.addingTimeInterval(-120), maxAttempts: 8)
            busy.status = "running"
            busy.attempts = 1
            busy.lockedAt = now.addingTimeInterval(-60)
            busy.lockedBy = "worker-alive"
            try await busy.create(on: server.app.db)

            #expect(try await queue.runDueJobs(database: server.app.db, logger: server.app.logger) == 1)
            #expect(handler.payloads == ["\"stale\""])
            let recovered = try #require(try await JobRecord.find(stale.id, on: server.app.db))
            #expect(recovered.status == "done")
            #expect(recovered.attempts == 2)
            #expect(recovered.lockedBy == nil && recovered.lockedAt == nil)
            let untouched = try #require(try await JobRecord.find(busy.id, on: server.app.db))
            #expect(untouched.status == "running")
            #expect(untouched.lockedBy == "worker-alive")
            #expect(untouched.attempts == 1)

            // Once its lock is old too, it is recovered as well.
            #expect(try await queue.runDueJobs(database: server.app.db, logger: server.app.logger, now: { now.addingTimeInterval(5 * 60) }) == 1)
            #expect(handler.payloads == ["\"stale\"", "\"busy\""])
            #expect(try await JobRecord.find(busy.id, on: server.app.db)?.status == "done")
        }
    }

    @Test("an email queued in a transaction that rolls back leaves neither a job nor an outbox row")
    func enqueueRollsBack() async throws {
        try await withServer { server in
            struct Abandon: Error {}
            let mailer = server.app.services.mailer
            await #expect(throws: Abandon.self) {
                try await server.app.db.transaction { tx in
                    try await mailer.queue(.passwordChanged(name: "Ghost"), to: "ghost@example.com", userID: nil, on: tx)
                    // Visible inside the transaction…
                    #expect(try await OutboxEmail.query(on: tx).count() == 1)
                    #expect(try await JobRecord.query(on: tx).count() == 1)
                    throw Abandon()
                }
            }
            // …and gone after the rollback.
            #expect(try await OutboxEmail.query(on: server.app.db).count() == 0)
            #expect(try await JobRecord.query(on: server.app.db).count() == 0)
            #expect(try await server.runJobs() == 0)

            try await server.app.db.transaction { tx in
                try await mailer.queue(.passwordChanged(name: "Kept"), to: "kept@example.com", userID: nil, on: tx)
            }
            #expect(try await OutboxEmail.query(on: server.app.db).count() == 1)
            #expect(try await JobRecord.query(on: server.app.db).count() == 1)
            #expect(try await server.runJobs() == 1)
            #expect(try await OutboxEmail.query(on: server.app.db).first()?.status == "sent")
            #expect(try server.sentEmails().count == 1)

            // A registration refused by validation queues nothing either.
            let refused = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": "weak@example.com", "username": "weak", "password": "weak",
            ])
            #expect(refused.status == .unprocessableEntity)
            #expect(try await OutboxEmail.query(on: server.app.db).count() == 1)
        }
    }

    // MARK: SMTP

    @Test("SMTP: the verification email goes through STARTTLS and AUTH to a real server; the outbox row is sent")
    func smtpDelivery() async throws {
        let smtp = try await SMTPTestServer.start(user: "mailer", password: "s3cret")
        defer { smtp.stop() }
        try await withServer(smtp.overrides(password: "s3cret")) { server in
            let alice = try await server.register("alice")
            #expect(try await OutboxEmail.query(on: server.app.db).first()?.status == "pending")
            #expect(try await server.runJobs() == 1)

            let messages = try await smtp.waitForMessages(count: 1)
            let message = try #require(messages.first)
            #expect(message.eml.contains("To: alice@example.com"))
            #expect(message.eml.contains("Subject: Confirm your email address for HWC3D"))
            #expect(message.eml.contains("Content-Type: multipart/alternative"))
            let linkStart = try #require(message.eml.range(of: "\(TestServer.frontend)/verify-email?token="))
            let token = String(message.eml[linkStart.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
            #expect(token.count >= 20)
            #expect(message.meta["tls"] as? Bool == true)
            #expect(message.meta["auth_user"] as? String == "mailer")
            #expect((message.meta["rcpt_tos"] as? [String]) == ["alice@example.com"])
            #expect(message.meta["mail_from"] as? String == "no-reply@hwc3d.local")

            let outbox = try #require(try await OutboxEmail.query(on: server.app.db).first())
            #expect(outbox.status == "sent")
            #expect(outbox.sentAt != nil)
            let job = try #require(try await JobRecord.query(on: server.app.db).first())
            #expect(job.status == "done")
            #expect(job.attempts == 1)
            // The log transport was not used.
            #expect(try server.sentEmails().isEmpty)

            // The link that travelled over SMTP works.
            let verify = try await server.request(.POST, "/api/v1/auth/verify-email", json: ["token": token])
            #expect(verify.status == .ok)
            #expect(try await User.find(UUID(uuidString: alice.id), on: server.app.db)?.emailVerifiedAt != nil)
            // Running the jobs again sends nothing twice.
            #expect(try await server.runJobs() == 0)
            #expect(try smtp.messages().count == 1)
        }
    }

    @Test("SMTP with a wrong password: the job stays queued with last_error, the outbox row stays pending, nothing is lost")
    func smtpWrongPassword() async throws {
        let smtp = try await SMTPTestServer.start(user: "mailer", password: "s3cret")
        defer { smtp.stop() }
        try await withServer(smtp.overrides(password: "not-the-password")) { server in
            _ = try await server.register("bob")
            #expect(try await server.runJobs() == 1)

            let job = try #require(try await JobRecord.query(on: server.app.db).first())
            #expect(job.status == "queued")
            #expect(job.attempts == 1)
            let lastError = try #require(job.lastError)
            #expect(lastError.contains("AUTH") || lastError.contains("535"), "\(lastError)")
            #expect(!lastError.contains("not-the-password"))
            #expect(job.runAt > Date())
            let outbox = try #require(try await OutboxEmail.query(on: server.app.db).first())
            #expect(outbox.status == "pending")
            #expect(outbox.sentAt == nil)
            #expect(outbox.toAddress == "bob@example.com")
            #expect(try smtp.messages().isEmpty)
        }
    }
}

// MARK: - job handlers for the tests

private struct JobFailure: Error, CustomStringConvertible {
    let attempt: Int
    var description: String { "boom #\(attempt)" }
}

private final class FailingJob: JobHandler, @unchecked Sendable {
    static let kind = "test_always_fails"
    private let lock = NSLock()
    private var count = 0

    var calls: Int { lock.withLock { count } }

    func run(payload: String, database: any Database, logger: Logger) async throws {
        let attempt = lock.withLock { () -> Int in
            count += 1
            return count
        }
        throw JobFailure(attempt: attempt)
    }
}

private final class RecordingJob: JobHandler, @unchecked Sendable {
    static let kind = "test_records"
    private let lock = NSLock()
    private var seen: [String] = []

    var payloads: [String] { lock.withLock { seen } }

    func run(payload: String, database: any Database, logger: Logger) async throws {
        lock.withLock { seen.append(payload) }
    }
}

// MARK: - the SMTP server process

/// `Tests/tools/smtp_server.py` (aiosmtpd) as a child process: STARTTLS with a throwaway certificate, AUTH required,
/// every message written to a maildir. It exits when its stdin closes.
private final class SMTPTestServer: @unchecked Sendable {
    let process: Process
    let stdin: Pipe
    let port: Int
    let maildir: URL
    let workDir: URL

    private init(process: Process, stdin: Pipe, port: Int, maildir: URL, workDir: URL) {
        self.process = process
        self.stdin = stdin
        self.port = port
        self.maildir = maildir
        self.workDir = workDir
    }

    struct Message {
        let eml: String
        let meta: [String: Any]
    }

    func overrides(password: String) -> [String: String] {
        [
            "MAIL_TRANSPORT": "smtp", "SMTP_HOST": "127.0.0.1", "SMTP_PORT": String(port), "SMTP_USERNAME": "mailer",
            "SMTP_PASSWORD": password, "SMTP_SECURITY": "starttls", "SMTP_VERIFY_CERTIFICATE": "false",
        ]
    }

    static func start(user: String, password: String) async throws -> SMTPTestServer {
        let environment = ProcessInfo.processInfo.environment
        let python = environment["HWC3D_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 } ?? "python3"
        let script = environment["HWC3D_SMTP_TEST_SERVER"].flatMap { $0.isEmpty ? nil : $0 }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/smtp_server.py").path
        try #require(
            FileManager.default.fileExists(atPath: script),
            "The SMTP test server script is missing at \(script); set HWC3D_SMTP_TEST_SERVER to its path.")

        let workDir = FileManager.default.temporaryDirectory.appendingPathComponent("hwc3d-smtp-\(UUID().uuidString)")
        let maildir = workDir.appendingPathComponent("maildir")
        try FileManager.default.createDirectory(at: maildir, withIntermediateDirectories: true)
        let stderrURL = workDir.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)

        let process = Process()
        if python.contains("/") {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [script]
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [python, script]
        }
        process.arguments! += ["--port", "0", "--maildir", maildir.path, "--user", user, "--password", password]
        let stdin = Pipe(), stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        do {
            try process.run()
        } catch {
            Issue.record("could not start \(python) \(script): \(error)")
            throw error
        }

        // Watchdog: a server that never says READY is killed, which ends the read below.
        let watchdog = Task.detached { [process] in
            try? await Task.sleep(nanoseconds: 30_000_000_000)
            if !Task.isCancelled, process.isRunning { process.terminate() }
        }
        let reader = stdout.fileHandleForReading
        let line = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            Thread.detachNewThread {
                var data = Data()
                while !data.contains(0x0A) {
                    let chunk = reader.availableData
                    if chunk.isEmpty { break }
                    data.append(chunk)
                }
                continuation.resume(returning: String(decoding: data, as: UTF8.self))
            }
        }
        watchdog.cancel()
        let firstLine = line.split(separator: "\n").first.map(String.init) ?? ""
        guard firstLine.hasPrefix("READY "), let port = Int(firstLine.dropFirst("READY ".count)) else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            let stderr = (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? ""
            Issue.record("""
                The SMTP test server did not start (exit \(process.terminationStatus)); is aiosmtpd installed for \(python)? \
                (scripts/ensure-deps.sh test, or \(python) -m pip install aiosmtpd)
                stdout: \(line)
                stderr: \(stderr)
                """)
            throw SMTPServerDidNotStart()
        }
        return SMTPTestServer(process: process, stdin: stdin, port: port, maildir: maildir, workDir: workDir)
    }

    struct SMTPServerDidNotStart: Error {}

    func messages() throws -> [Message] {
        let names = try FileManager.default.contentsOfDirectory(atPath: maildir.path).filter { $0.hasSuffix(".eml") && !$0.hasPrefix(".") }.sorted()
        return try names.map { name in
            let eml = try String(contentsOf: maildir.appendingPathComponent(name), encoding: .utf8)
            let metaURL = maildir.appendingPathComponent(String(name.dropLast(".eml".count)) + ".json")
            let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: metaURL)) as? [String: Any] ?? [:]
            return Message(eml: eml, meta: meta)
        }
    }

    /// The server writes the file before it answers 250, but give a slow disk a moment anyway.
    func waitForMessages(count: Int) async throws -> [Message] {
        for _ in 0..<50 {
            let found = try messages()
            if found.count >= count { return found }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        let found = try messages()
        #expect(found.count >= count, "expected \(count) message(s) in \(maildir.path)")
        return found
    }

    func stop() {
        try? stdin.fileHandleForWriting.close()
        for _ in 0..<100 where process.isRunning { usleep(50_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: workDir)
    }
}
