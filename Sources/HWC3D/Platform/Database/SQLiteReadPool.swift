@preconcurrency import AsyncKit
import FluentKit
import FluentSQL
import Logging
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit
import SQLiteNIO

/// Read-only SQLite connections beside the single writer (`SingleConnectionConfiguration`), issue #11. In WAL mode a
/// reader sees the last committed state and neither waits for the writer nor holds it up, so a pool of readers lets
/// reads run in parallel with each other, with the writer and with the job worker. Every connection is opened with
/// `query_only`, so a write sent here by mistake fails at once instead of becoming a second writer: two writers
/// were what gave "database is locked".
///
/// fluent-sqlite-driver offers no hook to prepare a connection and keeps one connection per event loop, so this is a
/// small driver of its own: a pool of `connections` on one event loop (any request may take any free reader) and a
/// thread pool of the same size, so a long read holds one of its own threads, never the writer's or bcrypt's.
///
/// That event loop is the pool's own, not one of the HTTP server's. Since tasks run on the server's loops
/// (`HWC3DMain.runTasksOnEventLoops`), a shared loop queued every lease and every finished read behind that loop's
/// requests: at 64 connections the signed-in model page (two reads in a row) had a p99 of 430–505 ms; on its own
/// loop 97 ms, and 1,322 req/s instead of ~1,000.
struct SQLiteReadPoolConfiguration: DatabaseConfiguration {
    let path: String
    let connections: Int
    let requestTimeout: TimeAmount
    let sqlLogLevel: Logger.Level?
    var middleware: [any AnyModelMiddleware] = []

    func makeDriver(for databases: Databases) -> any DatabaseDriver {
        let threads = NIOThreadPool(numberOfThreads: connections)
        threads.start()
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let pool = EventLoopConnectionPool(
            source: ReadOnlyConnectionSource(
                base: SQLiteConnectionSource(configuration: .init(storage: .file(path: path)), threadPool: threads)),
            maxConnections: connections, requestTimeout: requestTimeout, pruneInterval: nil,
            logger: Logger(label: "hwc3d.sqlite-reads"), on: loop.next())
        return SQLiteReadPoolDriver(pool: pool, threads: threads, loop: loop, sqlLogLevel: sqlLogLevel)
    }
}

/// Opens connections as SQLiteKit does, then makes them read-only and patient.
private struct ReadOnlyConnectionSource: ConnectionPoolSource {
    let base: SQLiteConnectionSource

    func makeConnection(logger: Logger, on eventLoop: any EventLoop) -> EventLoopFuture<SQLiteConnection> {
        base.makeConnection(logger: logger, on: eventLoop).flatMap { connection in
            // The writer may be checkpointing; wait for it as the writer itself would (configure.swift) instead of
            // SQLiteNIO's default of retrying without end.
            connection.query("PRAGMA query_only = ON")
                .flatMap { _ in connection.query("PRAGMA busy_timeout = \(SQLiteReadPoolConfiguration.busyTimeoutMilliseconds)") }
                .map { _ in connection }
                .flatMapError { error in connection.close().flatMapThrowing { throw error } }
        }
    }
}

extension SQLiteReadPoolConfiguration {
    static let busyTimeoutMilliseconds = 5000
}

private struct SQLiteReadPoolDriver: DatabaseDriver {
    let pool: EventLoopConnectionPool<ReadOnlyConnectionSource>
    let threads: NIOThreadPool
    let loop: MultiThreadedEventLoopGroup
    let sqlLogLevel: Logger.Level?

    func makeDatabase(with context: DatabaseContext) -> any Database {
        SQLiteReadDatabase(
            connection: PooledSQLiteConnection(pool: pool, logger: context.logger),
            context: DatabaseContext(
                configuration: context.configuration, logger: context.logger, eventLoop: pool.eventLoop,
                history: context.history, pageSizeLimit: context.pageSizeLimit, shouldTrace: context.shouldTrace),
            sqlLogLevel: sqlLogLevel, inTransaction: false)
    }

    func shutdown() {
        try? pool.close().wait()
        try? threads.syncShutdownGracefully()
        try? loop.syncShutdownGracefully()
    }

    func shutdownAsync() async {
        try? await pool.close().get()
        try? await threads.shutdownGracefully()
        try? await loop.shutdownGracefully()
    }
}

/// A reader leased from the pool for one statement (or one `withConnection`).
private struct PooledSQLiteConnection: SQLiteDatabase {
    let pool: EventLoopConnectionPool<ReadOnlyConnectionSource>
    let logger: Logger

    var eventLoop: any EventLoop { pool.eventLoop }

    func withConnection<T>(_ closure: @escaping @Sendable (SQLiteConnection) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        pool.withConnection(logger: logger) { closure($0) }
    }

    func query(_ query: String, _ binds: [SQLiteData], logger: Logger, _ onRow: @escaping @Sendable (SQLiteRow) -> Void)
        -> EventLoopFuture<Void>
    {
        withConnection { $0.query(query, binds, logger: logger, onRow) }
    }
}

