import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// Hot reads kept prepared on PostgreSQL (`Database.preparedRows`): the statement really is prepared once per
/// connection under its name, answers like the plain statement, and survives a table changing under it.
struct PreparedReadsTests {
    static let postgresOnly = "SQLite runs prepared reads as plain statements"

    enum ProbeRead: PreparedReadName {}
    enum ChangingTableRead: PreparedReadName {}

    @Test("a signed-in request's session lookup is prepared once per connection and reused")
    func sessionLookupIsPrepared() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let session = try #require(try await AuthSession.query(on: server.app.db).filter(\.$user.$id == UUID(uuidString: alice.id)!).first())
            let sessionID = try session.requireID()
            // Three requests on the one connection the test pins: each answers as the plain read would.
            try await server.app.db.withConnection { connection in
                for _ in 0..<3 {
                    let record = try await SessionReads.caller(sessionID: sessionID, on: connection)
                    #expect(record?.user.username == "alice")
                }
                guard TestServer.usesPostgres else { return }
                let prepared = try await connection.sql.raw("""
                    SELECT name FROM pg_prepared_statements WHERE name = \(bind: String(reflecting: SessionReads.CallerBySession.self))
                    """).all()
                #expect(prepared.count == 1, "the session lookup is prepared on this connection, once")
            }
            // And through HTTP, signed in.
            let me = try await server.request(.GET, "/api/v1/users/me", token: alice.accessToken)
            #expect(me.status == .ok)
            #expect(try me.object()["username"] as? String == "alice")
        }
    }

    @Test("the same name with other binds answers each caller's own row")
    func bindsChangePerCall() async throws {
        try await withServer { server in
            _ = try await server.register("alice")
            _ = try await server.register("bob")
            try await server.app.db.withConnection { connection in
                for name in ["alice", "bob", "alice", "nobody", "bob", "alice", "bob"] {
                    let row = try await connection.preparedFirst(ProbeRead.self, """
                        SELECT username FROM users WHERE username_key = \(bind: name)
                        """)
                    #expect(try row?.decode(column: "username", as: String.self) == (name == "nobody" ? nil : name))
                }
            }
        }
    }

    @Test("a table that changes under a prepared SELECT * still answers", .disabled(if: !TestServer.usesPostgres, "\(postgresOnly)"))
    func changedTableFallsBack() async throws {
        try await withServer { server in
            try await server.app.db.withConnection { connection in
                let sql = connection.sql
                try await sql.raw("CREATE TEMPORARY TABLE prepared_probe (id INTEGER PRIMARY KEY, label TEXT NOT NULL)").run()
                try await sql.raw("INSERT INTO prepared_probe VALUES (1, 'one')").run()
                let read: SQLQueryString = "SELECT * FROM prepared_probe WHERE id = \(bind: 1)"
                let before = try await connection.preparedFirst(ChangingTableRead.self, read)
                #expect(try before?.decode(column: "label", as: String.self) == "one")

                // Another instance's migration, as PostgreSQL sees it: the prepared `*` no longer fits the table.
                try await sql.raw("ALTER TABLE prepared_probe ADD COLUMN extra TEXT NOT NULL DEFAULT 'new'").run()
                let after = try await connection.preparedFirst(ChangingTableRead.self, read)
                #expect(try after?.decode(column: "label", as: String.self) == "one")
                #expect(try after?.decode(column: "extra", as: String.self) == "new")
            }
        }
    }
}
