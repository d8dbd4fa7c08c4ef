import Fluent

/// Values admins change at runtime (`PlatformSetting`), one row per key.
struct CreatePlatformSettings: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PlatformSetting.schema)
            .field("key", .string, .identifier(auto: false))
            .field("value", .string, .required)
            .field("updated_at", .datetime)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PlatformSetting.schema).delete()
    }
}
