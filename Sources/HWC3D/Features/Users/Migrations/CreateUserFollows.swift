import Fluent

/// Who follows whom (`UserFollow`), one row per follower and followee.
struct CreateUserFollows: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UserFollow.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("follower_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("followee_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("created_at", .datetime)
            .unique(on: "follower_id", "followee_id")
            .create()
        try await DatabaseIndex.create("user_follows_followee_idx", on: UserFollow.schema, columns: ["followee_id", "created_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UserFollow.schema).delete()
    }
}
