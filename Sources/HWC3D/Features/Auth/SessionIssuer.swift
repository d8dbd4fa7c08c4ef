import Fluent
import Vapor

/// What a client receives when it signs in or refreshes: the token pair and the session they belong to.
struct IssuedSession: Sendable {
    let user: User
    let session: AuthSession
    let accessToken: String
    let refreshToken: String
    let csrfToken: String
    let expiresIn: Int
}

/// Opens sessions and rotates their refresh tokens. Refresh tokens are opaque random strings stored as hashes;
/// each use retires the token and issues its successor, and presenting a retired token again revokes the whole
/// session (whoever holds the stolen copy is signed out along with the victim).
struct SessionIssuer: Sendable {
    static let userRefreshLifetime: TimeInterval = 7 * 24 * 3600
    /// Admin sessions are shorter: a stolen admin token is worth more.
    static let adminRefreshLifetime: TimeInterval = 12 * 3600

    let services: AppServices

    func open(for user: User, admin: Bool, userAgent: String?, ip: String?, on database: any Database) async throws -> IssuedSession {
        let now = Date()
        let lifetime = admin ? Self.adminRefreshLifetime : Self.userRefreshLifetime
        let session = AuthSession(
            userID: user.id!, isAdmin: admin, userAgent: userAgent, ip: ip, expiresAt: now.addingTimeInterval(lifetime), now: now)
        let refresh = SecureRandom.token(bytes: 32)
        try await database.transaction { tx in
            try await session.create(on: tx)
            try await RefreshToken(sessionID: session.id!, tokenHash: TokenHash.sha256(refresh), expiresAt: session.expiresAt)
                .create(on: tx)
            try await UserAccounts(database: tx).recordSignIn(user, at: now)
        }
        return try await issued(user: user, session: session, refresh: refresh, now: now)
    }

    func rotate(refreshToken: String, userAgent: String?, ip: String?, on database: any Database) async throws -> IssuedSession {
        let now = Date()
        let invalid = Problem.invalidToken("The refresh token is invalid or expired; sign in again.")
        guard let stored = try await RefreshToken.query(on: database)
            .filter(\.$tokenHash == TokenHash.sha256(refreshToken)).with(\.$session).first()
        else { throw invalid }
        let session = stored.session
        guard session.isActive(at: now), stored.expiresAt > now else { throw invalid }

        let next = SecureRandom.token(bytes: 32)
        let rotated: Bool = try await database.transaction { tx in
            // Retire the token only if nobody else retired it first: of two concurrent uses, exactly one wins.
            guard try await AtomicClaim.markOnce(table: RefreshToken.schema, id: stored.id!, column: "used_at", at: now, on: tx)
            else { return false }
            try await RefreshToken(sessionID: session.id!, tokenHash: TokenHash.sha256(next), expiresAt: session.expiresAt)
                .create(on: tx)
            session.lastUsedAt = now
            if let ip { session.ip = ip }
            if let userAgent { session.userAgent = String(userAgent.prefix(300)) }
            try await session.update(on: tx)
            return true
        }
        guard rotated else {
            try await revoke(sessionID: session.id!, reason: "refresh_token_reuse", on: database)
            throw Problem.invalidToken("This refresh token was already used; the session has been revoked. Sign in again.")
        }
        guard let user = try await UserAccounts(database: database).find(session.$user.id), user.status == .active else { throw invalid }
        return try await issued(user: user, session: session, refresh: next, now: now)
    }

    func revoke(sessionID: UUID, reason: String, on database: any Database) async throws {
        try await AuthSession.query(on: database)
            .filter(\.$id == sessionID).filter(\.$revokedAt == nil)
            .set(\.$revokedAt, to: Date()).set(\.$revokeReason, to: reason)
            .update()
    }

    func revokeAll(userID: UUID, except keep: UUID? = nil, reason: String, on database: any Database) async throws {
        var query = AuthSession.query(on: database).filter(\.$user.$id == userID).filter(\.$revokedAt == nil)
        if let keep { query = query.filter(\.$id != keep) }
        try await query.set(\.$revokedAt, to: Date()).set(\.$revokeReason, to: reason).update()
    }

    private func issued(user: User, session: AuthSession, refresh: String, now: Date) async throws -> IssuedSession {
        let access = try await services.tokens.accessToken(userID: user.id!, sessionID: session.id!, admin: session.isAdmin, now: now)
        return IssuedSession(
            user: user, session: session, accessToken: access, refreshToken: refresh,
            csrfToken: services.tokens.csrfToken(sessionID: session.id!), expiresIn: Int(TokenSigner.accessTokenLifetime))
    }
}

extension Request {
    /// Puts a session's tokens into cookies: the access token for every path, the refresh token only where it
    /// is used, and the CSRF token readable by the frontend's script.
    func setSessionCookies(_ issued: IssuedSession) {
        let secure = application.settings.secureCookies
        let refreshMaxAge = Int(issued.session.expiresAt.timeIntervalSinceNow)
        setCookie(AuthCookies.access, .init(
            string: issued.accessToken, maxAge: issued.expiresIn, path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax))
        setCookie(AuthCookies.refresh, .init(
            string: issued.refreshToken, maxAge: refreshMaxAge, path: "/api/v1/auth", isSecure: secure, isHTTPOnly: true, sameSite: .lax))
        setCookie(AuthCookies.csrf, .init(
            string: issued.csrfToken, maxAge: refreshMaxAge, path: "/", isSecure: secure, isHTTPOnly: false, sameSite: .lax))
    }

    func clearSessionCookies() {
        let secure = application.settings.secureCookies
        setCookie(AuthCookies.access, .init(string: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax))
        setCookie(AuthCookies.refresh, .init(string: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/api/v1/auth", isSecure: secure, isHTTPOnly: true, sameSite: .lax))
        setCookie(AuthCookies.csrf, .init(string: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/", isSecure: secure, isHTTPOnly: false, sameSite: .lax))
    }
}
