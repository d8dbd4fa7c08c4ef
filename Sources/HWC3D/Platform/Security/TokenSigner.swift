import Foundation
import JWTKit

/// Claims of the 15-minute access token. `sid` names the session, so revoking a session ends its access tokens
/// too; `adm` marks a session that passed the admin second factor.
struct AccessTokenClaims: JWTPayload {
    var sub: SubjectClaim
    var sid: String
    var adm: Bool
    var typ: String
    var iat: IssuedAtClaim
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard typ == "access" else { throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "not an access token") }
    }
}

/// The short-lived proof that an admin passed the password step, exchanged for a session with the second factor.
struct AdminChallengeClaims: JWTPayload {
    var sub: SubjectClaim
    var cid: String
    var typ: String
    var exp: ExpirationClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        guard typ == "admin_challenge" else {
            throw JWTError.claimVerificationFailure(failedClaim: nil, reason: "not an admin challenge")
        }
    }
}

/// Signs and verifies the server's JWTs with HS256 and only HS256: a token naming another algorithm (`none`
/// included) or signed with another key is refused.
struct TokenSigner: Sendable {
    static let accessTokenLifetime: TimeInterval = 15 * 60
    static let challengeLifetime: TimeInterval = 10 * 60

    private let keys: JWTKeyCollection
    private let secret: String

    init(secret: String) async {
        self.secret = secret
        keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
    }

    func accessToken(userID: UUID, sessionID: UUID, admin: Bool, now: Date) async throws -> String {
        try await keys.sign(AccessTokenClaims(
            sub: .init(value: userID.uuidString), sid: sessionID.uuidString, adm: admin, typ: "access",
            iat: .init(value: now), exp: .init(value: now.addingTimeInterval(Self.accessTokenLifetime))))
    }

    func verifyAccessToken(_ token: String) async throws -> AccessTokenClaims {
        do {
            return try await keys.verify(token, as: AccessTokenClaims.self)
        } catch {
            throw Problem.invalidToken("The access token is invalid or expired.")
        }
    }

    func challengeToken(userID: UUID, challengeID: UUID, now: Date) async throws -> String {
        try await keys.sign(AdminChallengeClaims(
            sub: .init(value: userID.uuidString), cid: challengeID.uuidString, typ: "admin_challenge",
            exp: .init(value: now.addingTimeInterval(Self.challengeLifetime))))
    }

    func verifyChallengeToken(_ token: String) async throws -> AdminChallengeClaims {
        do {
            return try await keys.verify(token, as: AdminChallengeClaims.self)
        } catch {
            throw Problem.invalidToken("The sign-in challenge is invalid or expired; sign in again.")
        }
    }

    /// The CSRF token of a session: derived, so it needs no storage and cannot be planted from another session.
    func csrfToken(sessionID: UUID) -> String {
        SecretBox.mac(secret: secret, message: "csrf:\(sessionID.uuidString)")
    }
}
