import Fluent

/// Events for the realtime sockets (`RealtimeEventRecord`), numbered by the database.
struct CreateRealtimeEvents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(RealtimeEventRecord.schema)
            .field("seq", .int64, .identifier(auto: true))
            .field("channel", .string, .required)
            .field("type", .string, .required)
            .field("data", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        // A reconnecting socket's replay reads its channel after a `seq`; pruning reads by age.
        try await DatabaseIndex.create("realtime_events_channel_idx", on: RealtimeEventRecord.schema, columns: ["channel", "seq"], in: database)
        try await DatabaseIndex.create("realtime_events_created_idx", on: RealtimeEventRecord.schema, columns: ["created_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(RealtimeEventRecord.schema).delete()
    }
}
