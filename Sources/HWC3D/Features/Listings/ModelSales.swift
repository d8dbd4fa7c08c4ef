import Fluent
import Foundation
import SQLKit

/// What the marketplace tells the catalogue when a model sells: its sales counter and the day's statistics move
/// in the sale's transaction.
enum ModelSales {
    static func recordSale(of modelID: UUID, on database: any Database, at now: Date) async throws {
        try await ModelCounters.add(1, to: .sales, of: modelID, on: database)
        try await ModelActivity.record(.sale, modelID: modelID, on: database, at: now)
    }
}
