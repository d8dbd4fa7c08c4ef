import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// Statements kept prepared on PostgreSQL (`Database.prepared`): one is really prepared once per connection, answers
/// like the plain statement whatever its binds (NULLs included), and survives a table changing under it.
struct PreparedStatementsTests {
    static let postgresOnly = "SQLite runs prepared statements as plain ones"

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
                    SELECT name FROM pg_prepared_statements WHERE statement LIKE '%FROM auth_sessions s JOIN users u%'
                    """).all()
                #expect(prepared.count == 1, "the session lookup is prepared on this connection, once")
            }
            // And through HTTP, signed in.
            let me = try await server.request(.GET, "/api/v1/users/me", token: alice.accessToken)
            #expect(me.status == .ok)
            #expect(try me.object()["username"] as? String == "alice")
        }
    }

    @Test("one text with other binds, NULLs among them, answers each call's own rows; writes too")
    func bindsChangePerCall() async throws {
        try await withServer { server in
            _ = try await server.register("alice")
            _ = try await server.register("bob")
            try await server.app.db.withConnection { connection in
                for name in ["alice", "bob", "alice", "nobody", "bob", "alice", "bob"] {
                    let row = try await connection.preparedFirst("""
                        SELECT username FROM users WHERE username_key = \(bind: name)
                        """)
                    #expect(try row?.decode(column: "username", as: String.self) == (name == "nobody" ? nil : name))
                }
                // The same text binding NULL, then a value, then NULL again: each run sees its own.
                for bio in [nil, "Makes chairs", nil, "Makes tables", "Makes tables"] as [String?] {
                    try await connection.preparedRun("UPDATE users SET bio = \(bind: bio) WHERE username_key = \(bind: "alice")")
                    let row = try await connection.preparedFirst("SELECT bio FROM users WHERE username_key = \(bind: "alice")")
                    #expect(try row?.decode(column: "bio", as: String?.self) == bio)
                }
                let bob = try await connection.preparedFirst("SELECT bio FROM users WHERE username_key = \(bind: "bob")")
                #expect(try bob?.decode(column: "bio", as: String?.self) == nil, "bob's row is untouched")
                guard TestServer.usesPostgres else { return }
                let updates = try await connection.sql.raw("""
                    SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE 'UPDATE users SET bio%'
                    """).first()
                #expect(try updates?.decode(column: "n", as: Int.self) == 2, "one statement with a NULL bio, one with a text")
            }
        }
    }

    @Test("prepared rows decode every column type as the plain statement's rows do, NULLs, numerics, JSON and enum types included")
    func preparedRowsDecodeLikePlainRows() async throws {
        try await withServer { server in
            let isPostgres = TestServer.usesPostgres
            // Literals, so the plain and the prepared statement read exactly the same values.
            let select: SQLQueryString = isPostgres
                ? """
                  SELECT 'text' AS t, 42 AS i4, CAST(9000000000 AS BIGINT) AS i8, CAST(2.5 AS DOUBLE PRECISION) AS d,
                         CAST(1.25 AS NUMERIC) AS n, TRUE AS b, CAST('0190f3a2-6c1e-7b4a-9d2e-3f5a8c7b1e42' AS UUID) AS u,
                         CAST('2026-01-02 03:04:05.678+00' AS TIMESTAMPTZ) AS ts, CAST(NULL AS TEXT) AS nt, CAST(NULL AS INTEGER) AS ni,
                         CAST('{"a":1}' AS JSON) AS j, CAST('x' AS VARCHAR) AS v, \(bind: "bound") AS bound
                  """
                : """
                  SELECT 'text' AS t, 42 AS i4, 9000000000 AS i8, 2.5 AS d, 1.25 AS n, 1 AS b,
                         '0190f3a2-6c1e-7b4a-9d2e-3f5a8c7b1e42' AS u, '2026-01-02T03:04:05.678Z' AS ts, NULL AS nt, NULL AS ni,
                         '{"a":1}' AS j, 'x' AS v, \(bind: "bound") AS bound
                  """
            let sql = try #require(server.app.db as? any SQLDatabase)
            let plain = try #require(try await sql.raw(select).first())
            let prepared = try #require(try await server.app.db.preparedFirst(select))
            for row in [plain, prepared] {
                #expect(try row.decode(column: "t", as: String.self) == "text")
                #expect(try row.decode(column: "i4", as: Int.self) == 42)
                #expect(try row.decode(column: "i8", as: Int64.self) == 9_000_000_000)
                #expect(try row.decode(column: "d", as: Double.self) == 2.5)
                #expect(try row.decode(column: "n", as: Double.self) == 1.25)
                #expect(try row.decode(column: "b", as: Bool.self) == true)
                #expect(try row.decode(column: "u", as: UUID.self) == UUID(uuidString: "0190f3a2-6c1e-7b4a-9d2e-3f5a8c7b1e42"))
                let time = try row.decode(column: "ts", as: Date.self).timeIntervalSince1970
                #expect(abs(time - 1_767_323_045.678) < 0.001)
                #expect(try row.decode(column: "nt", as: String?.self) == nil)
                #expect(try row.decode(column: "ni", as: Int?.self) == nil)
                #expect(try row.decode(column: "t", as: String?.self) == "text")
                #expect(try row.decode(column: "j", as: String.self) == #"{"a":1}"#)
                #expect(try row.decode(column: "v", as: String.self) == "x")
                #expect(try row.decode(column: "bound", as: String.self) == "bound")
                #expect(try row.decodeNil(column: "nt") && !row.decodeNil(column: "t"))
                #expect(throws: (any Error).self) { try row.decode(column: "t", as: Int.self) }
                #expect(throws: (any Error).self) { try row.decode(column: "missing", as: String.self) }
            }
            // A Fluent enum column (a PostgreSQL enum type there) reads as its text.
            _ = try await server.register("alice")
            let status: SQLQueryString = "SELECT status FROM users WHERE username_key = \(bind: "alice")"
            #expect(try await server.app.db.preparedFirst(status)?.decode(column: "status", as: String.self) == "active")
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
                let before = try await connection.preparedFirst(read)
                #expect(try before?.decode(column: "label", as: String.self) == "one")

                // Another instance's migration, as PostgreSQL sees it: the prepared `*` no longer fits the table.
                try await sql.raw("ALTER TABLE prepared_probe ADD COLUMN extra TEXT NOT NULL DEFAULT 'new'").run()
                let after = try await connection.preparedFirst(read)
                #expect(try after?.decode(column: "label", as: String.self) == "one")
                #expect(try after?.decode(column: "extra", as: String.self) == "new")
                let again = try await connection.preparedFirst(read)
                #expect(try again?.decode(column: "extra", as: String.self) == "new", "later runs use the fresh statement")
            }
        }
    }

    @Test("a statement first met in an aborted transaction still works on that connection afterwards", .disabled(if: !TestServer.usesPostgres, "\(postgresOnly)"))
    func abortedTransactionDoesNotPoisonTheConnection() async throws {
        try await withServer { server in
            _ = try await server.register("alice")
            try await server.app.db.withConnection { connection in
                let sql = connection.sql
                // A text no other test prepares, so its first preparation on this connection is the failing one.
                let read: SQLQueryString = "SELECT username, 'aborted-probe' AS probe FROM users WHERE username_key = \(bind: "alice")"
                try await sql.raw("BEGIN").run()
                await #expect(throws: (any Error).self) { try await sql.raw("SELECT 1 / 0").run() }
                await #expect(throws: (any Error).self, "the transaction is aborted") { _ = try await connection.preparedFirst(read) }
                try await sql.raw("ROLLBACK").run()
                for _ in 0..<3 {
                    let row = try await connection.preparedFirst(read)
                    #expect(try row?.decode(column: "username", as: String.self) == "alice")
                }
            }
        }
    }
}
