import Fluent
import SQLKit

/// Gallery positions are unique per model, so two uploads racing past the application's checks end in a refused
/// insert instead of two images at the same place. Replaces the plain index on the same columns.
struct UpdateModelImagesAddPositionUniqueIndex: AsyncMigration {
    static let indexName = "model_images_position_key"

    func prepare(on database: any Database) async throws {
        let sql = database.sql
        try await sql.drop(index: "model_images_model_idx").run()
        try await sql.create(index: Self.indexName).on(ModelImageRecord.schema).column("model_id").column("position").unique().run()
    }

    func revert(on database: any Database) async throws {
        let sql = database.sql
        try await sql.drop(index: Self.indexName).run()
        try await DatabaseIndex.create("model_images_model_idx", on: ModelImageRecord.schema, columns: ["model_id", "position"], in: database)
    }
}
