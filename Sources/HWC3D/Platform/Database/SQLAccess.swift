import Fluent
import SQLKit

extension Database {
    /// The SQL side of a Fluent database. Both databases HWC3D runs on (SQLite, PostgreSQL) speak SQL, so this is
    /// the one place that says so, instead of a cast at every raw query.
    var sql: any SQLDatabase {
        guard let database = self as? any SQLDatabase else { preconditionFailure("HWC3D runs on SQL databases only") }
        return database
    }
}
