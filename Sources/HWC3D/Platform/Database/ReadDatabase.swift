import Fluent
import Vapor

extension DatabaseID {
    /// SQLite's pool of read-only connections beside the single writer (`SQLiteReadPoolConfiguration`).
    static let sqliteReads = DatabaseID(string: "sqlite-reads")
}

extension Application {
    /// The database for statements that only read and need not see writes still uncommitted (issue #11). On SQLite
    /// these run on a pool of read-only connections, in parallel with each other and with the writer; on
    /// PostgreSQL, whose pool already reads in parallel, it is simply `db`. Never use it inside a transaction, nor to
    /// read back what the same request is writing in one: it sees only committed data. A write sent to it fails.
    var reads: any Database {
        switch settings.database {
        case .sqlite: db(.sqliteReads)
        case .postgres: db
        }
    }
}

extension Request {
    /// See `Application.reads`: the request's database for statements that only read committed data.
    var reads: any Database {
        switch application.settings.database {
        case .sqlite: db(.sqliteReads)
        case .postgres: db
        }
    }
}
