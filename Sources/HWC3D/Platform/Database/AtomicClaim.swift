import Fluent
import Foundation
import SQLKit

/// Sets a null timestamp column on one row only if it is still null, and says whether this call did it: the
/// primitive behind every "works once" rule (refresh tokens, emailed links), safe when two requests race.
enum AtomicClaim {
    static func markOnce(table: String, id: UUID, column: String, at date: Date, on database: any Database) async throws -> Bool {
        let sql = database.sql
        let rows = try await sql.raw("""
            UPDATE \(ident: table) SET \(ident: column) = \(bind: date) WHERE id = \(bind: id) AND \(ident: column) IS NULL RETURNING id
            """).all()
        return !rows.isEmpty
    }
}
