import Fluent
import Foundation

/// How the features that sign people in (Auth, OAuth, Admin) and the demo seed find, open and change accounts.
/// Accounts travel between features as `User` values, but only Users stores them: every lookup and every write of
/// `users` from outside this folder is one of these calls, so a rule about accounts (emails stored lower-cased,
/// usernames unique without regard to case, an erased account never signing in) lives in one place.
struct UserAccounts: Sendable {
    let database: any Database

    func find(_ id: UUID) async throws -> User? {
        try await User.find(id, on: database)
    }

    /// `email` as `AccountRules.normaliseEmail` leaves it.
    func find(email: String) async throws -> User? {
        try await User.query(on: database).filter(\.$email == email.lowercased()).first()
    }

    func find(username: String) async throws -> User? {
        try await User.query(on: database).filter(\.$usernameKey == username.lowercased()).first()
    }

    func isEmailTaken(_ email: String, except userID: UUID? = nil) async throws -> Bool {
        var query = User.query(on: database).filter(\.$email == email.lowercased())
        if let userID { query = query.filter(\.$id != userID) }
        return try await query.count() > 0
    }

    func isUsernameTaken(_ username: String, except userID: UUID? = nil) async throws -> Bool {
        var query = User.query(on: database).filter(\.$usernameKey == username.lowercased())
        if let userID { query = query.filter(\.$id != userID) }
        return try await query.count() > 0
    }

    /// What opening an account takes. `emailVerifiedAt` is set when the address is already proven (a provider
    /// vouched for it, an operator typed it).
    struct NewAccount: Sendable {
        var email: String
        var username: String
        var passwordHash: String?
        var displayName: String
        var emailVerifiedAt: Date? = nil
        var bio: String? = nil
        var isCreator = false
    }

    /// Opens an account. A clash with another account's email or username surfaces as the database's constraint
    /// failure, for the caller to word.
    func open(_ account: NewAccount) async throws -> User {
        let user = User(email: account.email, username: account.username, passwordHash: account.passwordHash, displayName: account.displayName)
        user.emailVerifiedAt = account.emailVerifiedAt
        user.bio = account.bio
        user.isCreator = account.isCreator
        try await user.create(on: database)
        return user
    }

    // The changes below write their own column only: a `User` may come from a column-by-column read that marks
    // every field changed, and writing the whole row back would put stale counters over concurrent follows.

    func markEmailVerified(_ user: User, at date: Date = Date()) async throws {
        guard user.emailVerifiedAt == nil else { return }
        try await row(of: user).set(\.$emailVerifiedAt, to: date).update()
        user.emailVerifiedAt = date
    }

    /// A nil hash leaves the account without a password (it signs in through a linked provider only).
    func setPasswordHash(_ hash: String?, of user: User) async throws {
        try await row(of: user).set(\.$passwordHash, to: hash).update()
        user.passwordHash = hash
    }

    func recordSignIn(_ user: User, at date: Date) async throws {
        try await row(of: user).set(\.$lastLoginAt, to: date).update()
        user.lastLoginAt = date
    }

    private func row(of user: User) throws -> QueryBuilder<User> {
        User.query(on: database).filter(\.$id == (try user.requireID()))
    }
}
