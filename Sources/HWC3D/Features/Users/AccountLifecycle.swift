import Fluent
import SQLKit
import Vapor

/// GDPR: everything stored about a user, gathered from the features that hold it, and its erasure.
struct AccountLifecycle: Sendable {
    let services: AppServices
    let database: any Database

    struct Export {
        let user: User
        let admin: AdminUser?
        let sessions: [AuthSession]
        let oauthAccounts: [OAuthAccount]
        let following: [User]
        let followers: [User]
        let emails: [OutboxEmail]
    }

    func export(_ user: User) async throws -> Export {
        let id = user.id!
        let following = try await UserFollow.query(on: database).filter(\.$follower.$id == id).with(\.$followee).all().map(\.followee)
        let followers = try await UserFollow.query(on: database).filter(\.$followee.$id == id).with(\.$follower).all().map(\.follower)
        return Export(
            user: user,
            admin: try await AdminDirectory.record(of: id, on: database),
            sessions: try await AuthPersonalData.sessions(of: id, on: database),
            oauthAccounts: try await OAuthPersonalData.accounts(of: id, on: database),
            following: following,
            followers: followers,
            emails: try await OutboxPersonalData.emails(of: id, on: database))
    }

    /// Erasure keeps the row (later sales and ledger entries point at it) but removes everything that
    /// identifies the person: email, names, profile, pictures and follows here; sessions, links, tokens, likes,
    /// models and emails through `PersonalData.owners`, each feature erasing its own tables.
    func erase(_ user: User, password: String?, confirmUsername: String?) async throws {
        if let hash = user.passwordHash {
            guard let password, try await services.passwords.verify(password, against: hash) else {
                throw Problem(.unauthorized, "invalid-credentials", "Password required",
                              detail: "Confirm the deletion with the account's current password.")
            }
        } else {
            guard confirmUsername?.lowercased() == user.usernameKey else {
                throw Problem.validation(field: "confirm_username", "must be the account's username")
            }
        }
        let keys = [user.avatarKey, user.bannerKey].compactMap { $0 }
        let id = user.id!
        try await database.transaction { tx in
            // Counters of the people on the other side of each follow stay exact.
            try await tx.sql.raw("""
                UPDATE users SET followers_count = followers_count - 1
                WHERE id IN (SELECT followee_id FROM user_follows WHERE follower_id = \(bind: id))
                """).run()
            try await tx.sql.raw("""
                UPDATE users SET following_count = following_count - 1
                WHERE id IN (SELECT follower_id FROM user_follows WHERE followee_id = \(bind: id))
                """).run()
            try await UserFollow.query(on: tx).group(.or) { $0.filter(\.$follower.$id == id).filter(\.$followee.$id == id) }.delete()
            // Every other feature erases its own part: likes and models, sessions and tokens, linked providers,
            // an admin role, emails.
            let account = ErasedAccount(id: id, email: user.email, usernameKey: user.usernameKey)
            for owner in PersonalData.owners { try await owner.erase(account, on: tx) }
            let placeholder = AccountRules.erasedPrefix + id.uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            user.email = "\(placeholder)@\(AccountRules.erasedDomain)"
            user.username = placeholder
            user.usernameKey = placeholder
            user.passwordHash = nil
            user.displayName = "Deleted user"
            user.bio = nil
            user.location = nil
            user.website = nil
            user.socialLinks = [:]
            user.skills = []
            user.avatarKey = nil
            user.bannerKey = nil
            user.status = .deleted
            user.followersCount = 0
            user.followingCount = 0
            user.modelsCount = 0
            user.lastLoginAt = nil
            try await user.update(on: tx)
        }
        for key in keys { try? await services.storage.delete(key: key) }
    }
}
