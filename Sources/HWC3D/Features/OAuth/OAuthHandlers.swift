import Fluent
import Foundation
import HWC3DAPI
import Vapor

extension APIHandler {
    private static let flowCookie = "oauth_flow"

    func oauthAuthorize(_ input: Operations.OauthAuthorize.Input) async throws -> Operations.OauthAuthorize.Output {
        let req = try request
        let service = OAuthService(services: services, database: req.db, client: req.client, logger: req.logger)
        let provider = try service.provider(named: input.path.provider)
        if let redirect = input.query.redirectTo, OAuthService.safeRedirectPath(redirect) == nil {
            throw Problem.validation(field: "redirect_to", "must be a path on the frontend starting with a single /")
        }
        // Signed in already: this flow links the provider to the account instead of signing in.
        let linkUser = try? await req.caller()
        let (url, state) = try await service.authorizationURL(
            provider: provider, redirectPath: input.query.redirectTo, linkUserID: linkUser?.userID)
        // The state is also bound to this browser, so a callback URL made in someone else's browser (login CSRF)
        // does not complete here.
        req.setCookie(Self.flowCookie, .init(
            string: state, maxAge: Int(OAuthService.stateLifetime), path: "/api/v1/auth/oauth",
            isSecure: services.settings.secureCookies, isHTTPOnly: true, sameSite: .lax))
        return .found(.init(headers: .init(location: url)))
    }

    func oauthCallback(_ input: Operations.OauthCallback.Input) async throws -> Operations.OauthCallback.Output {
        let req = try request
        let service = OAuthService(services: services, database: req.db, client: req.client, logger: req.logger)
        let provider = try service.provider(named: input.path.provider)
        let frontend = services.settings.frontendURL
        func failure(_ code: String) -> Operations.OauthCallback.Output {
            .found(.init(headers: .init(location: "\(frontend)/login?oauth_error=\(code)")))
        }
        req.setCookie(Self.flowCookie, .init(string: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0, path: "/api/v1/auth/oauth",
                                             isSecure: services.settings.secureCookies, isHTTPOnly: true, sameSite: .lax))
        if let error = input.query.error {
            req.logger.info("oauth provider returned an error", metadata: ["provider": "\(provider.name)", "error": "\(error.prefix(60))"])
            return failure(error == "access_denied" ? "access_denied" : "provider_error")
        }
        guard let state = input.query.state, let bound = req.cookies[Self.flowCookie]?.string,
            constantTimeEquals(Array(state.utf8), Array(bound.utf8))
        else { return failure("invalid_state") }
        do {
            switch try await service.complete(
                provider: provider, code: input.query.code, state: state,
                userAgent: req.headers.first(name: .userAgent), ip: req.clientIP)
            {
            case .signedIn(let issued, let path):
                req.setSessionCookies(issued)
                return .found(.init(headers: .init(location: frontend + (path ?? "/oauth/callback"))))
            case .linked(let path):
                return .found(.init(headers: .init(location: frontend + (path ?? "/settings/accounts") + "?linked=\(provider.name)")))
            }
        } catch let failed as OAuthService.Failure {
            return failure(failed.code)
        }
    }

    func listOAuthAccounts(_ input: Operations.ListOAuthAccounts.Input) async throws -> Operations.ListOAuthAccounts.Output {
        let req = try request
        let caller = try signedIn
        let accounts = try await OAuthAccount.query(on: req.db).filter(\.$user.$id == caller.userID).sort(\.$provider).all()
        return .ok(.init(body: .json(.init(items: accounts.map {
            .init(provider: $0.provider, email: $0.email, linkedAt: $0.createdAt ?? Date())
        }))))
    }

    func unlinkOAuthAccount(_ input: Operations.UnlinkOAuthAccount.Input) async throws -> Operations.UnlinkOAuthAccount.Output {
        let req = try request
        let caller = try signedIn
        try await OAuthService(services: services, database: req.db, client: req.client, logger: req.logger)
            .unlink(provider: input.path.provider, userID: caller.userID)
        return .noContent(.init())
    }
}
