import Fluent

/// Per-model figures per UTC day (`ModelActivity`), the source of owner statistics.
struct CreateModelDailyStats: AsyncMigration {
    func prepare(on database: any Database) async throws {
        // The unique constraint is also the index every read uses: one model's days, in order.
        try await database.schema("model_daily_stats")
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("day", .string, .required)
            .field("views", .int, .required, .sql(.default(0)))
            .field("downloads", .int, .required, .sql(.default(0)))
            .field("likes", .int, .required, .sql(.default(0)))
            .field("sales", .int, .required, .sql(.default(0)))
            .unique(on: "model_id", "day")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("model_daily_stats").delete()
    }
}
