import Crypto
import Fluent
import Vapor

/// OAuth 2.0 sign-in with Google, GitHub and Discord: authorization code flow with `state` and PKCE (S256),
/// accounts created or linked only through an email address the provider says it verified.
struct OAuthService: Sendable {
    static let stateLifetime: TimeInterval = 10 * 60

    let services: AppServices
    let database: any Database
    let client: any Client
    let logger: Logger

    /// A provider answers only when configured; an unknown or unconfigured one is 404.
    func provider(named name: String) throws -> Settings.OAuthProvider {
        guard let provider = services.settings.oauthProvider(named: name.lowercased()) else {
            throw Problem.notFound("OAuth provider '\(name.prefix(40))'")
        }
        return provider
    }

    func redirectURI(for provider: Settings.OAuthProvider) -> String {
        "\(services.settings.publicURL)/api/v1/auth/oauth/\(provider.name)/callback"
    }

    /// Where the browser goes to sign in at the provider. `redirectPath` must be a path on the frontend.
    func authorizationURL(provider: Settings.OAuthProvider, redirectPath: String?, linkUserID: UUID?) async throws -> (url: String, state: String) {
        let state = SecureRandom.token(bytes: 32)
        let verifier = SecureRandom.token(bytes: 48)
        let challenge = Data(SHA256.hash(data: Data(verifier.utf8))).base64URLEncodedString()
        let record = OAuthState()
        record.id = .v7()
        record.stateHash = TokenHash.sha256(state)
        record.provider = provider.name
        record.codeVerifier = verifier
        record.redirectPath = Self.safeRedirectPath(redirectPath)
        record.linkUserID = linkUserID
        record.expiresAt = Date().addingTimeInterval(Self.stateLifetime)
        try await record.create(on: database)
        try await OAuthState.query(on: database).filter(\.$expiresAt < Date()).delete()

        var components = URLComponents(string: provider.authorizeURL)!
        components.queryItems = (components.queryItems ?? []) + [
            .init(name: "response_type", value: "code"),
            .init(name: "client_id", value: provider.clientID),
            .init(name: "redirect_uri", value: redirectURI(for: provider)),
            .init(name: "scope", value: provider.scopes.joined(separator: " ")),
            .init(name: "state", value: state),
            .init(name: "code_challenge", value: challenge),
            .init(name: "code_challenge_method", value: "S256"),
        ]
        return (components.string!, state)
    }

    /// Only paths on the frontend: a redirect to any other site after sign-in would be an open redirect.
    static func safeRedirectPath(_ path: String?) -> String? {
        guard let path, path.hasPrefix("/"), !path.hasPrefix("//"), !path.contains("\\"), path.count <= 500,
            !path.contains(where: { $0.isWhitespace || $0.isNewline })
        else { return nil }
        return path
    }

    enum Outcome {
        case signedIn(IssuedSession, redirectPath: String?)
        case linked(redirectPath: String?)
    }

    struct Failure: Error {
        let code: String
    }

    func complete(provider: Settings.OAuthProvider, code: String?, state: String?, userAgent: String?, ip: String) async throws -> Outcome {
        guard let state, !state.isEmpty, state.count <= 200 else { throw Failure(code: "invalid_state") }
        guard let record = try await OAuthState.query(on: database)
            .filter(\.$stateHash == TokenHash.sha256(state)).filter(\.$provider == provider.name).first()
        else { throw Failure(code: "invalid_state") }
        // A state works once, whatever happens next.
        try await record.delete(on: database)
        guard record.expiresAt > Date() else { throw Failure(code: "expired_state") }
        guard let code, !code.isEmpty, code.count <= 2000 else { throw Failure(code: "missing_code") }

        let accessToken = try await exchange(code: code, verifier: record.codeVerifier, provider: provider)
        let identity = try await fetchIdentity(accessToken: accessToken, provider: provider)

        if let linkUserID = record.linkUserID {
            try await link(identity, to: linkUserID, provider: provider.name)
            return .linked(redirectPath: record.redirectPath)
        }
        let user = try await signInUser(for: identity, provider: provider.name)
        guard user.status == .active else { throw Failure(code: "account_suspended") }
        let issued = try await SessionIssuer(services: services).open(for: user, admin: false, userAgent: userAgent, ip: ip, on: database)
        return .signedIn(issued, redirectPath: record.redirectPath)
    }

