import Fluent
import Foundation

/// A unit of background work, persisted so it survives restarts and is shared by every instance.
final class JobRecord: Model, @unchecked Sendable {
    static let schema = "jobs"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "kind") var kind: String
    @Field(key: "payload") var payload: String
    /// queued -> running -> done, or back to queued with a later `run_at` after a failure, or `failed` for good.
    @Field(key: "status") var status: String
    @Field(key: "attempts") var attempts: Int
    @Field(key: "max_attempts") var maxAttempts: Int
    @Field(key: "run_at") var runAt: Date
    @OptionalField(key: "locked_at") var lockedAt: Date?
    @OptionalField(key: "locked_by") var lockedBy: String?
    @OptionalField(key: "last_error") var lastError: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(kind: String, payload: String, runAt: Date, maxAttempts: Int) {
        self.id = .v7()
        self.kind = kind
        self.payload = payload
        self.status = "queued"
        self.attempts = 0
        self.maxAttempts = maxAttempts
        self.runAt = runAt
    }
}

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
