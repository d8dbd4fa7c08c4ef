import Fluent

/// Notifications (`UserNotification`).
struct CreateNotifications: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UserNotification.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("type", .string, .required)
            .field("target_type", .string)
            .field("target_id", .uuid)
            .field("actor_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
            .field("actor_count", .int, .required, .sql(.default(0)))
            .field("subject", .string, .required)
            .field("detail", .string)
            .field("link", .string, .required)
            .field("read_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        // A user's list, newest change first; the open group of a type and target.
        try await DatabaseIndex.create("notifications_user_idx", on: UserNotification.schema, columns: ["user_id", "updated_at", "id"], in: database)
        try await DatabaseIndex.create("notifications_unread_idx", on: UserNotification.schema, columns: ["user_id", "read_at"], in: database)
        try await DatabaseIndex.create("notifications_group_idx", on: UserNotification.schema, columns: ["user_id", "type", "target_id", "created_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UserNotification.schema).delete()
    }
}
