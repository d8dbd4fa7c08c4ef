import Fluent
import Vapor

/// Admin sign-in: a password step that yields a challenge, then a second factor — TOTP once enrolled, an emailed
/// six-digit code until then, or a one-time recovery code. Only then is an admin session opened.
struct AdminAuthService: Sendable {
    static let maxCodeAttempts = 5
    static let recoveryCodeCount = 10

    let services: AppServices
    let database: any Database

    struct Challenge {
        let token: String
        let methods: [String]
        let expiresIn: Int
    }

    func login(email: String, password: String, ip: String) async throws -> Challenge {
        let auth = AuthService(services: services, database: database)
        let email = AccountRules.normaliseEmail(email)
        let keys = auth.throttle.keys(identifier: email, ip: ip, scope: "admin")
        try await auth.throttle.check(keys, on: database)
        let user = try await UserAccounts(database: database).find(email: email)
        let passwordOK = try await services.passwords.verify(password, against: user?.passwordHash)
        let admin: AdminUser? = if let user, passwordOK {
            try await AdminDirectory.record(of: user.id!, on: database)
        } else { nil }
        guard let user, let admin, user.status == .active else {
            try await auth.throttle.recordFailure(keys, on: database)
            throw Problem.invalidCredentials
        }
        try await auth.throttle.recordSuccess(keys, on: database)

        let now = Date()
        var methods: [String]
        let challenge: SignInChallenge
        if admin.totpEnabled {
            methods = ["totp", "recovery_code"]
            challenge = try await SignInChallenges(database: database).open(for: user.id!, lifetime: TokenSigner.challengeLifetime, now: now)
        } else {
            methods = ["email"]
            challenge = try await database.transaction { tx in
                let challenge = try await SignInChallenges(database: tx).open(for: user.id!, lifetime: TokenSigner.challengeLifetime, now: now)
                try await sendCode(for: challenge, to: user, on: tx)
                return challenge
            }
        }
        let token = try await services.tokens.challengeToken(userID: user.id!, challengeID: challenge.id, now: now)
        return Challenge(token: token, methods: methods, expiresIn: Int(TokenSigner.challengeLifetime))
    }

    private func sendCode(for challenge: SignInChallenge, to user: User, on database: any Database) async throws {
        let code = SecureRandom.digits(6)
        try await SignInChallenges(database: database).setCodeHash(Self.codeHash(code, of: challenge), of: challenge.id)
        try await services.mailer.queue(.adminSignInCode(name: user.displayName, code: code), to: user.email, userID: user.id, on: database)
    }

    private static func codeHash(_ code: String, of challenge: SignInChallenge) -> String {
        TokenHash.sha256("\(challenge.id.uuidString):\(code)")
    }

    private func openChallenge(_ token: String) async throws -> (SignInChallenge, User, AdminUser) {
        let claims = try await services.tokens.verifyChallengeToken(token)
        let invalid = Problem.invalidToken("The sign-in challenge is invalid or expired; sign in again.")
        guard let challengeID = UUID(uuidString: claims.cid), let userID = UUID(uuidString: claims.sub.value),
            let challenge = try await SignInChallenges(database: database).live(challengeID, of: userID),
            let user = try await UserAccounts(database: database).find(userID), user.status == .active,
            let admin = try await AdminDirectory.record(of: user.id!, on: database)
        else { throw invalid }
        return (challenge, user, admin)
    }

    func resendCode(challengeToken: String) async throws {
        let (challenge, user, admin) = try await openChallenge(challengeToken)
        guard !admin.totpEnabled else {
            throw Problem.conflict("totp-enrolled", "Use your authenticator", detail: "This admin signs in with an authenticator app; no code is emailed.")
        }
        try await database.transaction { tx in try await sendCode(for: challenge, to: user, on: tx) }
    }

