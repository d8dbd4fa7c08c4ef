import Fluent

/// Every admin write, with who, what, before and after (`AdminAction`): the audit trail behind `/admin/actions`.
///
/// Split off `CreateAdminUsers`, which created this table too in databases migrated before the split: there the
/// table and its indexes exist already, hence `ignoreExisting()` and `IF NOT EXISTS`.
struct CreateAdminActions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(AdminAction.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("actor_user_id", .uuid)
            .field("action", .string, .required)
            .field("target_type", .string, .required)
            .field("target_id", .string)
            .field("before", .string)
            .field("after", .string)
            .field("ip", .string)
            .field("created_at", .datetime)
            .ignoreExisting()
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AdminAction.schema).delete()
    }
}
