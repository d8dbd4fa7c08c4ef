import Fluent
import Foundation
import SQLKit

/// What the marketplace tells the catalogue when a model sells: its sales counter and the day's statistics move
/// in the sale's transaction.
enum ModelSales {
    static func recordSale(of modelID: UUID, on database: any Database, at now: Date) async throws {
        try await database.sql.raw("UPDATE models SET sales_count = sales_count + 1 WHERE id = \(bind: modelID)").run()
        try await ModelActivity.record(.sale, modelID: modelID, on: database, at: now)
    }
}
