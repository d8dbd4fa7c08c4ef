import Fluent
import Vapor

/// Who is calling: the user and the session of a valid access token, from `Authorization: Bearer` or from the
/// `access_token` cookie. Resolved once per request, on demand, so public routes pay nothing.
struct Caller: Sendable {
    let user: User
    let session: AuthSession
    let viaCookie: Bool
    /// Whether the user holds an admin role (not whether this session passed the admin second factor).
    let isAdmin: Bool

    var userID: UUID { user.id! }
    var sessionID: UUID { session.id! }
    var isAdminSession: Bool { session.isAdmin }
}

private struct CallerKey: StorageKey {
    typealias Value = Result<Caller?, Problem>
}

extension Request {
    /// The caller, nil when the request carries no credentials. Credentials that are present but invalid throw
    /// 401 even on public routes: a client with a broken token should learn it.
    func caller() async throws -> Caller? {
        if let cached = storage[CallerKey.self] { return try cached.get() }
        let result: Result<Caller?, Problem>
        do {
            result = .success(try await resolveCaller())
        } catch let problem as Problem {
            result = .failure(problem)
        }
        storage[CallerKey.self] = result
        return try result.get()
    }

    /// The caller the route policy already resolved for this request, read without another lookup; nil when the
    /// request carried no credentials or the route's policy never looked (`public`).
    func resolvedCaller() throws -> Caller? {
        try storage[CallerKey.self]?.get() ?? nil
    }

    func requireCaller() async throws -> Caller {
        guard let caller = try await caller() else { throw Problem.unauthenticated }
        return caller
    }

    /// Uploading, buying, selling, posting and commenting need a verified email address.
    func requireVerifiedCaller() async throws -> Caller {
        let caller = try await requireCaller()
        guard caller.user.isEmailVerified else { throw Problem.emailNotVerified }
        return caller
    }

    private func resolveCaller() async throws -> Caller? {
        let token: String
        let viaCookie: Bool
        if let authorization = headers.first(name: .authorization) {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw Problem.invalidToken("The Authorization header must be `Bearer <access token>`.")
            }
            token = String(parts[1]).trimmingCharacters(in: .whitespaces)
            viaCookie = false
        } else if let cookie = cookies[AuthCookies.access]?.string, !cookie.isEmpty {
            token = cookie
            viaCookie = true
        } else {
            return nil
        }
        let services = application.services
        let claims = try await services.tokens.verifyAccessToken(token)
        guard let userID = UUID(uuidString: claims.sub.value), let sessionID = UUID(uuidString: claims.sid) else {
            throw Problem.invalidToken("The access token is invalid or expired.")
        }
        if viaCookie, !method.isSafe {
            let expected = services.tokens.csrfToken(sessionID: sessionID)
            guard let sent = headers.first(name: "X-CSRF-Token"),
                constantTimeEquals(Array(sent.utf8), Array(expected.utf8))
            else {
                throw Problem(
                    .forbidden, "csrf", "CSRF token missing or wrong",
                    detail: "Cookie-authenticated requests that change state must send the csrf_token cookie's value in X-CSRF-Token.")
            }
        }
        let now = Date()
        guard let record = try await SessionReads.caller(sessionID: sessionID, on: reads),
            record.session.$user.id == userID, record.session.isActive(at: now)
        else {
            throw Problem.invalidToken("The session has ended; sign in again.")
        }
        let session = record.session
        let user = record.user
        switch user.status {
        case .active: break
        case .suspended: throw Problem(.forbidden, "account-suspended", "Account suspended", detail: "This account is suspended.")
        case .deleted: throw Problem.invalidToken("The session has ended; sign in again.")
        }
        // Remembered at most every five minutes: enough for the sessions list, without a write per request.
        if now.timeIntervalSince(session.lastUsedAt) > 300 {
            session.lastUsedAt = now
            try? await AuthSession.query(on: db).filter(\.$id == sessionID).set(\.$lastUsedAt, to: now).update()
        }
        return Caller(user: user, session: session, viaCookie: viaCookie, isAdmin: record.isAdmin)
    }
}

extension HTTPMethod {
    var isSafe: Bool { self == .GET || self == .HEAD || self == .OPTIONS }
}

enum AuthCookies {
    static let access = "access_token"
    static let refresh = "refresh_token"
    static let csrf = "csrf_token"
}
