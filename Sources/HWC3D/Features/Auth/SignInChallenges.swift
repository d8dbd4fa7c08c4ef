import Fluent
import Foundation
import SQLKit

/// A password step that passed and waits for a second factor (admin sign-in). The challenge has no secret of its
/// own: the signed challenge token names it by id. An emailed code is kept only as a hash.
struct SignInChallenge: Sendable {
    let id: UUID
    let userID: UUID
    let attempts: Int
    let codeHash: String?
}

/// Challenges are stored with the other single-use tokens (`one_time_tokens`, purpose `admin_challenge`), so
/// Admin asks here rather than reading that table.
struct SignInChallenges: Sendable {
    let database: any Database

    func open(for userID: UUID, lifetime: TimeInterval, now: Date = Date()) async throws -> SignInChallenge {
        let token = OneTimeToken(
            userID: userID, purpose: .adminChallenge, tokenHash: TokenHash.sha256(SecureRandom.token()),
            expiresAt: now.addingTimeInterval(lifetime))
        try await token.create(on: database)
        return SignInChallenge(id: token.id!, userID: userID, attempts: 0, codeHash: nil)
    }

    /// The challenge if it belongs to `userID`, is unused and has not expired; nil otherwise, whatever the reason.
    func live(_ id: UUID, of userID: UUID) async throws -> SignInChallenge? {
        guard let token = try await OneTimeToken.find(id, on: database),
            token.purpose == OneTimeToken.Purpose.adminChallenge.rawValue, token.$user.id == userID,
            token.usedAt == nil, token.expiresAt > Date()
        else { return nil }
        return SignInChallenge(id: id, userID: userID, attempts: token.attempts, codeHash: token.codeHash)
    }

    func setCodeHash(_ codeHash: String, of id: UUID) async throws {
        try await OneTimeToken.query(on: database).filter(\.$id == id).set(\.$codeHash, to: codeHash).update()
    }

    /// Counted in the database, so wrong answers sent at once all count.
    func recordWrongAnswer(_ id: UUID) async throws {
        try await database.sql.raw("UPDATE one_time_tokens SET attempts = attempts + 1 WHERE id = \(bind: id)").run()
    }

    /// Closes the challenge once: of two answers that race, only one gets true.
    func close(_ id: UUID) async throws -> Bool {
        try await AtomicClaim.markOnce(table: OneTimeToken.schema, id: id, column: "used_at", at: Date(), on: database)
    }
}
