import Fluent

/// The distinct actors of grouped notifications (`NotificationActor`).
struct CreateNotificationActors: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(NotificationActor.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("notification_id", .uuid, .required, .references(UserNotification.schema, .id, onDelete: .cascade))
            .field("actor_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .unique(on: "notification_id", "actor_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(NotificationActor.schema).delete()
    }
}
