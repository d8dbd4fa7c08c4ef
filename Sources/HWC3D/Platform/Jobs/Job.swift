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
