import Fluent
import Foundation
import HWC3DAPI
import Vapor

extension APIHandler {
    func register(_ input: Operations.Register.Input) async throws -> Operations.Register.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        let issued = try await AuthService(services: services, database: req.db).register(
            .init(email: body.email, username: body.username, password: body.password, displayName: body.displayName),
            userAgent: req.headers.first(name: .userAgent), ip: req.clientIP)
        req.setSessionCookies(issued)
        return .created(.init(body: .json(try await authBody(issued, req: req))))
    }

    func login(_ input: Operations.Login.Input) async throws -> Operations.Login.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        guard let identifier = body.login ?? body.email ?? body.username, !identifier.isEmpty else {
            throw Problem.validation(field: "login", "give `login` (email or username), `email` or `username`")
        }
        let issued = try await AuthService(services: services, database: req.db).login(
            identifier: identifier, password: body.password, userAgent: req.headers.first(name: .userAgent), ip: req.clientIP)
        req.setSessionCookies(issued)
        return .ok(.init(body: .json(try await authBody(issued, req: req))))
    }

    func refresh(_ input: Operations.Refresh.Input) async throws -> Operations.Refresh.Output {
        let req = try request
        var token: String?
        if case .json(let body)? = input.body { token = body.refreshToken }
        if token == nil, let cookie = req.cookies[AuthCookies.refresh]?.string, !cookie.isEmpty {
            // A cookie travels with any request the browser makes, so using it needs the CSRF token as well.
            guard let sent = req.headers.first(name: "X-CSRF-Token"), let cookieCSRF = req.cookies[AuthCookies.csrf]?.string,
                !sent.isEmpty, constantTimeEquals(Array(sent.utf8), Array(cookieCSRF.utf8))
            else {
                throw Problem(.forbidden, "csrf", "CSRF token missing or wrong",
                              detail: "Refreshing with the cookie requires the csrf_token cookie's value in X-CSRF-Token.")
            }
            token = cookie
        }
        guard let token, !token.isEmpty, token.count <= 200 else {
            throw Problem.invalidToken("No refresh token was sent.")
        }
        let issued = try await SessionIssuer(services: services).rotate(
            refreshToken: token, userAgent: req.headers.first(name: .userAgent), ip: req.clientIP, on: req.db)
        req.setSessionCookies(issued)
        return .ok(.init(body: .json(try await authBody(issued, req: req))))
    }

    func logout(_ input: Operations.Logout.Input) async throws -> Operations.Logout.Output {
        let req = try request
        let caller = try signedIn
        try await SessionIssuer(services: services).revoke(sessionID: caller.sessionID, reason: "logout", on: req.db)
        req.clearSessionCookies()
        return .noContent(.init())
    }

    func logoutAll(_ input: Operations.LogoutAll.Input) async throws -> Operations.LogoutAll.Output {
        let req = try request
        let caller = try signedIn
        try await SessionIssuer(services: services).revokeAll(userID: caller.userID, reason: "logout_all", on: req.db)
        req.clearSessionCookies()
        return .noContent(.init())
    }

    func verifyEmail(_ input: Operations.VerifyEmail.Input) async throws -> Operations.VerifyEmail.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        let user = try await AuthService(services: services, database: req.db).verifyEmail(token: body.token)
        return .ok(.init(body: .json(try await userBody(user, req: req))))
    }

    func resendVerification(_ input: Operations.ResendVerification.Input) async throws -> Operations.ResendVerification.Output {
        let req = try request
        let caller = try signedIn
        try await AuthService(services: services, database: req.db).resendVerification(for: caller.user)
        return .accepted(.init(body: .json(.init(status: "accepted", message: "A new verification link is on its way."))))
    }

    func forgotPassword(_ input: Operations.ForgotPassword.Input) async throws -> Operations.ForgotPassword.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        try await AuthService(services: services, database: req.db).forgotPassword(email: body.email, admin: false)
        return .accepted(.init(body: .json(Self.resetAccepted)))
    }

    func resetPassword(_ input: Operations.ResetPassword.Input) async throws -> Operations.ResetPassword.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        try await AuthService(services: services, database: req.db).resetPassword(token: body.token, newPassword: body.password, admin: false)
        req.clearSessionCookies()
        return .noContent(.init())
    }

    func changePassword(_ input: Operations.ChangePassword.Input) async throws -> Operations.ChangePassword.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        try await AuthService(services: services, database: req.db).changePassword(
            caller: caller, current: body.currentPassword, new: body.newPassword)
        return .noContent(.init())
    }

    func listSessions(_ input: Operations.ListSessions.Input) async throws -> Operations.ListSessions.Output {
        let req = try request
        let caller = try signedIn
        let sessions = try await AuthService(services: services, database: req.db).activeSessions(of: caller.userID)
        return .ok(.init(body: .json(.init(items: sessions.map { .init($0, currentID: caller.sessionID) }))))
    }

    func revokeSession(_ input: Operations.RevokeSession.Input) async throws -> Operations.RevokeSession.Output {
        let req = try request
        let caller = try signedIn
        guard let id = UUID(uuidString: input.path.sessionId) else { throw Problem.notFound("Session") }
        try await AuthService(services: services, database: req.db).revokeSession(id, of: caller.userID)
        if id == caller.sessionID { req.clearSessionCookies() }
        return .noContent(.init())
    }

    static let resetAccepted = Components.Schemas.Accepted(
        status: "accepted", message: "If an account exists for that address, a reset link is on its way.")

    func authBody(_ issued: IssuedSession, req: Request) async throws -> Components.Schemas.AuthSession {
        .init(accessToken: issued.accessToken, refreshToken: issued.refreshToken, tokenType: "Bearer",
              expiresIn: issued.expiresIn, user: try await userBody(issued.user, req: req))
    }

    /// The caller's own account after a change: the caller already knows whether it is an admin.
    func accountBody(_ user: User, of caller: Caller) -> Components.Schemas.User {
        .init(user, isAdmin: caller.isAdmin, settings: services.settings)
    }

    func userBody(_ user: User, req: Request) async throws -> Components.Schemas.User {
        let isAdmin = try await AdminDirectory.isAdmin(user.id!, on: req.db)
        return .init(user, isAdmin: isAdmin, settings: services.settings)
    }
}
