import Fluent

/// Per-type notification choices (`NotificationPreference`).
struct CreateNotificationPreferences: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(NotificationPreference.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("type", .string, .required)
            .field("in_app", .bool, .required)
            .field("email", .bool, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "user_id", "type")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(NotificationPreference.schema).delete()
    }
}
