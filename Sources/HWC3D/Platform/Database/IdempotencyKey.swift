import Crypto
import Fluent
import Foundation
import SQLKit

/// `Idempotency-Key` for money-moving POSTs. The first request with a key claims it (a unique row per user, scope
/// and key) and records its progress; the finished answer is stored, so a retry with the same key and body gets
/// that answer again even after a crash or a lost response. A running request holds a short lease: a second
/// request meanwhile is told to wait (409), and a request that finds the lease of a crashed one expired takes
/// it over and resumes from the recorded progress.
final class IdempotencyKey: Model, @unchecked Sendable {
    static let schema = "idempotency_keys"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "scope") var scope: String
    @Field(key: "key") var key: String
    /// SHA-256 of the request body as understood (its canonical form), to refuse the key with another body.
    @Field(key: "request_hash") var requestHash: String
    /// The row the request created, once it exists: where a resumed request continues from.
    @OptionalField(key: "resource_id") var resourceID: UUID?
    @OptionalField(key: "response_status") var responseStatus: Int?
    @OptionalField(key: "response_body") var responseBody: String?
    @Field(key: "locked_until") var lockedUntil: Date
    @Field(key: "created_at") var createdAt: Date

    init() {}

    var isFinished: Bool { responseStatus != nil }

    /// Keys are the client's: 1 to 255 visible ASCII characters.
    static func validate(_ raw: String?) throws -> String {
        guard let raw, !raw.isEmpty else {
            throw Problem(.badRequest, "idempotency-key-required", "Idempotency-Key required",
                          detail: "Send an Idempotency-Key header unique to this attempt; retries reuse it.")
        }
        guard raw.count <= 255, raw.utf8.allSatisfy({ (0x21...0x7e).contains($0) }) else {
            throw Problem.validation(field: "Idempotency-Key", "must be 1 to 255 visible ASCII characters")
        }
        return raw
    }

    static func hash<Body: Encodable>(_ body: Body) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return SHA256.hash(data: try encoder.encode(body)).map { String(format: "%02x", $0) }.joined()
    }

    enum Claim {
        /// This request holds the key; `record.resourceID` is set when an earlier attempt got that far.
        case claimed(IdempotencyKey)
        /// The answer of the request that finished with this key.
        case finished(status: Int, body: String)
    }

    static let leaseSeconds: TimeInterval = 30

    static func claim(userID: UUID, scope: String, key: String, requestHash: String, on database: any Database, now: Date = Date()) async throws -> Claim {
        let id = UUID.v7(now: now)
        let inserted = try await database.preparedFirst("""
            INSERT INTO idempotency_keys (id, user_id, scope, key, request_hash, locked_until, created_at)
            VALUES (\(bind: id), \(bind: userID), \(bind: scope), \(bind: key), \(bind: requestHash), \(bind: now.addingTimeInterval(leaseSeconds)), \(bind: now))
            ON CONFLICT (user_id, scope, key) DO NOTHING RETURNING *
            """)
        if let inserted { return .claimed(try record(from: inserted)) }
        guard let existing = try await IdempotencyKey.query(on: database)
            .filter(\.$userID == userID).filter(\.$scope == scope).filter(\.$key == key).first()
        else { throw ProblemMiddleware.internalError }
        guard existing.requestHash == requestHash else {
            throw Problem(.unprocessableEntity, "idempotency-key-reused", "Idempotency key reused",
                          detail: "This Idempotency-Key was used with a different request body; use a new key for a new request.")
        }
        if let status = existing.responseStatus, let body = existing.responseBody { return .finished(status: status, body: body) }
        // Take over an expired lease only if nobody else took it first.
        let taken = try await database.preparedFirst("""
            UPDATE idempotency_keys SET locked_until = \(bind: now.addingTimeInterval(leaseSeconds))
            WHERE id = \(bind: existing.requireID()) AND response_status IS NULL AND locked_until < \(bind: now) RETURNING *
            """)
        guard let taken else {
            throw Problem(.conflict, "idempotency-key-in-use", "Request in progress",
                          detail: "A request with this Idempotency-Key is still being processed; retry in a few seconds.")
        }
        return .claimed(try record(from: taken))
    }

    /// The row the claim's statement returned, decoded column by column (no second read through Fluent). Every
    /// change below is its own targeted `UPDATE`, never `update(on:)` of the whole record.
    private static func record(from row: any SQLRow) throws -> IdempotencyKey {
        let record = IdempotencyKey()
        record.id = try row.decode(column: "id", as: UUID.self)
        record.userID = try row.decode(column: "user_id", as: UUID.self)
        record.scope = try row.decode(column: "scope", as: String.self)
        record.key = try row.decode(column: "key", as: String.self)
        record.requestHash = try row.decode(column: "request_hash", as: String.self)
        record.resourceID = try row.decode(column: "resource_id", as: UUID?.self)
        record.responseStatus = try row.decode(column: "response_status", as: Int?.self)
        record.responseBody = try row.decode(column: "response_body", as: String?.self)
        record.lockedUntil = try row.decode(column: "locked_until", as: Date.self)
        record.createdAt = try row.decode(column: "created_at", as: Date.self)
        record.$id.exists = true
        return record
    }

    func attach(resourceID: UUID, on database: any Database) async throws {
        self.resourceID = resourceID
        try await database.preparedRun("UPDATE idempotency_keys SET resource_id = \(bind: resourceID) WHERE id = \(bind: requireID())")
    }

    func finish(status: Int, body: String, on database: any Database) async throws {
        responseStatus = status
        responseBody = body
        try await database.preparedRun("""
            UPDATE idempotency_keys SET response_status = \(bind: status), response_body = \(bind: body) WHERE id = \(bind: requireID())
            """)
    }

    /// Lets a retry resume at once after a failure that is worth retrying (a provider that did not answer).
    func release(on database: any Database) async throws {
        lockedUntil = Date(timeIntervalSince1970: 0)
        try await database.preparedRun("UPDATE idempotency_keys SET locked_until = \(bind: lockedUntil) WHERE id = \(bind: requireID())")
    }

    /// Forgets the key after a refusal, so the same key may be used again once the client fixed its request:
    /// only a finished request is replayed.
    func forget(on database: any Database) async throws {
        try await delete(on: database)
    }
}
