import Fluent
import Foundation
import Testing
import VaporTesting

@testable import HWC3D

@Suite("OAuth sign-in against a local stand-in provider")
struct OAuthTests {
    @Test("authorize redirects with state and PKCE S256; the callback creates a verified account linked to the identity")
    func googleSignUp() async throws {
        try await withOAuth { provider, server in
            let start = try await beginOAuth(server, "google")
            #expect(start.response.status == .found)
            let providerURL = start.location
            #expect("\(providerURL.scheme ?? "")://\(providerURL.host ?? ""):\(providerURL.port ?? 0)" == provider.baseURL)
            #expect(providerURL.path == "/authorize")
            let query = start.query
            #expect(query["response_type"] == "code")
            #expect(query["client_id"] == StandInProvider.google.id)
            #expect(query["redirect_uri"] == "http://api.test/api/v1/auth/oauth/google/callback")
            #expect(query["scope"] == "openid email profile")
            #expect(query["code_challenge_method"] == "S256")
            let challenge = try #require(query["code_challenge"])
            #expect(challenge.count == 43)
            let state = try #require(query["state"])
            #expect(state.count >= 32)
            // The state is bound to this browser with a short-lived, HttpOnly cookie scoped to the OAuth routes.
            #expect(start.flowCookie == state)
            let cookie = try #require(start.response.cookieAttributes("oauth_flow"))
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("Path=/api/v1/auth/oauth"))
            #expect(cookie.contains("Max-Age=600"))
            #expect(cookie.lowercased().contains("samesite=lax"))
            // Server side: the state only as a hash, with the verifier that matches the challenge.
            let record = try #require(try await OAuthState.query(on: server.app.db).first())
            #expect(record.provider == "google")
            #expect(record.stateHash != state)
            #expect(StandInProvider.s256(record.codeVerifier) == challenge)
            #expect(record.linkUserID == nil)

            let redirect = try provider.authorize(providerURL, as: .google(sub: "g-100", email: "Gwen@Example.com", emailVerified: true, name: "Gwen Stacy"))
            let callback = try await finishOAuth(server, redirect: redirect, flowCookie: start.flowCookie)
            #expect(callback.status == .found, "\(callback.text)")
            #expect(location(callback) == "http://frontend.test/oauth/callback")
            let accessToken = try #require(callback.cookie("access_token"))
            #expect(callback.cookie("refresh_token")?.isEmpty == false)
            #expect(callback.cookie("csrf_token")?.isEmpty == false)
            #expect(callback.cookieAttributes("oauth_flow")?.contains("Max-Age=0") == true)

            // The provider saw exactly the documented token request.
            let exchange = try #require(provider.tokenRequests.last)
            #expect(exchange["grant_type"] == "authorization_code")
            #expect(exchange["client_id"] == StandInProvider.google.id)
            #expect(exchange["client_secret"] == StandInProvider.google.secret)
            #expect(exchange["redirect_uri"] == "http://api.test/api/v1/auth/oauth/google/callback")
            #expect(exchange["code_verifier"] == record.codeVerifier)
            #expect(provider.refusals.isEmpty)
            #expect(try await OAuthState.query(on: server.app.db).count() == 0, "the state is used up")

            let me = try await server.request(.GET, "/api/v1/users/me", token: accessToken)
            #expect(me.status == .ok)
            let body = try me.object()
            #expect(body["email"] as? String == "gwen@example.com")
            #expect(body["email_verified"] as? Bool == true)
            #expect(body["username"] as? String == "Gwen")
            #expect(body["display_name"] as? String == "Gwen Stacy")

            let user = try #require(try await User.query(on: server.app.db).first())
            #expect(try await User.query(on: server.app.db).count() == 1)
            #expect(user.passwordHash == nil)
            #expect(user.isEmailVerified)
            let account = try #require(try await OAuthAccount.query(on: server.app.db).first())
            #expect(account.$user.id == user.id)
            #expect(account.provider == "google")
            #expect(account.providerUserID == "g-100")
            #expect(account.email == "gwen@example.com")
        }
    }

    @Test("a second sign-in with the same identity reuses the account, even after the email changed at the provider")
    func secondSignInReusesAccount() async throws {
        try await withOAuth { provider, server in
            let first = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-7", email: "hal@example.com", emailVerified: true, name: "Hal"))
            let firstID = try await userID(server, first)
            let second = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-7", email: "hal.new@example.com", emailVerified: true, name: "Hal"))
            #expect(location(second) == "http://frontend.test/oauth/callback")
            #expect(try await userID(server, second) == firstID)
            #expect(try await User.query(on: server.app.db).count() == 1)
            #expect(try await OAuthAccount.query(on: server.app.db).count() == 1)
            #expect(try await AuthSession.query(on: server.app.db).filter(\.$revokedAt == nil).count() == 2)

            // Another identity with another email is another account.
            let other = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-8", email: "hal2@example.com", emailVerified: true, name: nil))
            #expect(try await userID(server, other) != firstID)
            #expect(try await User.query(on: server.app.db).count() == 2)
        }
    }

    @Test("an identity with the email of a verified password account is linked to it; the password keeps working")
    func linksVerifiedPasswordAccount() async throws {
        try await withOAuth { provider, server in
            let vera = try await server.register("vera", verified: true)
            let callback = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-vera", email: "VERA@example.com", emailVerified: true, name: "V"))
            #expect(location(callback) == "http://frontend.test/oauth/callback")
            #expect(try await userID(server, callback) == vera.id)
            #expect(try await User.query(on: server.app.db).count() == 1)
            let account = try #require(try await OAuthAccount.query(on: server.app.db).first())
            #expect(account.$user.id.uuidString.lowercased() == vera.id)
            #expect(account.providerUserID == "g-vera")
            let user = try #require(try await User.query(on: server.app.db).first())
            #expect(user.passwordHash != nil)
            #expect(user.displayName == "Vera", "the profile is not overwritten")
            #expect(try await server.request(.GET, "/api/v1/users/me", token: vera.accessToken).status == .ok)
            let login = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "vera", "password": vera.password])
            #expect(login.status == .ok)
        }
    }

    @Test("an identity with the email of an unverified password account takes it over: verified, password cleared, sessions revoked")
    func unverifiedAccountTakeoverGuard() async throws {
        try await withOAuth { provider, server in
            let uma = try await server.register("uma")
            #expect(try await server.request(.GET, "/api/v1/users/me", token: uma.accessToken).status == .ok)
            let callback = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-uma", email: "uma@example.com", emailVerified: true, name: "Uma"))
            #expect(location(callback) == "http://frontend.test/oauth/callback")
            #expect(try await userID(server, callback) == uma.id)
            let user = try #require(try await User.query(on: server.app.db).first())
            #expect(user.isEmailVerified)
            #expect(user.passwordHash == nil)
            #expect(try await OAuthAccount.query(on: server.app.db).filter(\.$user.$id == user.id!).count() == 1)

            let me = try await server.request(.GET, "/api/v1/users/me", token: uma.accessToken)
            #expect(me.status == .unauthorized)
            let revoked = try await AuthSession.query(on: server.app.db).filter(\.$revokedAt != nil).all()
            #expect(revoked.count == 1)
            #expect(revoked.first?.revokeReason == "oauth_takeover_guard")
            let login = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "uma", "password": uma.password])
            #expect(login.status == .unauthorized)
            #expect(login.problemType == "invalid-credentials")
            // The new OAuth session is the one that works.
            #expect(try await server.request(.GET, "/api/v1/users/me", token: callback.cookie("access_token")).status == .ok)
        }
    }

    @Test("email_verified false: no account is created or linked")
    func unverifiedProviderEmail() async throws {
        try await withOAuth { provider, server in
            let callback = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-x", email: "xena@example.com", emailVerified: false, name: "X"))
            #expect(callback.status == .found)
            #expect(location(callback) == "http://frontend.test/login?oauth_error=email_not_verified")
            #expect(callback.cookie("access_token") == nil)
            #expect(try await User.query(on: server.app.db).count() == 0)
            #expect(try await OAuthAccount.query(on: server.app.db).count() == 0)

            // Nor is an existing account with that address touched.
            let wade = try await server.register("wade")
            let again = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-w", email: wade.email, emailVerified: false, name: nil))
            #expect(location(again) == "http://frontend.test/login?oauth_error=email_not_verified")
            #expect(try await OAuthAccount.query(on: server.app.db).count() == 0)
            #expect(try await server.request(.GET, "/api/v1/users/me", token: wade.accessToken).status == .ok)
            #expect(try await User.query(on: server.app.db).first()?.passwordHash != nil)

            let noEmail = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-n", email: nil, emailVerified: true, name: nil))
            #expect(location(noEmail) == "http://frontend.test/login?oauth_error=email_not_verified")
        }
    }

    @Test("the state works once and only in the browser that started the flow")
    func stateIsSingleUseAndBrowserBound() async throws {
        try await withOAuth { provider, server in
            let start = try await beginOAuth(server, "google")
            let redirect = try provider.authorize(start.location, as: .google(sub: "g-s", email: "sam@example.com", emailVerified: true, name: nil))

            let noCookie = try await finishOAuth(server, redirect: redirect, flowCookie: nil)
            #expect(location(noCookie) == "http://frontend.test/login?oauth_error=invalid_state")
            let otherCookie = try await finishOAuth(server, redirect: redirect, flowCookie: "someone-elses-state")
            #expect(location(otherCookie) == "http://frontend.test/login?oauth_error=invalid_state")
            #expect(try await User.query(on: server.app.db).count() == 0)
            #expect(provider.tokenRequests.isEmpty, "no code exchange for a callback that is not bound to this browser")

            let good = try await finishOAuth(server, redirect: redirect, flowCookie: start.flowCookie)
            #expect(location(good) == "http://frontend.test/oauth/callback")
            let replay = try await finishOAuth(server, redirect: redirect, flowCookie: start.flowCookie)
            #expect(location(replay) == "http://frontend.test/login?oauth_error=invalid_state")
            #expect(replay.cookie("access_token") == nil)
            #expect(provider.tokenRequests.count == 1)
            #expect(try await User.query(on: server.app.db).count() == 1)

            // A state started for one provider does not finish another.
            let googleStart = try await beginOAuth(server, "google")
            let crossed = try await server.request(
                .GET, "/api/v1/auth/oauth/github/callback?code=x&state=\(googleStart.flowCookie)",
                headers: [("Cookie", "oauth_flow=\(googleStart.flowCookie)")])
            #expect(location(crossed) == "http://frontend.test/login?oauth_error=invalid_state")

            // An expired state is refused.
            let late = try await beginOAuth(server, "google")
            try await OAuthState.query(on: server.app.db).set(\.$expiresAt, to: Date().addingTimeInterval(-1)).update()
            let lateRedirect = try provider.authorize(late.location, as: .google(sub: "g-s", email: "sam@example.com", emailVerified: true, name: nil))
            let expired = try await finishOAuth(server, redirect: lateRedirect, flowCookie: late.flowCookie)
            #expect(location(expired) == "http://frontend.test/login?oauth_error=expired_state")
        }
    }

    @Test("a wrong PKCE verifier makes the provider refuse the code: exchange_failed, nobody signed in")
    func wrongPKCEVerifier() async throws {
        try await withOAuth { provider, server in
            let start = try await beginOAuth(server, "google")
            let record = try #require(try await OAuthState.query(on: server.app.db).first())
            record.codeVerifier = String(repeating: "A", count: 64)
            try await record.save(on: server.app.db)
            let redirect = try provider.authorize(start.location, as: .google(sub: "g-p", email: "pat@example.com", emailVerified: true, name: nil))
            let callback = try await finishOAuth(server, redirect: redirect, flowCookie: start.flowCookie)
            #expect(location(callback) == "http://frontend.test/login?oauth_error=exchange_failed")
            #expect(callback.cookie("access_token") == nil)
            #expect(provider.refusals == ["pkce"])
            #expect(try await User.query(on: server.app.db).count() == 0)
            #expect(try await OAuthAccount.query(on: server.app.db).count() == 0)
        }
    }

    @Test("a provider error in the callback is passed on to the frontend")
    func providerError() async throws {
        try await withOAuth { _, server in
            let start = try await beginOAuth(server, "google")
            let denied = try await server.request(
                .GET, "/api/v1/auth/oauth/google/callback?error=access_denied&state=\(start.flowCookie)",
                headers: [("Cookie", "oauth_flow=\(start.flowCookie)")])
            #expect(location(denied) == "http://frontend.test/login?oauth_error=access_denied")
            let other = try await server.request(.GET, "/api/v1/auth/oauth/google/callback?error=server_error")
            #expect(location(other) == "http://frontend.test/login?oauth_error=provider_error")
            #expect(try await User.query(on: server.app.db).count() == 0)
        }
    }

    @Test("unconfigured and unknown providers are 404; redirect_to must be a frontend path")
    func providersAndRedirects() async throws {
        try await withOAuth { provider, server in
            for name in ["discord", "myspace"] {
                let authorize = try await server.request(.GET, "/api/v1/auth/oauth/\(name)/authorize")
                #expect(authorize.status == .notFound, "\(name)")
                #expect(authorize.problemType == "not-found")
                #expect(location(authorize) == nil)
                let callback = try await server.request(.GET, "/api/v1/auth/oauth/\(name)/callback?code=x&state=y")
                #expect(callback.status == .notFound, "\(name)")
                #expect(callback.problemType == "not-found")
            }
            for bad in ["//evil.example", "https://evil.example/x", "/\\evil.example", "evil"] {
                let encoded = bad.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let response = try await server.request(.GET, "/api/v1/auth/oauth/google/authorize?redirect_to=\(encoded)")
                #expect(response.status == .unprocessableEntity, "\(bad)")
                #expect(response.fieldErrors == ["redirect_to"])
                #expect(response.cookie("oauth_flow") == nil)
            }
            #expect(try await OAuthState.query(on: server.app.db).count() == 0)

            // A frontend path is where the browser lands after signing in.
            let start = try await beginOAuth(server, "google", redirectTo: "/models/new")
            let redirect = try provider.authorize(start.location, as: .google(sub: "g-r", email: "rae@example.com", emailVerified: true, name: nil))
            let callback = try await finishOAuth(server, redirect: redirect, flowCookie: start.flowCookie)
            #expect(location(callback) == "http://frontend.test/models/new")
            #expect(callback.cookie("access_token") != nil)
        }
    }

    @Test("GitHub: the account gets the verified primary address from /user/emails, not the public profile email")
    func githubUsesVerifiedPrimaryEmail() async throws {
        try await withOAuth { provider, server in
            let start = try await beginOAuth(server, "github")
            #expect(start.location.path == "/login/oauth/authorize")
            #expect(start.query["client_id"] == StandInProvider.github.id)
            #expect(start.query["redirect_uri"] == "http://api.test/api/v1/auth/oauth/github/callback")
            #expect(start.query["scope"] == "read:user user:email")
            #expect(start.query["code_challenge_method"] == "S256")
            let profile = StandInProvider.Profile.github(
                id: 583231, login: "octocat", name: "The Octocat", publicEmail: "octo@public.example",
                emails: [
                    .init(email: "octo-old@example.com", primary: false, verified: false),
                    .init(email: "octo-work@example.com", primary: false, verified: true),
                    .init(email: "OctoCat@Example.com", primary: true, verified: true),
                ])
            let redirect = try provider.authorize(start.location, as: profile)
            let callback = try await finishOAuth(server, redirect: redirect, flowCookie: start.flowCookie)
            #expect(location(callback) == "http://frontend.test/oauth/callback", "\(provider.refusals)")
            #expect(provider.tokenRequests.last?["client_secret"] == StandInProvider.github.secret)
            #expect(provider.profileCalls == ["/user", "/user/emails"])

            let me = try await server.request(.GET, "/api/v1/users/me", token: callback.cookie("access_token"))
            let body = try me.object()
            #expect(body["email"] as? String == "octocat@example.com")
            #expect(body["email_verified"] as? Bool == true)
            #expect(body["username"] as? String == "octocat")
            #expect(body["display_name"] as? String == "The Octocat")
            let account = try #require(try await OAuthAccount.query(on: server.app.db).first())
            #expect(account.provider == "github")
            #expect(account.providerUserID == "583231")
            #expect(account.email == "octocat@example.com")

            // No verified address at all: refused.
            let unverified = try await oauthSignIn(server, provider, "github", as: .github(
                id: 9, login: "ghost", name: nil, publicEmail: "ghost@example.com",
                emails: [.init(email: "ghost@example.com", primary: true, verified: false)]))
            #expect(location(unverified) == "http://frontend.test/login?oauth_error=email_not_verified")
            #expect(try await User.query(on: server.app.db).count() == 1)
        }
    }

    @Test("linked accounts: listed; the last way to sign in cannot be unlinked; with a password it can")
    func unlinkRules() async throws {
        try await withOAuth { provider, server in
            // OAuth-only account.
            let callback = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-o", email: "olive@example.com", emailVerified: true, name: "Olive"))
            let token = try #require(callback.cookie("access_token"))
            let list = try await server.request(.GET, "/api/v1/auth/oauth/accounts", token: token)
            #expect(list.status == .ok)
            let items = try #require(try list.object()["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items.first?["provider"] as? String == "google")
            #expect(items.first?["email"] as? String == "olive@example.com")
            #expect(items.first?["linked_at"] is String)

            let last = try await server.request(.DELETE, "/api/v1/auth/oauth/accounts/google", token: token)
            #expect(last.status == .conflict)
            #expect(last.problemType == "last-sign-in-method")
            #expect(try await OAuthAccount.query(on: server.app.db).count() == 1)

            // An account with a password.
            let vera = try await server.register("vera", verified: true)
            _ = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-vera", email: vera.email, emailVerified: true, name: nil))
            let veraList = try await server.request(.GET, "/api/v1/auth/oauth/accounts", token: vera.accessToken)
            #expect((try veraList.object()["items"] as? [[String: Any]])?.compactMap { $0["provider"] as? String } == ["google"])
            let unlink = try await server.request(.DELETE, "/api/v1/auth/oauth/accounts/google", token: vera.accessToken)
            #expect(unlink.status == .noContent, "\(unlink.text)")
            let veraID = try #require(UUID(uuidString: vera.id))
            #expect(try await OAuthAccount.query(on: server.app.db).filter(\.$user.$id == veraID).count() == 0)
            #expect(try await OAuthAccount.query(on: server.app.db).count() == 1, "olive's link is untouched")
            let again = try await server.request(.DELETE, "/api/v1/auth/oauth/accounts/google", token: vera.accessToken)
            #expect(again.status == .notFound)
            let unknown = try await server.request(.DELETE, "/api/v1/auth/oauth/accounts/myspace", token: vera.accessToken)
            #expect(unknown.status == .notFound)
            #expect(unknown.problemType == "not-found")

            #expect(try await server.request(.GET, "/api/v1/auth/oauth/accounts").status == .unauthorized)
            #expect(try await server.request(.DELETE, "/api/v1/auth/oauth/accounts/google").status == .unauthorized)
        }
    }

    @Test("a signed-in user links GitHub; with two providers one can go, the last one cannot")
    func linkWhileSignedIn() async throws {
        try await withOAuth { provider, server in
            let callback = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-l", email: "lin@example.com", emailVerified: true, name: "Lin"))
            let token = try #require(callback.cookie("access_token"))
            let linID = try await userID(server, callback)

            let start = try await beginOAuth(server, "github", token: token)
            #expect(try await OAuthState.query(on: server.app.db).first()?.linkUserID?.uuidString.lowercased() == linID)
            let redirect = try provider.authorize(start.location, as: .github(
                id: 77, login: "lin-gh", name: "Lin", publicEmail: nil,
                emails: [.init(email: "lin.other@example.com", primary: true, verified: true)]))
            let link = try await finishOAuth(server, redirect: redirect, flowCookie: start.flowCookie)
            #expect(location(link) == "http://frontend.test/settings/accounts?linked=github")
            #expect(link.cookie("access_token") == nil, "linking opens no new session")
            #expect(try await User.query(on: server.app.db).count() == 1)

            let list = try await server.request(.GET, "/api/v1/auth/oauth/accounts", token: token)
            #expect((try list.object()["items"] as? [[String: Any]])?.compactMap { $0["provider"] as? String } == ["github", "google"])
            #expect(try await server.request(.DELETE, "/api/v1/auth/oauth/accounts/google", token: token).status == .noContent)
            let last = try await server.request(.DELETE, "/api/v1/auth/oauth/accounts/github", token: token)
            #expect(last.status == .conflict)
            #expect(last.problemType == "last-sign-in-method")

            // The GitHub identity now signs in to the same account.
            let viaGitHub = try await oauthSignIn(server, provider, "github", as: .github(
                id: 77, login: "lin-gh", name: "Lin", publicEmail: nil,
                emails: [.init(email: "lin.other@example.com", primary: true, verified: true)]))
            #expect(try await userID(server, viaGitHub) == linID)

            // An identity linked to someone else cannot be linked here.
            let other = try await server.register("otto", verified: true)
            let steal = try await beginOAuth(server, "github", token: other.accessToken)
            let stealRedirect = try provider.authorize(steal.location, as: .github(
                id: 77, login: "lin-gh", name: "Lin", publicEmail: nil,
                emails: [.init(email: "lin.other@example.com", primary: true, verified: true)]))
            let stolen = try await finishOAuth(server, redirect: stealRedirect, flowCookie: steal.flowCookie)
            #expect(location(stolen) == "http://frontend.test/login?oauth_error=account_linked_elsewhere")
            #expect(try await OAuthAccount.query(on: server.app.db).filter(\.$providerUserID == "77").count() == 1)
        }
    }

    @Test("another identity of an already linked provider, with the same verified email, is refused without a server error")
    func secondIdentitySameProviderSameEmail() async throws {
        try await withOAuth { provider, server in
            let first = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-1", email: "kim@example.com", emailVerified: true, name: nil))
            #expect(location(first) == "http://frontend.test/oauth/callback")
            let second = try await oauthSignIn(server, provider, "google", as: .google(sub: "g-2", email: "kim@example.com", emailVerified: true, name: nil))
            #expect(second.status == .found, "\(second.status): \(second.text)")
            #expect(location(second)?.hasPrefix("http://frontend.test/login?oauth_error=") == true)
            #expect(try await OAuthAccount.query(on: server.app.db).count() == 1)
        }
    }

    @Test("redirects carry their target as an absolute URL in Location, not percent-encoded as a whole")
    func locationHeaderIsAnAbsoluteURL() async throws {
        try await withOAuth { provider, server in
            let authorize = try await server.request(.GET, "/api/v1/auth/oauth/google/authorize")
            #expect(authorize.status == .found)
            #expect(authorize.headers.first(name: .location)?.hasPrefix("\(provider.baseURL)/authorize?response_type=code&") == true)
            let failure = try await server.request(.GET, "/api/v1/auth/oauth/google/callback?error=access_denied")
            #expect(failure.headers.first(name: .location) == "http://frontend.test/login?oauth_error=access_denied")
        }
    }

    // MARK: browser steps

    /// Where a redirect points, exactly as a browser reads it.
    func location(_ response: TestResponse) -> String? {
        response.headers.first(name: .location)
    }

    struct Started {
        let response: TestResponse
        let location: URLComponents
        let query: [String: String]
        let flowCookie: String
    }

    /// GET /authorize as the browser does; the redirect to the provider and the flow cookie.
    func beginOAuth(_ server: TestServer, _ provider: String, redirectTo: String? = nil, token: String? = nil) async throws -> Started {
        var path = "/api/v1/auth/oauth/\(provider)/authorize"
        if let redirectTo { path += "?redirect_to=\(redirectTo.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }
        let response = try await server.request(.GET, path, token: token)
        #expect(response.status == .found, "authorize \(provider): \(response.text)")
        let location = try #require(self.location(response).flatMap(URLComponents.init(string:)))
        let query = Dictionary((location.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        let cookie = try #require(response.cookie("oauth_flow"))
        return Started(response: response, location: location, query: query, flowCookie: cookie)
    }

    /// Follows the provider's redirect back to the API, with or without the flow cookie.
    func finishOAuth(_ server: TestServer, redirect: URL, flowCookie: String?) async throws -> TestResponse {
        let absolute = redirect.absoluteString
        let base = "http://api.test"
        #expect(absolute.hasPrefix(base + "/api/v1/auth/oauth/"))
        let headers = flowCookie.map { [("Cookie", "oauth_flow=\($0)")] } ?? []
        return try await server.request(.GET, String(absolute.dropFirst(base.count)), headers: headers)
    }

    func oauthSignIn(_ server: TestServer, _ provider: StandInProvider, _ name: String, as profile: StandInProvider.Profile)
        async throws -> TestResponse
    {
        let start = try await beginOAuth(server, name)
        let redirect = try provider.authorize(start.location, as: profile)
        return try await finishOAuth(server, redirect: redirect, flowCookie: start.flowCookie)
    }

    /// The id of the user a successful callback signed in.
    func userID(_ server: TestServer, _ callback: TestResponse) async throws -> String {
        let token = try #require(callback.cookie("access_token"), "no session: \(location(callback) ?? "")")
        let me = try await server.request(.GET, "/api/v1/users/me", token: token)
        return try #require(try me.object()["id"] as? String)
    }

    func withOAuth(_ body: (StandInProvider, TestServer) async throws -> Void) async throws {
        let provider = try await StandInProvider.start()
        do {
            try await withServer(provider.overrides) { server in try await body(provider, server) }
        } catch {
            await provider.stop()
            throw error
        }
        await provider.stop()
    }
}

/// A stand-in for Google's and GitHub's OAuth endpoints on a real local port, speaking their wire format: the
/// authorization code grant with PKCE (RFC 7636, S256), a form-encoded token request answered in JSON, and the
/// providers' profile endpoints behind a Bearer token. The test plays the browser at `/authorize` through
/// `authorize(_:as:)`, which remembers what the code was issued for.
final class StandInProvider: @unchecked Sendable {
    struct Client: Sendable {
        let id: String
        let secret: String
    }

    struct GitHubEmail: Sendable {
        let email: String
        let primary: Bool
        let verified: Bool
    }

    enum Profile: Sendable {
        case google(sub: String, email: String?, emailVerified: Bool, name: String?)
        case github(id: Int, login: String, name: String?, publicEmail: String?, emails: [GitHubEmail])
    }

    static let google = Client(id: "google-client.apps.test", secret: "google-secret-0123456789")
    static let github = Client(id: "Iv1.github-client", secret: "github-secret-9876543210")

    private struct Grant {
        let client: Client
        let redirectURI: String
        let challenge: String
        let profile: Profile
    }

    private let app: Application
    private(set) var baseURL = ""
    private let lock = NSLock()
    private var grants: [String: Grant] = [:]
    private var tokens: [String: Profile] = [:]
    private var recordedTokenRequests: [[String: String]] = []
    private var recordedRefusals: [String] = []
    private var recordedProfileCalls: [String] = []

    /// The form fields of every token request, in order.
    var tokenRequests: [[String: String]] { lock.withLock { recordedTokenRequests } }
    /// Why token requests were refused: `grant_type`, `client`, `code`, `redirect_uri`, `pkce`.
    var refusals: [String] { lock.withLock { recordedRefusals } }
    /// Paths of the profile endpoints called, in order.
    var profileCalls: [String] { lock.withLock { recordedProfileCalls } }

    private init(app: Application) { self.app = app }

    static func start() async throws -> StandInProvider {
        let app = try await Application.make(.testing)
        app.logger.logLevel = .warning
        let provider = StandInProvider(app: app)
        provider.routes()
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        do {
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            let port = try #require(app.http.server.shared.localAddress?.port)
            provider.baseURL = "http://127.0.0.1:\(port)"
        } catch {
            await app.server.shutdown()
            try? await app.asyncShutdown()
            throw error
        }
        return provider
    }

    func stop() async {
        await app.server.shutdown()
        try? await app.asyncShutdown()
    }

    /// The HWC3D settings that point both providers here.
    var overrides: [String: String] {
        [
            "OAUTH_GOOGLE_CLIENT_ID": Self.google.id, "OAUTH_GOOGLE_CLIENT_SECRET": Self.google.secret,
            "OAUTH_GOOGLE_AUTHORIZE_URL": "\(baseURL)/authorize", "OAUTH_GOOGLE_TOKEN_URL": "\(baseURL)/token",
            "OAUTH_GOOGLE_USERINFO_URL": "\(baseURL)/userinfo",
            "OAUTH_GITHUB_CLIENT_ID": Self.github.id, "OAUTH_GITHUB_CLIENT_SECRET": Self.github.secret,
            "OAUTH_GITHUB_AUTHORIZE_URL": "\(baseURL)/login/oauth/authorize",
            "OAUTH_GITHUB_TOKEN_URL": "\(baseURL)/login/oauth/access_token",
            "OAUTH_GITHUB_USERINFO_URL": "\(baseURL)/user", "OAUTH_GITHUB_EMAILS_URL": "\(baseURL)/user/emails",
        ]
    }

    struct AuthorizeError: Error, CustomStringConvertible {
        let description: String
    }

    /// What the provider's consent page does: checks the authorization request, issues a code bound to the
    /// client, the redirect URI and the PKCE challenge, and answers where it redirects the browser.
    func authorize(_ location: URLComponents, as profile: Profile) throws -> URL {
        func fail(_ why: String) -> AuthorizeError { AuthorizeError(description: "authorize refused: \(why) in \(location)") }
        let query = Dictionary((location.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        guard "\(location.scheme ?? "")://\(location.host ?? ""):\(location.port ?? 0)" == baseURL else { throw fail("another host") }
        let client: Client
        switch (location.path, profile) {
        case ("/authorize", .google): client = Self.google
        case ("/login/oauth/authorize", .github): client = Self.github
        default: throw fail("path \(location.path) does not fit the profile")
        }
        guard query["response_type"] == "code" else { throw fail("response_type") }
        guard query["client_id"] == client.id else { throw fail("client_id") }
        guard let redirectURI = query["redirect_uri"], let redirect = URLComponents(string: redirectURI), redirect.scheme != nil
        else { throw fail("redirect_uri") }
        guard let state = query["state"], !state.isEmpty else { throw fail("state") }
        guard query["code_challenge_method"] == "S256", let challenge = query["code_challenge"], challenge.count == 43 else {
            throw fail("code_challenge")
        }
        let code = "code-" + UUID().uuidString
        lock.withLock { grants[code] = Grant(client: client, redirectURI: redirectURI, challenge: challenge, profile: profile) }
        var back = redirect
        back.queryItems = (redirect.queryItems ?? []) + [.init(name: "code", value: code), .init(name: "state", value: state)]
        guard let url = back.url else { throw fail("redirect_uri") }
        return url
    }

    /// `BASE64URL(SHA256(ASCII(verifier)))` without padding, as RFC 7636 §4.2 defines it.
    static func s256(_ verifier: String) -> String {
        Data(SHA256.hash(data: Data(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    // MARK: endpoints

    private func routes() {
        app.post("token") { [self] req in try tokenEndpoint(req, githubStyle: false) }
        app.post("login", "oauth", "access_token") { [self] req in try tokenEndpoint(req, githubStyle: true) }
        app.get("userinfo") { [self] req -> Response in
            guard case .google(let sub, let email, let verified, let name) = try profile(for: req, path: "/userinfo") else {
                return Self.json(["error": "invalid_token"], status: .unauthorized)
            }
            var body: [String: Any] = ["sub": sub, "email_verified": verified]
            if let email { body["email"] = email }
            if let name { body["name"] = name }
            return Self.json(body)
        }
        app.get("user") { [self] req -> Response in
            guard case .github(let id, let login, let name, let publicEmail, _) = try profile(for: req, path: "/user") else {
                return Self.json(["message": "Bad credentials"], status: .unauthorized)
            }
            return Self.json([
                "id": id, "login": login, "name": name.map { $0 as Any } ?? NSNull(),
                "email": publicEmail.map { $0 as Any } ?? NSNull(), "type": "User",
            ] as [String: Any])
        }
        app.get("user", "emails") { [self] req -> Response in
            guard case .github(_, _, _, _, let emails) = try profile(for: req, path: "/user/emails") else {
                return Self.json(["message": "Bad credentials"], status: .unauthorized)
            }
            return Self.json(emails.map { ["email": $0.email, "primary": $0.primary, "verified": $0.verified, "visibility": NSNull()] as [String: Any] })
        }
    }

    private struct TokenForm: Content {
        var grant_type: String?
        var code: String?
        var redirect_uri: String?
        var client_id: String?
        var client_secret: String?
        var code_verifier: String?
    }

    private func tokenEndpoint(_ req: Request, githubStyle: Bool) throws -> Response {
        // GitHub answers errors with 200 and an `error` field; Google with 400/401.
        func refuse(_ reason: String, _ error: String, status: HTTPStatus = .badRequest) -> Response {
            lock.withLock { recordedRefusals.append(reason) }
            return Self.json(["error": error, "error_description": reason], status: githubStyle ? .ok : status)
        }
        guard req.headers.contentType == .urlEncodedForm else { return refuse("content_type", "invalid_request") }
        let form = try req.content.decode(TokenForm.self)
        var fields: [String: String] = [:]
        for (key, value) in [("grant_type", form.grant_type), ("code", form.code), ("redirect_uri", form.redirect_uri),
                             ("client_id", form.client_id), ("client_secret", form.client_secret), ("code_verifier", form.code_verifier)] {
            if let value { fields[key] = value }
        }
        lock.withLock { recordedTokenRequests.append(fields) }

        guard form.grant_type == "authorization_code" else { return refuse("grant_type", "unsupported_grant_type") }
        let client = githubStyle ? Self.github : Self.google
        guard form.client_id == client.id, form.client_secret == client.secret else {
            return refuse("client", "invalid_client", status: .unauthorized)
        }
        // A code is single-use whatever happens next.
        guard let code = form.code, let grant = lock.withLock({ grants.removeValue(forKey: code) }) else {
            return refuse("code", "invalid_grant")
        }
        guard grant.client.id == client.id, form.redirect_uri == grant.redirectURI else { return refuse("redirect_uri", "invalid_grant") }
        guard let verifier = form.code_verifier, (43...128).contains(verifier.count),
            verifier.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._~".contains($0)) }),
            Self.s256(verifier) == grant.challenge
        else { return refuse("pkce", "invalid_grant") }

        let token = (githubStyle ? "gho_" : "ya29.") + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        lock.withLock { tokens[token] = grant.profile }
        return githubStyle
            ? Self.json(["access_token": token, "token_type": "bearer", "scope": "read:user,user:email"])
            : Self.json(["access_token": token, "token_type": "Bearer", "expires_in": 3599, "scope": "openid email profile"])
    }

    private func profile(for req: Request, path: String) throws -> Profile? {
        lock.withLock { recordedProfileCalls.append(path) }
        guard let bearer = req.headers.bearerAuthorization else { return nil }
        // GitHub's API refuses requests without a User-Agent.
        if path.hasPrefix("/user"), req.headers.first(name: .userAgent)?.isEmpty != false { return nil }
        return lock.withLock { tokens[bearer.token] }
    }

    private static func json(_ object: Any, status: HTTPStatus = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8)
        var headers = HTTPHeaders()
        headers.contentType = .json
        return Response(status: status, headers: headers, body: .init(data: data))
    }
}
