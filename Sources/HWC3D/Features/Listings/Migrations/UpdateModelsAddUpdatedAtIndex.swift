import Fluent
import SQLKit

/// The cache's freshness probe reads the newest `updated_at`; without an index that is a scan of the table.
struct UpdateModelsAddUpdatedAtIndex: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await DatabaseIndex.create("models_updated_idx", on: ModelAsset.schema, columns: ["updated_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.sql.drop(index: "models_updated_idx").run()
    }
}
