import Foundation
import SQLKit

extension SQLDatabase {
    /// `<column> = ANY($1)` on PostgreSQL, `<column> IN (…)` on SQLite, which has no arrays. On PostgreSQL the ids are
    /// one array parameter, so the statement's text is the same whatever the list's length and one prepared
    /// statement serves every list (`prepared(_:)`); an `IN` list would be a text, and a prepared statement, per
    /// length. `ids` must not be empty.
    func idMatches(_ column: String, anyOf ids: [UUID]) -> SQLQueryString {
        dialect.name == "postgresql"
            ? "\(unsafeRaw: column) = ANY(\(bind: ids))"
            : "\(unsafeRaw: column) IN (\(binds: ids))"
    }
}
