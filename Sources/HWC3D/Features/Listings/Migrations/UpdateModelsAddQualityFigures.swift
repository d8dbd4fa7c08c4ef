import Fluent
import SQLKit

/// What search filters on from the main file's quality report (issue 13): closed and manifold, has UVs, carries a
/// texture, and its largest real-world dimension. Kept on the row like the counts, so a filter reads one row per
/// model. Null until a file with a quality report is analysed; one column per statement, as SQLite adds them.
struct UpdateModelsAddQualityFigures: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ModelAsset.schema).field("manifold", .bool).update()
        try await database.schema(ModelAsset.schema).field("has_uv", .bool).update()
        try await database.schema(ModelAsset.schema).field("textured", .bool).update()
        try await database.schema(ModelAsset.schema).field("size_m", .double).update()
    }

    func revert(on database: any Database) async throws {
        for column in ["manifold", "has_uv", "textured", "size_m"] {
            try await database.schema(ModelAsset.schema).deleteField(.string(column)).update()
        }
    }
}
