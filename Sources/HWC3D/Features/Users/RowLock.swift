import Fluent
import Foundation
import SQLKit

/// Serialises decisions about one user (their payouts, reversals of their earnings, their checkouts): the
/// marketplace locks through this, since the row it locks is Users'.
/// PostgreSQL locks the user's row until the transaction ends; SQLite runs one transaction at a time already.
/// `FOR NO KEY UPDATE`, not `FOR UPDATE`: the foreign-key checks of rows that reference a seller (a checkout's
/// items) take `KEY SHARE`, which `FOR UPDATE` blocks and which, under load, deadlocked checkouts against captures.
enum RowLock {
    static func user(_ id: UUID, on database: any Database) async throws {
        try await users([id], on: database)
    }

    /// Several users, always in the same (sorted) order, so two transactions locking overlapping sets cannot
    /// each hold what the other waits for.
    static func users(_ ids: [UUID], on database: any Database) async throws {
        let sql = database.sql
        guard sql.dialect.name == "postgresql" else { return }
        for id in Set(ids).sorted(by: { $0.uuidString < $1.uuidString }) {
            try await sql.raw("SELECT id FROM users WHERE id = \(bind: id) FOR NO KEY UPDATE").run()
        }
    }
}
