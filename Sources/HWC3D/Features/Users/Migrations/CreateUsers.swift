import Fluent

/// Accounts (`User`): email and username unique without regard to case, counters in the row so a profile is one read.
struct CreateUsers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(User.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("email", .string, .required)
            .field("username", .string, .required)
            .field("username_key", .string, .required)
            .field("password_hash", .string)
            .field("display_name", .string, .required)
            .field("bio", .string)
            .field("location", .string)
            .field("website", .string)
            .field("social_links", .json, .required)
            .field("skills", .array(of: .string), .required)
            .field("avatar_key", .string)
            .field("banner_key", .string)
            .field("email_verified_at", .datetime)
            .field("is_creator", .bool, .required, .sql(.default(false)))
            .field("status", .string, .required)
            .field("username_changed_at", .datetime)
            .field("last_login_at", .datetime)
            .field("followers_count", .int, .required, .sql(.default(0)))
            .field("following_count", .int, .required, .sql(.default(0)))
            .field("models_count", .int, .required, .sql(.default(0)))
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "email")
            .unique(on: "username_key")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(User.schema).delete()
    }
}
