import Fluent
import SQLKit

/// Fluent's schema builder makes unique constraints but not plain indexes; SQLKit's builder speaks both dialects.
enum DatabaseIndex {
    static func create(_ name: String, on table: String, columns: [String], in database: any Database) async throws {
        let sql = database.sql
        var builder = sql.create(index: name).on(table)
        for column in columns { builder = builder.column(column) }
        try await builder.run()
    }
}
