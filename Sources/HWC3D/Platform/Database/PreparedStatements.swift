import Fluent
import FluentPostgresDriver
import Foundation
import Logging
import NIOConcurrencyHelpers
import SQLKit

extension SQLDatabase {
    /// Runs `query` as a statement PostgreSQL keeps prepared on each connection; elsewhere (SQLite, whose driver
    /// prepares every statement anyway) as a plain one. The rows decode like any raw query's.
    ///
    /// For the statements of hot paths whose text does not depend on the data: key lookups, the purchase path's
    /// inserts and updates. Not for searches: PostgreSQL may settle on one generic plan for a prepared statement,
    /// which suits a lookup by key and can be poor for a full-text match or a filter whose selectivity varies.
    ///
    /// Why: parsing and planning are most of what such statements cost PostgreSQL. The model page's statement took
    /// 0.3 ms to parse and 0.56 ms to plan against 0.13 ms to run (`log_min_duration_statement`, 100,000 models),
    /// the session lookup behind every signed-in request 0.2 and 0.36 against 0.13. Prepared, it is parsed once per
    /// connection, and after five runs PostgreSQL keeps the generic plan when it is as good as the custom ones.
    func prepared(_ query: SQLQueryString) async throws -> [any SQLRow] {
        try await PreparedStatements.rows(query, on: self)
    }
}

extension Database {
    /// `SQLDatabase.prepared` on this database.
    func prepared(_ query: SQLQueryString) async throws -> [any SQLRow] {
        try await sql.prepared(query)
    }

    func preparedFirst(_ query: SQLQueryString) async throws -> (any SQLRow)? {
        try await sql.prepared(query).first
    }

    /// For a statement that returns no rows.
    func preparedRun(_ query: SQLQueryString) async throws {
        _ = try await sql.prepared(query)
    }
}

/// PostgresNIO keeps its per-connection cache of prepared statements by a statement type's static name and text,
/// while HWC3D's statements are texts built at run time. So each distinct text (with the types of its binds) gets
/// a number when first run, and the number a type of its own, spelled in binary with generic types: a leading 1,
/// then `slotBits` digits (text 5 is `Slot1<Slot0<Slot1<Slot0<…<SlotRoot>>>>>`, 0b1_0000_0101, statement
/// "hwc3d_517"). A number is never reused for another text.
enum PreparedStatements {
    /// The most distinct texts one process prepares; beyond it statements run plain. PostgreSQL keeps each on every
    /// connection that ran it, so this bounds that memory. HWC3D's fixed statements number under a hundred; a list
    /// of binds (`IN (...)`, a multi-row `INSERT`) is a text per length, hence also `maximumBinds`.
    static let capacity = 1 << slotBits
    private static let slotBits = 9
    /// Statements with more binds run plain: long lists are rare, and each length would be a statement of its own.
    static let maximumBinds = 128

    private struct Registry: Sendable {
        var slots: [String: any StatementSlot.Type] = [:]
        var texts: [String] = []
        var warnedFull = false
    }

    private static let registry = NIOLockedValueBox(Registry())

    static func text(ofStatement number: Int) -> String {
        registry.withLockedValue { number < $0.texts.count ? $0.texts[number] : "" }
    }

    fileprivate static func rows(_ query: SQLQueryString, on sql: any SQLDatabase) async throws -> [any SQLRow] {
        guard let postgres = sql as? any PostgresDatabase else { return try await sql.raw(query).all() }
        let (text, binds) = sql.serialize(query)
        guard let (bindings, signature) = encode(binds), let statement = slot(for: text, signature: signature, logger: sql.logger)
        else { return try await sql.raw(query).all() }
        if let level = sql.queryLogLevel {
            sql.logger.log(level: level, "Executing prepared query", metadata: ["sql": .string(text)])
        }
        do {
            return try await statement.rows(bindings: bindings, on: postgres)
        } catch let error as PSQLError {
            guard let state = error.serverInfo?[.sqlState], retires(sqlState: state) else { throw error }
            // PostgresNIO remembers a failed preparation on its connection and repeats the failure to every later
            // run there, so the text moves to a new number, which each connection prepares afresh.
            let fresh = slot(for: text, signature: signature, logger: sql.logger, replacing: statement)
            // "cached plan must not change result type": a migration (another instance's, in a rolling deploy)
            // changed a table under a `SELECT *` this connection prepared. Run again under the new number; inside a
            // transaction the failure has already aborted it, and the retry says so (the client's retry succeeds).
            guard state == "0A000" else { throw error }
            guard let fresh else { return try await sql.raw(query).all() }
            return try await fresh.rows(bindings: bindings, on: postgres)
        }
    }

