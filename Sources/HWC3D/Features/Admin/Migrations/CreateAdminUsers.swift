import Fluent

/// The admin side of a user (`AdminUser`): role, extra permissions and second-factor enrolment.
///
/// Until `CreateAdminActions` was split off, this also created `admin_actions`.
struct CreateAdminUsers: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(AdminUser.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("role", .string, .required)
            .field("extra_permissions", .array(of: .string), .required)
            .field("totp_secret", .string)
            .field("totp_pending_secret", .string)
            .field("totp_enabled_at", .datetime)
            .field("totp_last_step", .int64)
            .field("recovery_code_hashes", .array(of: .string), .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "user_id")
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AdminUser.schema).delete()
    }
}
