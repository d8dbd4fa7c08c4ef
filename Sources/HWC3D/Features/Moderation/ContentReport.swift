import Fluent
import Foundation

/// A user's report of something on the platform, and what the moderators made of it. One open report per
/// reporter and target (a partial unique index); resolving or dismissing closes every open report on the target.
final class ContentReport: Model, @unchecked Sendable {
    static let schema = "content_reports"

    enum Status: String, Codable, Sendable { case open, resolved, dismissed }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "reporter_id") var reporterID: UUID
    @Field(key: "target_type") var targetType: String
    @Field(key: "target_id") var targetID: UUID
    @Field(key: "reason") var reason: String
    @OptionalField(key: "details") var details: String?
    @Enum(key: "status") var status: Status
    @OptionalField(key: "action") var action: String?
    @OptionalField(key: "note") var note: String?
    @OptionalField(key: "handled_by") var handledBy: UUID?
    @OptionalField(key: "handled_at") var handledAt: Date?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