    /// Errors a statement's preparation can meet, which leave its name unusable on that connection: a changed table
    /// (0A000), an aborted transaction (25P02), a missing or changed object or bad SQL (class 42), out of memory
    /// or too complex (classes 53, 54). Errors of running it (a unique violation, a deadlock) leave it usable.
    private static func retires(sqlState: String) -> Bool {
        sqlState == "0A000" || sqlState == "25P02" || ["42", "53", "54"].contains(String(sqlState.prefix(2)))
    }

    /// The slot of this text with binds of these types: found, or numbered now; nil when the registry is full.
    private static func slot(
        for text: String, signature: String, logger: Logger, replacing stale: (any StatementSlot.Type)? = nil
    ) -> (any StatementSlot.Type)? {
        let key = signature + "\u{0}" + text
        return registry.withLockedValue { registry in
            if let known = registry.slots[key], stale.map({ ObjectIdentifier($0) != ObjectIdentifier(known) }) ?? true {
                return known
            }
            guard registry.texts.count < capacity else {
                // A retired statement with no number left to move to runs plain from now on.
                if stale != nil { registry.slots[key] = nil }
                if !registry.warnedFull {
                    registry.warnedFull = true
                    logger.warning("Prepared statements: \(capacity) distinct texts reached; further ones run unprepared")
                }
                return nil
            }
            let number = registry.texts.count
            registry.texts.append(text)
            var slot: any StatementSlot.Type = SlotRoot.self
            for bit in (0..<slotBits).reversed() {
                slot = slot.appending(bit: (number >> bit) & 1)
            }
            registry.slots[key] = slot
            return slot
        }
    }

    /// PostgresNIO's bindings for SQLKit's binds, with a signature of their types (a NULL is a type of its own: the
    /// prepared statement keeps the types of its first run). A type hot statements do not bind answers nil, and
    /// the statement runs plain.
    private static func encode(_ binds: [any Encodable & Sendable]) -> (PostgresBindings, String)? {
        guard binds.count <= maximumBinds else { return nil }
        var bindings = PostgresBindings(capacity: binds.count)
        var signature = ""
        signature.reserveCapacity(binds.count)
        for bind in binds {
            switch bind {
            case let optional as any OptionalBind where optional.isNil:
                bindings.appendNull()
                signature.append("n")
            case let value as UUID:
                bindings.append(value)
                signature.append("u")
            case let value as String:
                bindings.append(value)
                signature.append("s")
            case let value as Int:
                bindings.append(value)
                signature.append("i")
            case let value as Int64:
                bindings.append(value)
                signature.append("l")
            case let value as Bool:
                bindings.append(value)
                signature.append("b")
            case let value as Date:
                bindings.append(value)
                signature.append("d")
            case let value as [UUID]:
                bindings.append(value)
                signature.append("U")
            default:
                return nil
            }
        }
        return (bindings, signature)
    }
}

private protocol OptionalBind {
    var isNil: Bool { get }
}

extension Optional: OptionalBind {
    var isNil: Bool { self == nil }
}

/// A statement number as a type: `SlotRoot` is the leading 1, each `Slot0`/`Slot1` appends a binary digit.
protocol StatementSlot: Sendable {
    static var number: Int { get }
}

extension StatementSlot {
    static func appending(bit: Int) -> any StatementSlot.Type {
        bit == 1 ? Slot1<Self>.self : Slot0<Self>.self
    }

    /// The statement's rows on one of the pool's connections, preparing it there first if it is new to it.
    static func rows(bindings: PostgresBindings, on database: any PostgresDatabase) async throws -> [any SQLRow] {
        let rows = try await database.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                var rows: [PostgresRow] = []
                for try await row in try await connection.execute(NumberedStatement<Self>(bindings: bindings), logger: connection.logger) {
                    rows.append(row)
                }
                return rows
            }
        }.get()
        return rows.map(PostgresRowReader.init)
    }
}

enum SlotRoot: StatementSlot {
    static var number: Int { 1 }
}

struct Slot0<Higher: StatementSlot>: StatementSlot {
    static var number: Int { Higher.number << 1 }
}

struct Slot1<Higher: StatementSlot>: StatementSlot {
    static var number: Int { Higher.number << 1 | 1 }
}

/// The statement PostgresNIO prepares once per connection under the slot's number.
private struct NumberedStatement<Slot: StatementSlot>: PostgresPreparedStatement {
    typealias Row = PostgresRow
    static var name: String { "hwc3d_\(Slot.number)" }
    static var sql: String { PreparedStatements.text(ofStatement: Slot.number & (PreparedStatements.capacity - 1)) }
    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
