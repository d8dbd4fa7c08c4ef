import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import SQLiteNIO
import Testing
import VaporTesting

@testable import HWC3D

/// SQLite's read pool beside its one writer (issue #11): reads never write, never wait for writes nor for each
/// other, and a burst of mixed traffic never meets "database is locked". On PostgreSQL `reads` is the primary pool.
struct ReadDatabaseTests {
    static let sqliteOnly = "on PostgreSQL `reads` is the primary pool, which writes"

    @Test("a write sent to the read database fails and changes nothing", .disabled(if: TestServer.usesPostgres, "\(sqliteOnly)"))
    func readsRefuseWrites() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let reads = server.app.reads

            let update = await #expect(throws: (any Error).self) {
                try await reads.sql.raw("UPDATE users SET bio = 'written through reads' WHERE username = 'alice'").run()
            }
            #expect("\(update.map { String(reflecting: $0) } ?? "")".contains("readonly"), "query_only refuses: \(String(describing: update))")
            await #expect(throws: (any Error).self) {
                try await reads.sql.raw("INSERT INTO tags (id, name) VALUES (\(bind: UUID.v7()), 'sneaky')").run()
            }
            await #expect(throws: (any Error).self) {
                try await reads.schema("read_pool_probe").field("id", .uuid).create()
            }

            // Fluent's writes too, and the row is as registered.
            let user = try #require(try await User.find(UUID(uuidString: alice.id), on: reads))
            user.bio = "written through reads"
            await #expect(throws: (any Error).self) { try await user.update(on: reads) }
            #expect(try await User.find(UUID(uuidString: alice.id), on: server.app.db)?.bio == nil)
            #expect(try await CatalogueTag.query(on: server.app.db).filter(\.$name == "sneaky").count() == 0)
            // While the reader still reads.
            #expect(try await User.query(on: reads).filter(\.$username == "alice").count() == 1)
        }
    }

    @Test("a read still running holds neither a write nor a second read", .disabled(if: TestServer.usesPostgres, "\(sqliteOnly)"))
    func longReadBlocksNothing() async throws {
        try await withServer(["DATABASE_READ_POOL_SIZE": "3"]) { server in
            _ = try await server.register("alice")
            let reads = try #require(server.app.reads as? any SQLiteDatabase)
            // A statement that runs until released, so "still running" does not depend on the machine's speed.
            let started = Gate()
            let release = Gate()
            let hold = SQLiteCustomFunction("hwc3d_hold", argumentCount: 0) { _ in
                started.open()
                return release.wait(seconds: 30) ? 1 : 0
            }
            let finished = NIOLockedValueBox(false)
            let longRead = Task {
                defer { finished.withLockedValue { $0 = true } }
                return try await reads.withConnection { connection in
                    try await connection.install(customFunction: hold)
                    let rows = try await connection.query("SELECT hwc3d_hold() AS held, (SELECT count(*) FROM users) AS users")
                    return (rows.first?.column("held")?.integer, rows.first?.column("users")?.integer)
                }
            }
            defer { release.open() }
            #expect(await started.opened(within: 30), "the long read began")

            // While it runs: a write commits, and another read sees it.
            let bob = try await within(seconds: 20) { try await server.register("bob") }
            #expect(!bob.accessToken.isEmpty)
            let users = try await within(seconds: 20) { try await User.query(on: server.app.reads).count() }
            #expect(users == 2)
            let profile = try await within(seconds: 20) { try await server.request(.GET, "/api/v1/users/bob") }
            #expect(profile.status == .ok)
            #expect(!finished.withLockedValue { $0 }, "still running: the write and the reads did not wait for it")

            release.open()
            let (held, snapshot) = try await longRead.value
            #expect(held == 1)
            // The long read kept the snapshot it began with.
            #expect(snapshot == 1)
        }
    }

    @Test("a read transaction keeps its snapshot while writes commit and other reads go on")
    func openReadSnapshot() async throws {
        try await withServer(["DATABASE_READ_POOL_SIZE": "3"]) { server in
            _ = try await server.register("alice")
            try await server.app.reads.transaction { held in
                #expect(try await User.query(on: held).count() == 1)
                _ = try await within(seconds: 20) { try await server.register("bob") }
                #expect(try await within(seconds: 20) { try await User.query(on: server.app.reads).count() } == 2)
                if !TestServer.usesPostgres {
                    // SQLite's WAL snapshot lasts the transaction (PostgreSQL's READ COMMITTED takes one per statement).
                    #expect(try await User.query(on: held).count() == 1)
                }
            }
        }
    }

    @Test("200 concurrent requests mixing follows, likes, sign-ups and reads: no 5xx, nothing locked")
    func mixedBurst() async throws {
        try await withServer(["DATABASE_READ_POOL_SIZE": "4"]) { server in
            let creator = try await server.register("creator")
            let modelID = try await CatalogueFixtures.model(server, owner: creator, title: "Burst crate", tags: ["crate"])
            var fans: [TestServer.SignedIn] = []
            for index in 0..<12 { fans.append(try await server.register("fan\(index)")) }

            let fanList = fans
            let answers = try await withThrowingTaskGroup(of: (String, HTTPStatus, String).self) { group in
                for index in 0..<200 {
                    let fan = fanList[index % fanList.count]
                    group.addTask {
                        let (label, response): (String, TestResponse)
                        switch index % 10 {
                        case 0: (label, response) = ("follow", try await server.request(.POST, "/api/v1/users/creator/follow", token: fan.accessToken))
                        case 1: (label, response) = ("like", try await server.request(.POST, "/api/v1/models/\(modelID)/like", token: fan.accessToken))
                        case 2: (label, response) = ("unlike", try await server.request(.DELETE, "/api/v1/models/\(modelID)/like", token: fan.accessToken))
                        case 3: (label, response) = ("register", try await server.request(.POST, "/api/v1/auth/register", json: [
                            "email": "burst\(index)@example.com", "username": "burst\(index)", "password": TestServer.goodPassword,
                            "display_name": "Burst",
                        ]))
                        case 4: (label, response) = ("me", try await server.request(.GET, "/api/v1/users/me", token: fan.accessToken))
                        case 5: (label, response) = ("followers", try await server.request(.GET, "/api/v1/users/creator/followers"))
                        case 6: (label, response) = ("search", try await server.request(.GET, "/api/v1/models?q=crate"))
                        case 7: (label, response) = ("comments", try await server.request(.GET, "/api/v1/models/\(modelID)/comments"))
                        case 8: (label, response) = ("cart", try await server.request(.GET, "/api/v1/cart", token: fan.accessToken))
                        default: (label, response) = ("profile", try await server.request(.GET, "/api/v1/users/creator", token: fan.accessToken))
                        }
                        return (label, response.status, response.text)
                    }
                }
                var all: [(String, HTTPStatus, String)] = []
                for try await answer in group { all.append(answer) }
                return all
            }

            #expect(answers.count == 200)
            for (label, status, text) in answers {
                #expect(status.code < 500, "\(label): \(status) \(text)")
                #expect(!text.localizedCaseInsensitiveContains("locked"), "\(label): \(text)")
            }
            for (label, status, text) in answers where ["me", "followers", "search", "comments", "cart", "profile", "register"].contains(label) {
                #expect(status.code < 400, "\(label): \(status) \(text)")
            }
            // The counters still add up after the burst.
            let creatorRow = try #require(try await User.find(UUID(uuidString: creator.id), on: server.app.db))
            #expect(creatorRow.followersCount == (try await UserFollow.query(on: server.app.db).count()))
            let likes = try await ModelLike.query(on: server.app.db).filter(\.$model.$id == modelID).count()
            #expect(try await CatalogueFixtures.row(server, modelID).likeCount == likes)
        }
    }
}

/// A one-way signal a blocking SQLite function can wait on.
private final class Gate: Sendable {
    private let condition = NIOLockedValueBox(false)
    private let semaphore = DispatchSemaphore(value: 0)

    func open() {
        let first = condition.withLockedValue { opened in
            defer { opened = true }
            return !opened
        }
        if first { semaphore.signal() }
    }

    /// For a test's task, which must not block its thread.
    func opened(within seconds: Double) async -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if condition.withLockedValue({ $0 }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// For a thread that may block (an SQLite function on a reader's thread): whether the gate opened in time.
    func wait(seconds: Double) -> Bool {
        guard semaphore.wait(timeout: .now() + seconds) == .success else { return false }
        semaphore.signal()
        return true
    }
}

private struct TimedOut: Error, CustomStringConvertible {
    var description: String { "waited too long: something blocked behind the long read" }
}

/// `body`, or `TimedOut` after `seconds`: a read or write that queued behind another fails the test instead of hanging.
private func within<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut() }
        return value
    }
}
