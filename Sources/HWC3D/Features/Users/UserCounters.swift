import Fluent
import Foundation
import SQLKit

/// The counts on a person's row that other features keep (`models_count`, from Listings): the whole of what
/// others may change in `users`. The count arrives as a subquery the counting feature writes over its own table,
/// so the statement stays one and each table is named only by its owner.
enum UserCounters {
    enum Counter: String, Sendable {
        case models = "models_count"
    }

    static func set(_ counter: Counter, of userID: UUID, to count: SQLQueryString, on database: any Database) async throws {
        try await database.sql.raw(
            "UPDATE users SET \(unsafeRaw: counter.rawValue) = (\(count)) WHERE id = \(bind: userID)"
        ).run()
    }
}
