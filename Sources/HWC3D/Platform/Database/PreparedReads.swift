import Fluent
import FluentPostgresDriver
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit

/// Names one hot read that PostgreSQL keeps prepared on each connection (`Database.preparedRows`). It is a type,
/// not a string, because PostgresNIO keeps its per-connection cache of prepared statements by a statement type's
/// static name and text. One name is one statement text: the binds may change, the SQL may not.
///
/// Why: the model page's statement cost PostgreSQL 0.3 ms to parse and 0.56 ms to plan, against 0.13 ms to run
/// (`log_min_duration_statement`, 100,000 models); the session lookup behind every signed-in request, 0.2 and
/// 0.36 against 0.13. A prepared statement is parsed once per connection, and after five runs PostgreSQL keeps its
/// generic plan when that is as good as the custom ones, which it is for these key lookups.
protocol PreparedReadName {}

extension PreparedReadName {
    /// `Database.preparedRows` with this name; an `any PreparedReadName.Type` calls through here to reach the
    /// generic statement type.
    static func rows(_ query: SQLQueryString, on database: any Database) async throws -> [any SQLRow] {
        try await PreparedReads.rows(Self.self, query, on: database)
    }
}

extension Database {
    /// Runs a read that never changes shape as the prepared statement `name` on PostgreSQL; elsewhere (SQLite, whose
    /// driver prepares every statement anyway) as a plain statement. The rows decode like any raw query's.
    func preparedRows(_ name: any PreparedReadName.Type, _ query: SQLQueryString) async throws -> [any SQLRow] {
        try await name.rows(query, on: self)
    }

    func preparedFirst(_ name: any PreparedReadName.Type, _ query: SQLQueryString) async throws -> (any SQLRow)? {
        try await preparedRows(name, query).first
    }
}

enum PreparedReads {
    /// The statement text each name stands for, fixed by its first run.
    private static let texts = NIOLockedValueBox<[ObjectIdentifier: String]>([:])

    static func text(of name: Any.Type) -> String {
        texts.withLockedValue { $0[ObjectIdentifier(name)] } ?? ""
    }

    fileprivate static func rows<Name: PreparedReadName>(_ name: Name.Type, _ query: SQLQueryString, on database: any Database) async throws -> [any SQLRow] {
        let sql = database.sql
        guard let postgres = database as? any PostgresDatabase else { return try await sql.raw(query).all() }
        let (text, binds) = sql.serialize(query)
        guard let bindings = bindings(binds), claim(name, text: text) else { return try await sql.raw(query).all() }
        if let level = sql.queryLogLevel {
            database.logger.log(level: level, "Executing prepared query", metadata: ["name": "\(Name.self)", "sql": .string(text)])
        }
        do {
            let rows = try await postgres.withConnection { connection in
                connection.eventLoop.makeFutureWithTask {
                    var rows: [PostgresRow] = []
                    for try await row in try await connection.execute(NamedRead<Name>(bindings: bindings), logger: connection.logger) {
                        rows.append(row)
                    }
                    return rows
                }
            }.get()
            return rows.map { $0.sql() }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "0A000" {
            // "cached plan must not change result type": a migration run by another instance changed a table under
            // a `SELECT *` this connection prepared. The plain statement still answers; the connection's copy stays
            // stale until the connection is replaced, which a restart of this instance does.
            return try await sql.raw(query).all()
        }
    }

    /// Fixes `name`'s text on first use. A later, different text is a programming error (two shapes under one
    /// name): the tests stop on it; a release build runs the statement unprepared rather than wrongly.
    private static func claim(_ name: Any.Type, text: String) -> Bool {
        assert(String(reflecting: name).utf8.count <= 63 && !String(reflecting: name).contains("("),
               "Prepared read names are internal types with names PostgreSQL keeps whole: \(String(reflecting: name))")
        let key = ObjectIdentifier(name)
        let known = texts.withLockedValue { texts -> String in
            if let known = texts[key] { return known }
            texts[key] = text
            return text
        }
        guard known == text else {
            assertionFailure("Prepared read \(name) used with two statement texts:\n\(known)\n---\n\(text)")
            return false
        }
        return true
    }

    /// PostgresNIO's bindings for SQLKit's binds, for the value types hot reads bind. Anything else (or a NULL,
    /// whose type the prepared statement would fix from its first run) answers nil and the read runs unprepared.
    private static func bindings(_ binds: [any Encodable & Sendable]) -> PostgresBindings? {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case let value as UUID: bindings.append(value)
            case let value as String: bindings.append(value)
            case let value as Int: bindings.append(value)
            case let value as Int64: bindings.append(value)
            case let value as Bool: bindings.append(value)
            case let value as Date: bindings.append(value)
            default: return nil
            }
        }
        return bindings
    }
}

/// The statement PostgresNIO prepares once per connection under `Name`.
private struct NamedRead<Name: PreparedReadName>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    /// The type's full name ("HWC3D.SessionReads.CallerBySession"): unique, and short of the 63 bytes PostgreSQL
    /// keeps of a statement name (a longer one would be cut, and two could meet).
    static var name: String { String(reflecting: Name.self) }
    static var sql: String { PreparedReads.text(of: Name.self) }
    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