/// The Fluent and SQLKit face of the readers, as fluent-sqlite-driver builds it for its own pool. Schema changes
/// are refused outright: they are writes.
private struct SQLiteReadDatabase: Database, SQLDatabase, SQLiteDatabase {
    let connection: any SQLiteDatabase
    let context: DatabaseContext
    let sqlLogLevel: Logger.Level?
    let inTransaction: Bool

    private var sqlKit: any SQLDatabase { connection.sql(encoder: .init(), decoder: .init(), queryLogLevel: sqlLogLevel) }

    private func bound(to connection: any SQLiteDatabase, inTransaction: Bool) -> SQLiteReadDatabase {
        SQLiteReadDatabase(connection: connection, context: context, sqlLogLevel: sqlLogLevel, inTransaction: inTransaction)
    }

    // Database

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) -> EventLoopFuture<Void> {
        execute(sql: SQLQueryConverter(delegate: ReadConverterDelegate()).convert(query)) { onOutput(RowOutput(row: $0, schema: nil)) }
    }

    func execute(query: DatabaseQuery, onOutput: @escaping @Sendable (any DatabaseOutput) -> Void) async throws {
        try await execute(sql: SQLQueryConverter(delegate: ReadConverterDelegate()).convert(query)) {
            onOutput(RowOutput(row: $0, schema: nil))
        }
    }

    func execute(schema: DatabaseSchema) -> EventLoopFuture<Void> {
        eventLoop.makeFailedFuture(ReadOnlyDatabaseError())
    }

    func execute(enum: DatabaseEnum) -> EventLoopFuture<Void> {
        eventLoop.makeFailedFuture(ReadOnlyDatabaseError())
    }

    func withConnection<T: Sendable>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        eventLoop.makeFutureWithTask { try await withConnection { try await closure($0).get() } }
    }

    func withConnection<T: Sendable>(_ closure: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await connection.withConnection { try await closure(bound(to: $0, inTransaction: inTransaction)) }
    }

    func transaction<T: Sendable>(_ closure: @escaping @Sendable (any Database) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        inTransaction ? closure(self) : eventLoop.makeFutureWithTask { try await transaction { try await closure($0).get() } }
    }

    /// One snapshot for several reads.
    func transaction<T: Sendable>(_ closure: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        guard !inTransaction else { return try await closure(self) }
        return try await connection.withConnection { leased in
            let database = bound(to: leased, inTransaction: true)
            try await database.raw("BEGIN TRANSACTION").run()
            do {
                let result = try await closure(database)
                try await database.raw("COMMIT TRANSACTION").run()
                return result
            } catch {
                try? await database.raw("ROLLBACK TRANSACTION").run()
                throw error
            }
        }
    }

    // SQLDatabase

    var dialect: any SQLDialect { sqlKit.dialect }
    var version: (any SQLDatabaseReportedVersion)? { sqlKit.version }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        sqlKit.execute(sql: query, onRow)
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try await sqlKit.execute(sql: query, onRow)
    }

    func withSession<R>(_ closure: @escaping @Sendable (any SQLDatabase) async throws -> R) async throws -> R {
        try await sqlKit.withSession(closure)
    }

    // SQLiteDatabase

    func query(_ query: String, _ binds: [SQLiteData], logger: Logger, _ onRow: @escaping @Sendable (SQLiteRow) -> Void)
        -> EventLoopFuture<Void>
    {
        connection.query(query, binds, logger: logger, onRow)
    }

    func withConnection<T>(_ closure: @escaping @Sendable (SQLiteConnection) -> EventLoopFuture<T>) -> EventLoopFuture<T> {
        connection.withConnection(closure)
    }
}

/// SQLite's column types for Fluent's, as fluent-sqlite-driver maps them (only casts reach it on a read).
private struct ReadConverterDelegate: SQLConverterDelegate {
    func customDataType(_ dataType: DatabaseSchema.DataType) -> (any SQLExpression)? {
        switch dataType {
        case .string, .enum: SQLRaw("TEXT")
        case .datetime: SQLRaw("REAL")
        case .int64: SQLRaw("INTEGER")
        default: nil
        }
    }
}

/// A row as Fluent's models read it (fluent-sqlite-driver keeps its own private).
private struct RowOutput: DatabaseOutput {
    let row: any SQLRow
    let schema: String?

    var description: String { String(describing: row) }

    private func column(_ key: FieldKey) -> String {
        (schema.map { FieldKey.prefix(.prefix(.string($0), "_"), key) } ?? key).description
    }

    func schema(_ schema: String) -> any DatabaseOutput { RowOutput(row: row, schema: schema) }
    func contains(_ key: FieldKey) -> Bool { row.contains(column: column(key)) }
    func decodeNil(_ key: FieldKey) throws -> Bool { try row.decodeNil(column: column(key)) }
    func decode<T: Decodable>(_ key: FieldKey, as: T.Type) throws -> T { try row.decode(column: column(key), as: T.self) }
}

struct ReadOnlyDatabaseError: Error, CustomStringConvertible {
    var description: String { "The read database refuses schema changes: they are writes; use the primary database." }
}
