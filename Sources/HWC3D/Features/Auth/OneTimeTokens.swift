import Fluent
import Foundation

/// Issue, look at and consume single-use tokens; only their hashes touch the database.
struct OneTimeTokens {
    let database: any Database

    func issue(for userID: UUID, purpose: OneTimeToken.Purpose, lifetime: TimeInterval) async throws -> String {
        let token = SecureRandom.token(bytes: 32)
        try await OneTimeToken(userID: userID, purpose: purpose, tokenHash: TokenHash.sha256(token),
                               expiresAt: Date().addingTimeInterval(lifetime)).create(on: database)
        return token
    }

    func peek(_ token: String, purpose: OneTimeToken.Purpose) async throws -> OneTimeToken? {
        guard !token.isEmpty, token.count <= 200 else { return nil }
        guard let stored = try await OneTimeToken.query(on: database)
            .filter(\.$tokenHash == TokenHash.sha256(token)).filter(\.$purpose == purpose.rawValue).first(),
            stored.usedAt == nil, stored.expiresAt > Date()
        else { return nil }
        return stored
    }

    /// Marks the token used, atomically: of two concurrent uses only one succeeds.
    func consume(_ token: String, purpose: OneTimeToken.Purpose) async throws -> OneTimeToken {
        let invalid = Problem.invalidToken("The link is invalid, expired or already used.")
        guard let stored = try await peek(token, purpose: purpose) else { throw invalid }
        guard try await AtomicClaim.markOnce(table: OneTimeToken.schema, id: stored.id!, column: "used_at", at: Date(), on: database)
        else { throw invalid }
        return stored
    }

    func retireUnused(for userID: UUID, purpose: OneTimeToken.Purpose) async throws {
        try await OneTimeToken.query(on: database)
            .filter(\.$user.$id == userID).filter(\.$purpose == purpose.rawValue).filter(\.$usedAt == nil)
            .set(\.$usedAt, to: Date()).update()
    }
}
