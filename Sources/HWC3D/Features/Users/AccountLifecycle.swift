import Fluent
import SQLKit
import Vapor

/// GDPR: everything stored about a user, and its erasure.
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
            admin: try await AdminUser.query(on: database).filter(\.$user.$id == id).first(),
            sessions: try await AuthSession.query(on: database).filter(\.$user.$id == id).sort(\.$createdAt, .descending).all(),
            oauthAccounts: try await OAuthAccount.query(on: database).filter(\.$user.$id == id).all(),
            following: following,
            followers: followers,
            emails: try await OutboxEmail.query(on: database).filter(\.$userID == id).sort(\.$createdAt, .descending).all())
    }

    /// Erasure keeps the row (later sales and ledger entries point at it) but removes everything that
    /// identifies the person: email, names, profile, pictures, sessions, links, follows, tokens and emails.
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
            if let sql = tx as? any SQLDatabase {
                // Counters of the people on the other side of each follow stay exact.
                try await sql.raw("""
                    UPDATE users SET followers_count = followers_count - 1
                    WHERE id IN (SELECT followee_id FROM user_follows WHERE follower_id = \(bind: id))
                    """).run()
                try await sql.raw("""
                    UPDATE users SET following_count = following_count - 1
                    WHERE id IN (SELECT follower_id FROM user_follows WHERE followee_id = \(bind: id))
                    """).run()
            }
            try await UserFollow.query(on: tx).group(.or) { $0.filter(\.$follower.$id == id).filter(\.$followee.$id == id) }.delete()
            if let sql = tx as? any SQLDatabase {
                // Likes go with the person, and each liked model's counter with them. Their models leave the
                // catalogue (soft delete: buyers keep access); their comments stay, signed "Deleted user".
                try await sql.raw("""
                    UPDATE models SET like_count = like_count - 1
                    WHERE id IN (SELECT model_id FROM model_likes WHERE user_id = \(bind: id))
                    """).run()
                try await sql.raw("DELETE FROM model_likes WHERE user_id = \(bind: id)").run()
                try await sql.raw("""
                    UPDATE models SET deleted_at = \(bind: Date()), featured = \(bind: false)
                    WHERE owner_id = \(bind: id) AND deleted_at IS NULL
                    """).run()
            }
            try await ModelSearchIndex.refresh(ownerID: id, on: tx)
            try await AuthSession.query(on: tx).filter(\.$user.$id == id).delete()
            try await OAuthAccount.query(on: tx).filter(\.$user.$id == id).delete()
            try await OneTimeToken.query(on: tx).filter(\.$user.$id == id).delete()
            try await OutboxEmail.query(on: tx).filter(\.$userID == id).delete()
            try await AdminUser.query(on: tx).filter(\.$user.$id == id).delete()
            // Throttle rows are keyed by what was typed at sign-in: the email or username.
            let typed = [user.email, user.usernameKey].flatMap { ["user:acct:\($0)", "admin:acct:\($0)"] }
            try await LoginFailure.query(on: tx).filter(\.$throttleKey ~~ typed).delete()
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
