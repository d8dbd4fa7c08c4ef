import Fluent

/// Background work (`JobRecord`), persisted so it survives restarts and is shared by every instance.
struct CreateJobs: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(JobRecord.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("kind", .string, .required)
            .field("payload", .string, .required)
            .field("status", .string, .required)
            .field("attempts", .int, .required)
            .field("max_attempts", .int, .required)
            .field("run_at", .datetime, .required)
            .field("locked_at", .datetime)
            .field("locked_by", .string)
            .field("last_error", .string)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await DatabaseIndex.create("jobs_claim_idx", on: JobRecord.schema, columns: ["status", "run_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(JobRecord.schema).delete()
    }
}
