import Fluent
import Vapor

/// Registration, sign-in, password and email-verification flows for users. Callers pass what the request
/// carried; everything that decides is here.
struct AuthService: Sendable {
    static let verifyLifetime: TimeInterval = 48 * 3600
    static let resetLifetime: TimeInterval = 3600

    let services: AppServices
    let database: any Database

    var sessions: SessionIssuer { SessionIssuer(services: services) }
    var accounts: UserAccounts { UserAccounts(database: database) }
    var throttle: LoginThrottle {
        LoginThrottle(limit: services.settings.loginFailureLimit, window: TimeInterval(services.settings.loginFailureWindowSeconds))
    }

    struct Registration {
        var email: String
        var username: String
        var password: String
        var displayName: String?
    }

    func register(_ input: Registration, userAgent: String?, ip: String) async throws -> IssuedSession {
        let email = AccountRules.normaliseEmail(input.email)
        let username = input.username.trimmingCharacters(in: .whitespaces)
        var errors = AccountRules.emailErrors(email) + AccountRules.usernameErrors(username)
        let displayName = input.displayName.flatMap {
            TextInput.clean($0, field: "display_name", shape: .singleLine, length: 0...80, errors: &errors)
        }
        errors += PasswordPolicy.violations(input.password, username: username, email: email, for: .user)
        guard errors.isEmpty else { throw Problem.validation(errors) }

        try await ensureAvailable(email: email, username: username)
        let hash = try await services.passwords.hash(input.password)
        let account = UserAccounts.NewAccount(
            email: email, username: username, passwordHash: hash, displayName: (displayName?.isEmpty == false ? displayName! : username))
        let user: User
        do {
            user = try await database.transaction { tx in
                let user = try await UserAccounts(database: tx).open(account)
                try await queueVerification(for: user, on: tx)
                return user
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            // Two registrations raced past the availability check; the unique index decided.
            throw Problem.conflict("account-exists", "Account exists", detail: "That email address or username is already registered.")
        }
        return try await sessions.open(for: user, admin: false, userAgent: userAgent, ip: ip, on: database)
    }

    func ensureAvailable(email: String?, username: String?, excluding userID: UUID? = nil) async throws {
        if let email {
            if try await accounts.isEmailTaken(email, except: userID) {
                throw Problem(.conflict, "email-taken", "Email address taken", detail: "That email address is already registered.",
                              errors: [.init(field: "email", message: "is already registered")])
            }
        }
        if let username {
            if try await accounts.isUsernameTaken(username, except: userID) {
                throw Problem(.conflict, "username-taken", "Username taken", detail: "That username is taken.",
                              errors: [.init(field: "username", message: "is taken")])
            }
        }
    }

    /// Signs in by email or username. Every failure reads the same and costs the same time.
    func login(identifier: String, password: String, userAgent: String?, ip: String) async throws -> IssuedSession {
        let identifier = identifier.trimmingCharacters(in: .whitespacesAndNewlines)
        let keys = throttle.keys(identifier: identifier, ip: ip, scope: "user")
        try await throttle.check(keys, on: database)
        let user = try await findByLogin(identifier)
        let ok = try await services.passwords.verify(password, against: user?.passwordHash)
        guard ok, var user, user.status != .deleted else {
            try await throttle.recordFailure(keys, on: database)
            throw Problem.invalidCredentials
        }
        // A suspension with an end that has passed is lifted as its account comes back.
        if user.status == .suspended, try await UserSuspensions.liftIfOver(user.id!, services: services, on: database),
            let lifted = try await findByLogin(identifier)
        {
            user = lifted
        }
        guard user.status == .active else {
            throw Problem(.forbidden, "account-suspended", "Account suspended", detail: "This account is suspended.")
        }
        try await throttle.recordSuccess(keys, on: database)
        return try await sessions.open(for: user, admin: false, userAgent: userAgent, ip: ip, on: database)
    }

    func findByLogin(_ identifier: String) async throws -> User? {
        guard !identifier.isEmpty, identifier.count <= 254 else { return nil }
        return identifier.contains("@") ? try await accounts.find(email: identifier) : try await accounts.find(username: identifier)
    }

    func queueVerification(for user: User, on database: any Database) async throws {
        let token = try await OneTimeTokens(database: database).issue(
            for: user.id!, purpose: .verifyEmail, lifetime: Self.verifyLifetime)
        let link = "\(services.settings.frontendURL)/verify-email?token=\(token)"
        try await services.mailer.queue(.verifyEmail(name: user.displayName, link: link), to: user.email, userID: user.id, on: database)
    }

    func resendVerification(for user: User) async throws {
        guard !user.isEmailVerified else {
            throw Problem.conflict("already-verified", "Already verified", detail: "This email address is already verified.")
        }
        try await database.transaction { tx in
            // Only the newest link works: older unused ones are retired.
            try await OneTimeTokens(database: tx).retireUnused(for: user.id!, purpose: .verifyEmail)
            try await queueVerification(for: user, on: tx)
        }
    }

    func verifyEmail(token: String) async throws -> User {
        try await database.transaction { tx in
            let stored = try await OneTimeTokens(database: tx).consume(token, purpose: .verifyEmail)
            let accounts = UserAccounts(database: tx)
            guard let user = try await accounts.find(stored.$user.id), user.status != .deleted else {
                throw Problem.invalidToken("The verification link is invalid or expired.")
            }
            try await accounts.markEmailVerified(user)
            return user
        }
    }

    /// Always succeeds from the caller's point of view: whether an account exists is never revealed.
    func forgotPassword(email: String, admin: Bool) async throws {
        let email = AccountRules.normaliseEmail(email)
        guard AccountRules.emailErrors(email).isEmpty,
            let user = try await accounts.find(email: email),
            user.status == .active
        else { return }
        if admin, try await !AdminDirectory.isAdmin(user.id!, on: database) { return }
        let purpose: OneTimeToken.Purpose = admin ? .adminResetPassword : .resetPassword
        try await database.transaction { tx in
            let tokens = OneTimeTokens(database: tx)
            try await tokens.retireUnused(for: user.id!, purpose: purpose)
            let token = try await tokens.issue(for: user.id!, purpose: purpose, lifetime: Self.resetLifetime)
            let base = services.settings.frontendURL
            let template: MailTemplate = admin
                ? .adminResetPassword(name: user.displayName, link: "\(base)/admin/reset-password?token=\(token)")
                : .resetPassword(name: user.displayName, link: "\(base)/reset-password?token=\(token)")
            try await services.mailer.queue(template, to: user.email, userID: user.id, on: tx)
        }
    }

    /// Sets a new password from a reset link and signs out every session: whoever had the old password is out.
    func resetPassword(token: String, newPassword: String, admin: Bool) async throws {
        let purpose: OneTimeToken.Purpose = admin ? .adminResetPassword : .resetPassword
        // Check the token before the policy so a bad link is reported as such; consume it only once the new
        // password is acceptable, so a typo does not burn the link.
        guard let pending = try await OneTimeTokens(database: database).peek(token, purpose: purpose),
            let user = try await accounts.find(pending.$user.id), user.status != .deleted
        else { throw Problem.invalidToken("The reset link is invalid, expired or already used.") }
        let violations = try await passwordViolations(newPassword, for: user, field: "password")
        guard violations.isEmpty else { throw Problem.validation(violations) }
        let hash = try await services.passwords.hash(newPassword)
        try await database.transaction { tx in
            _ = try await OneTimeTokens(database: tx).consume(token, purpose: purpose)
            try await UserAccounts(database: tx).setPasswordHash(hash, of: user)
            try await sessions.revokeAll(userID: user.id!, reason: "password_reset", on: tx)
            try await services.mailer.queue(.passwordChanged(name: user.displayName), to: user.email, userID: user.id, on: tx)
        }
    }

    /// Changes the password and signs out every other session; the current one stays.
    func changePassword(caller: Caller, current: String, new: String) async throws {
        let user = caller.user
        guard try await services.passwords.verify(current, against: user.passwordHash) else {
            throw Problem(.unauthorized, "invalid-credentials", "Current password is wrong",
                          detail: "The current password is not correct.", errors: [.init(field: "current_password", message: "is not correct")])
        }
        let violations = try await passwordViolations(new, for: user, field: "new_password")
        guard violations.isEmpty else { throw Problem.validation(violations) }
        let hash = try await services.passwords.hash(new)
        try await database.transaction { tx in
            try await UserAccounts(database: tx).setPasswordHash(hash, of: user)
            try await sessions.revokeAll(userID: user.id!, except: caller.sessionID, reason: "password_changed", on: tx)
            try await services.mailer.queue(.passwordChanged(name: user.displayName), to: user.email, userID: user.id, on: tx)
        }
    }

    /// The policy depends on the account, not the route: an admin's password meets the admin policy (12+
    /// characters) whether it is set through the admin or the user endpoints.
    func passwordViolations(_ password: String, for user: User, field: String) async throws -> [Problem.FieldError] {
        let isAdmin = try await AdminDirectory.isAdmin(user.id!, on: database)
        return PasswordPolicy.violations(password, username: user.username, email: user.email, for: isAdmin ? .admin : .user, field: field)
    }

    func activeSessions(of userID: UUID) async throws -> [AuthSession] {
        try await AuthSession.query(on: database)
            .filter(\.$user.$id == userID).filter(\.$revokedAt == nil).filter(\.$expiresAt > Date())
            .sort(\.$lastUsedAt, .descending).all()
    }

    /// Another user's session id answers exactly as a missing one does.
    func revokeSession(_ sessionID: UUID, of userID: UUID) async throws {
        guard let session = try await AuthSession.query(on: database)
            .filter(\.$id == sessionID).filter(\.$user.$id == userID).filter(\.$revokedAt == nil).first()
        else { throw Problem.notFound("Session") }
        try await sessions.revoke(sessionID: session.id!, reason: "revoked_by_user", on: database)
    }
}