    struct Identity {
        let providerUserID: String
        let email: String?
        let emailVerified: Bool
        let name: String?
        let login: String?
    }

    private func exchange(code: String, verifier: String, provider: Settings.OAuthProvider) async throws -> String {
        struct TokenForm: Content {
            let grant_type: String
            let code: String
            let redirect_uri: String
            let client_id: String
            let client_secret: String
            let code_verifier: String
        }
        struct TokenResponse: Content {
            let access_token: String?
            let error: String?
        }
        let form = TokenForm(
            grant_type: "authorization_code", code: code, redirect_uri: redirectURI(for: provider),
            client_id: provider.clientID, client_secret: provider.clientSecret, code_verifier: verifier)
        let response: ClientResponse
        do {
            response = try await client.post(URI(string: provider.tokenURL)) { request in
                try request.content.encode(form, as: .urlEncodedForm)
                request.headers.replaceOrAdd(name: .accept, value: "application/json")
                request.timeout = .seconds(15)
            }
        } catch {
            logger.warning("oauth token endpoint unreachable", metadata: ["provider": "\(provider.name)"])
            throw Failure(code: "provider_unavailable")
        }
        guard response.status == .ok, let token = try? response.content.decode(TokenResponse.self, using: JSONDecoder()).access_token,
            !token.isEmpty
        else {
            logger.info("oauth code exchange refused", metadata: ["provider": "\(provider.name)", "status": "\(response.status.code)"])
            throw Failure(code: "exchange_failed")
        }
        return token
    }

    private func getJSON<T: Decodable>(_ url: String, token: String, as type: T.Type) async throws -> T {
        let response: ClientResponse
        do {
            response = try await client.get(URI(string: url)) { request in
                request.headers.bearerAuthorization = .init(token: token)
                request.headers.replaceOrAdd(name: .accept, value: "application/json")
                request.headers.replaceOrAdd(name: .userAgent, value: "HWC3D")
                request.timeout = .seconds(15)
            }
        } catch { throw Failure(code: "provider_unavailable") }
        guard response.status == .ok, let value = try? response.content.decode(T.self, using: JSONDecoder()) else {
            throw Failure(code: "profile_failed")
        }
        return value
    }

    private func fetchIdentity(accessToken: String, provider: Settings.OAuthProvider) async throws -> Identity {
        switch provider.name {
        case "google":
            struct Profile: Decodable { let sub: String; let email: String?; let email_verified: Bool?; let name: String? }
            let p = try await getJSON(provider.userInfoURL, token: accessToken, as: Profile.self)
            return Identity(providerUserID: p.sub, email: p.email, emailVerified: p.email_verified == true, name: p.name,
                            login: p.email?.split(separator: "@").first.map(String.init))
        case "github":
            struct Profile: Decodable { let id: Int64; let login: String; let name: String? }
            struct Email: Decodable { let email: String; let primary: Bool; let verified: Bool }
            let p = try await getJSON(provider.userInfoURL, token: accessToken, as: Profile.self)
            // GitHub's profile email is whatever the user made public; only the emails API says what is verified.
            var email: String?
            if let emailsURL = provider.emailsURL {
                let emails = try await getJSON(emailsURL, token: accessToken, as: [Email].self)
                email = (emails.first { $0.primary && $0.verified } ?? emails.first { $0.verified })?.email
            }
            return Identity(providerUserID: String(p.id), email: email, emailVerified: email != nil, name: p.name, login: p.login)
        case "discord":
            struct Profile: Decodable { let id: String; let username: String; let global_name: String?; let email: String?; let verified: Bool? }
            let p = try await getJSON(provider.userInfoURL, token: accessToken, as: Profile.self)
            return Identity(providerUserID: p.id, email: p.email, emailVerified: p.verified == true, name: p.global_name ?? p.username,
                            login: p.username)
        default:
            throw Failure(code: "unsupported_provider")
        }
    }

