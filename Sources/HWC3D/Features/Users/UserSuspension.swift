import Fluent
import Foundation
import SQLKit

/// A suspension of an account: why, by whom, until when, and when it was lifted. While one is in force the
/// account's `status` is `suspended`: it cannot sign in, its sessions were revoked, and public lists leave it out.
final class UserSuspension: Model, @unchecked Sendable {
    static let schema = "user_suspensions"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "reason") var reason: String
    @OptionalField(key: "until") var until: Date?
    @OptionalField(key: "suspended_by") var suspendedBy: UUID?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "lifted_at") var liftedAt: Date?
    @OptionalField(key: "lifted_by") var liftedBy: UUID?

    init() {}
}

/// Suspending and lifting, each in one transaction with the account's status, the revoked sessions and the
/// admin action.
struct UserSuspensions: Sendable {
    let services: AppServices
    let database: any Database

    func suspend(_ rawUserID: String, reason rawReason: String, until: Date?, admin: AdminCaller?, now: Date = Date()) async throws -> UserSuspension {
        guard let userID = UUID(uuidString: rawUserID), let user = try await UserReads.user(id: userID, on: database), user.status != .deleted else {
            throw Problem.notFound("The user")
        }
        let reason = try TextInput.clean(rawReason, field: "reason", shape: .multiLine, length: 1...2000)
        if let until, until <= now { throw Problem.validation(field: "until", "must be in the future") }
        if admin?.caller.userID == userID {
            throw Problem.conflict("cannot-suspend-self", "Cannot suspend yourself", detail: "Another admin has to do that.")
        }
        if try await AdminDirectory.record(of: userID, on: database) != nil {
            throw Problem.conflict("cannot-suspend-admin", "Cannot suspend an admin", detail: "Revoke the admin role first.")
        }
        return try await database.transaction { tx in
            let sql = tx.sql
            // An earlier suspension still in force is replaced by this one.
            try await sql.raw("""
                UPDATE user_suspensions SET lifted_at = \(bind: now), lifted_by = \(bind: admin?.caller.userID)
                WHERE user_id = \(bind: userID) AND lifted_at IS NULL
                """).run()
            let suspension = UserSuspension()
            suspension.id = UUID.v7(now: now)
            suspension.userID = userID
            suspension.reason = reason
            suspension.until = until
            suspension.suspendedBy = admin?.caller.userID
            suspension.createdAt = now
            try await suspension.create(on: tx)
            try await sql.raw("UPDATE users SET status = 'suspended', updated_at = \(bind: now) WHERE id = \(bind: userID)").run()
            try await CreatorWithholding.withhold(modelsOf: userID, at: now, on: tx)
            try await SessionIssuer(services: services).revokeAll(userID: userID, reason: "suspended", on: tx)
            try await AdminAudit.record(
                admin: admin, action: "user.suspend", targetType: "user", targetID: userID.uuidString.lowercased(),
                before: #"{"status":"\#(user.status.rawValue)"}"#, after: #"{"status":"suspended"}"#, on: tx)
            return suspension
        }
    }

    func unsuspend(_ rawUserID: String, admin: AdminCaller?, now: Date = Date()) async throws {
        guard let userID = UUID(uuidString: rawUserID), let user = try await UserReads.user(id: userID, on: database), user.status != .deleted else {
            throw Problem.notFound("The user")
        }
        guard user.status == .suspended else { return }
        try await lift(userID, by: admin, now: now)
    }

    /// Lifts a suspension whose end has passed, when its account next signs in; true if the account is active now.
    static func liftIfOver(_ userID: UUID, services: AppServices, on database: any Database, now: Date = Date()) async throws -> Bool {
        let sql = database.sql
        guard let row = try await sql.raw("""
            SELECT until FROM user_suspensions WHERE user_id = \(bind: userID) AND lifted_at IS NULL ORDER BY created_at DESC LIMIT 1
            """).first(),
            let until = try row.decode(column: "until", as: Date?.self), until <= now
        else { return false }
        try await UserSuspensions(services: services, database: database).lift(userID, by: nil, now: now)
        return true
    }

    private func lift(_ userID: UUID, by admin: AdminCaller?, now: Date) async throws {
        try await database.transaction { tx in
            let sql = tx.sql
            try await sql.raw("""
                UPDATE user_suspensions SET lifted_at = \(bind: now), lifted_by = \(bind: admin?.caller.userID)
                WHERE user_id = \(bind: userID) AND lifted_at IS NULL
                """).run()
            try await sql.raw("UPDATE users SET status = 'active', updated_at = \(bind: now) WHERE id = \(bind: userID) AND status = 'suspended'").run()
            try await CreatorWithholding.restore(modelsOf: userID, at: now, on: tx)
            try await AdminAudit.record(
                admin: admin, action: "user.unsuspend", targetType: "user", targetID: userID.uuidString.lowercased(),
                before: #"{"status":"suspended"}"#, after: #"{"status":"active"}"#, on: tx)
        }
    }
}