    func verify(challengeToken: String, code: String, userAgent: String?, ip: String) async throws -> (IssuedSession, AdminUser) {
        let (challenge, user, admin) = try await openChallenge(challengeToken)
        let wrong = Problem.invalidToken("The code is wrong or expired.")
        guard challenge.attempts < Self.maxCodeAttempts else {
            throw Problem.invalidToken("Too many wrong codes; sign in again.")
        }
        let code = code.replacingOccurrences(of: " ", with: "")
        var acceptedStep: Int?
        var usedRecoveryCode: String?
        if admin.totpEnabled, let sealed = admin.totpSecret {
            let totp = TOTP(secret: try services.totpBox.open(sealed))
            acceptedStep = totp.matchingStep(for: code, at: Date(), after: admin.totpLastStep)
            if acceptedStep == nil {
                let hash = TokenHash.sha256(code.uppercased())
                if admin.recoveryCodeHashes.contains(hash) { usedRecoveryCode = hash }
            }
            guard acceptedStep != nil || usedRecoveryCode != nil else {
                try await SignInChallenges(database: database).recordWrongAnswer(challenge.id)
                throw wrong
            }
        } else {
            guard let expected = challenge.codeHash,
                constantTimeEquals(Array(expected.utf8), Array(Self.codeHash(code, of: challenge).utf8))
            else {
                try await SignInChallenges(database: database).recordWrongAnswer(challenge.id)
                throw wrong
            }
        }
        // The challenge works once, even if two answers race.
        guard try await SignInChallenges(database: database).close(challenge.id) else { throw wrong }
        if let acceptedStep { admin.totpLastStep = acceptedStep }
        if let usedRecoveryCode { admin.recoveryCodeHashes.removeAll { $0 == usedRecoveryCode } }
        try await admin.save(on: database)
        let issued = try await SessionIssuer(services: services).open(for: user, admin: true, userAgent: userAgent, ip: ip, on: database)
        return (issued, admin)
    }

    func setupTOTP(for admin: AdminCaller) async throws -> (secret: String, uri: String) {
        guard !admin.admin.totpEnabled else {
            throw Problem.conflict("totp-enabled", "Authenticator already enrolled", detail: "Disable the current authenticator first.")
        }
        let secret = TOTP.generateSecret()
        admin.admin.totpPendingSecret = try services.totpBox.seal(secret)
        try await admin.admin.save(on: database)
        let uri = TOTP(secret: secret).provisioningURI(account: admin.caller.user.email, issuer: "HWC3D")
        return (Base32.encode(secret), uri)
    }

    func confirmTOTP(for admin: AdminCaller, code: String) async throws -> [String] {
        guard let pending = admin.admin.totpPendingSecret else {
            throw Problem.conflict("no-totp-setup", "No enrolment pending", detail: "Start with POST /api/v1/admin/auth/totp/setup.")
        }
        let totp = TOTP(secret: try services.totpBox.open(pending))
        guard let step = totp.matchingStep(for: code.replacingOccurrences(of: " ", with: ""), at: Date(), after: nil) else {
            throw Problem.validation(field: "code", "is not the current code of the authenticator")
        }
        let codes = (0..<Self.recoveryCodeCount).map { _ in Self.recoveryCode() }
        admin.admin.totpSecret = pending
        admin.admin.totpPendingSecret = nil
        admin.admin.totpEnabledAt = Date()
        admin.admin.totpLastStep = step
        admin.admin.recoveryCodeHashes = codes.map { TokenHash.sha256($0) }
        try await database.transaction { tx in
            try await admin.admin.save(on: tx)
            try await AdminAudit.record(admin: admin, action: "totp.enable", targetType: "admin_user", targetID: admin.admin.id?.uuidString, on: tx)
        }
        return codes
    }

    func disableTOTP(for admin: AdminCaller, code: String) async throws {
        guard admin.admin.totpEnabled, let sealed = admin.admin.totpSecret else {
            throw Problem.conflict("totp-not-enabled", "No authenticator enrolled", detail: "There is no authenticator to disable.")
        }
        let totp = TOTP(secret: try services.totpBox.open(sealed))
        guard let step = totp.matchingStep(for: code.replacingOccurrences(of: " ", with: ""), at: Date(), after: admin.admin.totpLastStep) else {
            throw Problem.validation(field: "code", "is not the current code of the authenticator")
        }
        admin.admin.totpSecret = nil
        admin.admin.totpEnabledAt = nil
        admin.admin.totpLastStep = step
        admin.admin.recoveryCodeHashes = []
        try await database.transaction { tx in
            try await admin.admin.save(on: tx)
            try await AdminAudit.record(admin: admin, action: "totp.disable", targetType: "admin_user", targetID: admin.admin.id?.uuidString, on: tx)
        }
    }

    /// Ten characters from an alphabet without look-alikes, grouped for reading: `ABCDE-FGHJK`.
    static func recoveryCode() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var generator = SystemRandomNumberGenerator()
        let chars = (0..<10).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return String(chars[0..<5]) + "-" + String(chars[5..<10])
    }
}