    private func link(_ identity: Identity, to userID: UUID, provider: String) async throws {
        if let existing = try await OAuthAccount.query(on: database)
            .filter(\.$provider == provider).filter(\.$providerUserID == identity.providerUserID).first()
        {
            guard existing.$user.id == userID else { throw Failure(code: "account_linked_elsewhere") }
            return
        }
        if try await OAuthAccount.query(on: database).filter(\.$user.$id == userID).filter(\.$provider == provider).first() != nil {
            throw Failure(code: "provider_already_linked")
        }
        try await OAuthAccount(userID: userID, provider: provider, providerUserID: identity.providerUserID,
                               email: identity.email?.lowercased()).create(on: database)
    }

    /// The user this identity signs in as: the one already linked, else the account with the same
    /// provider-verified email (which gets linked), else a new account.
    private func signInUser(for identity: Identity, provider: String) async throws -> User {
        if let linked = try await OAuthAccount.query(on: database)
            .filter(\.$provider == provider).filter(\.$providerUserID == identity.providerUserID).first()
        {
            guard let user = try await UserAccounts(database: database).find(linked.$user.id) else {
                throw Failure(code: "account_unavailable")
            }
            return user
        }
        guard identity.emailVerified, let rawEmail = identity.email else { throw Failure(code: "email_not_verified") }
        let email = AccountRules.normaliseEmail(rawEmail)
        guard AccountRules.emailErrors(email).isEmpty else { throw Failure(code: "email_not_verified") }

        return try await database.transaction { tx in
            let accounts = UserAccounts(database: tx)
            if let user = try await accounts.find(email: email) {
                guard user.status != .deleted else { throw Failure(code: "account_unavailable") }
                // Another identity at this provider already signs in to the account; one per provider.
                if try await OAuthAccount.query(on: tx).filter(\.$user.$id == user.id!).filter(\.$provider == provider).first() != nil {
                    throw Failure(code: "provider_already_linked")
                }
                if user.emailVerifiedAt == nil {
                    // Someone registered this address without proving it. The provider just proved it belongs to
                    // the person signing in, so whoever set the password may not be them: the password and
                    // sessions go, and the address counts as verified.
                    try await accounts.setPasswordHash(nil, of: user)
                    try await accounts.markEmailVerified(user)
                    try await SessionIssuer(services: services).revokeAll(userID: user.id!, reason: "oauth_takeover_guard", on: tx)
                }
                try await OAuthAccount(userID: user.id!, provider: provider, providerUserID: identity.providerUserID, email: email)
                    .create(on: tx)
                return user
            }
            let username = try await availableUsername(from: identity.login ?? email, on: tx)
            let user = try await accounts.open(.init(
                email: email, username: username, passwordHash: nil, displayName: String((identity.name ?? username).prefix(80)),
                emailVerifiedAt: Date()))
            try await OAuthAccount(userID: user.id!, provider: provider, providerUserID: identity.providerUserID, email: email)
                .create(on: tx)
            return user
        }
    }

    private func availableUsername(from seed: String, on database: any Database) async throws -> String {
        var base = String(seed.split(separator: "@").first ?? "user")
            .filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }
        base = String(base.prefix(24))
        if base.count < 3 || AccountRules.reservedUsernames.contains(base.lowercased()) { base = "user" + base }
        for attempt in 0..<20 {
            let candidate = attempt == 0 ? base : "\(base.prefix(24))-\(SecureRandom.digits(4))"
            if try await !UserAccounts(database: database).isUsernameTaken(candidate) {
                return candidate
            }
        }
        return "user-\(UUID().uuidString.prefix(8).lowercased())"
    }

    func unlink(provider: String, userID: UUID) async throws {
        guard let account = try await OAuthAccount.query(on: database)
            .filter(\.$user.$id == userID).filter(\.$provider == provider.lowercased()).first()
        else { throw Problem.notFound("Linked account") }
        guard let user = try await UserAccounts(database: database).find(userID) else { throw Problem.notFound("Linked account") }
        let others = try await OAuthAccount.query(on: database).filter(\.$user.$id == userID).count() - 1
        guard user.passwordHash != nil || others > 0 else {
            throw Problem.conflict(
                "last-sign-in-method", "Last way to sign in",
                detail: "This is the only way to sign in to the account. Set a password (reset it by email) or link another provider first.")
        }
        try await account.delete(on: database)
    }
}
