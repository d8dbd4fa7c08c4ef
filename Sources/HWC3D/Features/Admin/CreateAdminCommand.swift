import Fluent
import Vapor

/// `hwc3d create-admin --email E --password P [--role ROLE]`: makes (or promotes) an admin from the command line,
/// the only way to get the first one.
struct CreateAdminCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "email", help: "The admin's email address")
        var email: String?
        @Option(name: "password", help: "Password (admin policy: at least 12 characters)")
        var password: String?
        @Option(name: "role", help: "super_admin (default), admin, moderator, support or finance")
        var role: String?
        @Option(name: "username", help: "Username for a new account (default: from the email)")
        var username: String?
    }

    var help: String { "Creates an admin account, or grants an admin role to an existing account." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard let email = signature.email.map(AccountRules.normaliseEmail), AccountRules.emailErrors(email).isEmpty else {
            throw CommandError("--email must be a valid email address")
        }
        guard let password = signature.password else { throw CommandError("--password is required") }
        guard let role = AdminRole(rawValue: signature.role ?? "super_admin") else {
            throw CommandError("--role must be one of \(AdminRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let app = context.application
        let services = app.services
        let db = app.db
        let existing = try await UserAccounts(database: db).find(email: email)
        let username = signature.username ?? existing?.username ?? Self.username(from: email)
        let violations = PasswordPolicy.violations(password, username: username, email: email, for: .admin)
        guard violations.isEmpty else {
            throw CommandError("--password " + violations.map(\.message).joined(separator: "; "))
        }
        let hash = try await services.passwords.hash(password)
        if existing == nil {
            let taken = try await UserAccounts(database: db).isUsernameTaken(username)
            if !AccountRules.usernameErrors(username).isEmpty || taken {
                throw CommandError("username '\(username)' is not available; pass --username")
            }
        }
        let user: User = try await db.transaction { tx in
            let accounts = UserAccounts(database: tx)
            let user: User
            if let existing {
                user = existing
                try await accounts.setPasswordHash(hash, of: user)
                try await accounts.markEmailVerified(user)
            } else {
                user = try await accounts.open(.init(email: email, username: username, passwordHash: hash, displayName: username, emailVerifiedAt: Date()))
            }
            if let admin = try await AdminUser.query(on: tx).filter(\.$user.$id == user.id!).first() {
                admin.role = role.rawValue
                try await admin.save(on: tx)
            } else {
                try await AdminUser(userID: user.id!, role: role).create(on: tx)
            }
            try await AdminAudit.record(admin: nil, action: "admin.create_cli", targetType: "user", targetID: user.id!.uuidString,
                                        after: "{\"role\":\"\(role.rawValue)\"}", ip: "cli", on: tx)
            return user
        }
        context.console.print("Admin \(email) (\(user.username)) has role \(role.rawValue). Sign in at /api/v1/admin/auth/login; the second factor is emailed until TOTP is set up.")
    }

    static func username(from email: String) -> String {
        let local = email.split(separator: "@").first.map(String.init) ?? "admin"
        var name = String(local.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }.prefix(24))
        if name.count < 3 || AccountRules.reservedUsernames.contains(name.lowercased()) { name = "admin-" + name }
        return name
    }
}

struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
