import Fluent

/// Who has been counted as a viewer of which model on which UTC day. Rows only matter for their own day, so a
/// job may later delete those older than two days; until then the table grows by at most one row per viewer,
/// model and day.
struct CreateModelViews: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("model_views")
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("viewer_key", .string, .required)
            .field("day", .string, .required)
            .unique(on: "model_id", "viewer_key", "day")
            .create()
        try await DatabaseIndex.create("model_views_day_idx", on: "model_views", columns: ["day"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("model_views").delete()
    }
}
