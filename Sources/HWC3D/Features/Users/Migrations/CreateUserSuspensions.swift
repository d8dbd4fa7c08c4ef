import Fluent

/// Account suspensions (`UserSuspension`).
struct CreateUserSuspensions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UserSuspension.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("reason", .string, .required)
            .field("until", .datetime)
            .field("suspended_by", .uuid, .references(User.schema, .id, onDelete: .setNull))
            .field("created_at", .datetime, .required)
            .field("lifted_at", .datetime)
            .field("lifted_by", .uuid, .references(User.schema, .id, onDelete: .setNull))
            .create()
        try await DatabaseIndex.create("user_suspensions_user_idx", on: UserSuspension.schema, columns: ["user_id", "lifted_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UserSuspension.schema).delete()
    }
}
