import Fluent
import Foundation

/// The admin side of a user: role, extra permissions and second-factor enrolment. TOTP secrets are stored
/// encrypted with a key derived from the server secret, recovery codes as hashes.
final class AdminUser: Model, @unchecked Sendable {
    static let schema = "admin_users"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Field(key: "role") var role: String
    @Field(key: "extra_permissions") var extraPermissions: [String]
    @OptionalField(key: "totp_secret") var totpSecret: String?
    @OptionalField(key: "totp_pending_secret") var totpPendingSecret: String?
    @OptionalField(key: "totp_enabled_at") var totpEnabledAt: Date?
    /// The last accepted time step, so a code (and any earlier one) cannot be used twice.
    @OptionalField(key: "totp_last_step") var totpLastStep: Int?
    @Field(key: "recovery_code_hashes") var recoveryCodeHashes: [String]
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(userID: UUID, role: AdminRole) {
        self.id = .v7()
        self.$user.id = userID
        self.role = role.rawValue
        self.extraPermissions = []
        self.recoveryCodeHashes = []
    }

    var totpEnabled: Bool { totpEnabledAt != nil && totpSecret != nil }
}

/// Every admin write, with who, what, before and after: the audit trail behind `/admin/actions`.
final class AdminAction: Model, @unchecked Sendable {
    static let schema = "admin_actions"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @OptionalField(key: "actor_user_id") var actorUserID: UUID?
    @Field(key: "action") var action: String
    @Field(key: "target_type") var targetType: String
    @OptionalField(key: "target_id") var targetID: String?
    @OptionalField(key: "before") var before: String?
    @OptionalField(key: "after") var after: String?
    @OptionalField(key: "ip") var ip: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(actorUserID: UUID?, action: String, targetType: String, targetID: String?, before: String?, after: String?, ip: String?) {
        self.id = .v7()
        self.actorUserID = actorUserID
        self.action = action
        self.targetType = targetType
        self.targetID = targetID
        self.before = before
        self.after = after
        self.ip = ip
    }
}
