import Fluent
import Foundation

/// Counts failed sign-ins per account identifier and per IP in the database (shared by every instance). Past the
/// limit, sign-in answers 429 until the window passes, whether or not the account exists: the identifier is
/// counted as typed, never looked up first.
struct LoginThrottle: Sendable {
    let limit: Int
    let window: TimeInterval

    func keys(identifier: String, ip: String, scope: String) -> [String] {
        ["\(scope):acct:\(identifier.lowercased())", "\(scope):ip:\(ip)"]
    }

    func check(_ keys: [String], on database: any Database, now: Date = Date()) async throws {
        let since = now.addingTimeInterval(-window)
        for key in keys {
            let failures = try await LoginFailure.query(on: database)
                .filter(\.$throttleKey == key).filter(\.$createdAt > since)
                .sort(\.$createdAt, .ascending).all(\.$createdAt)
            if failures.count >= limit, let oldest = failures.first {
                let retryAfter = max(1, Int(ceil(oldest.addingTimeInterval(window).timeIntervalSince(now))))
                throw Problem(
                    .tooManyRequests, "login-throttled", "Too many failed sign-ins",
                    detail: "Too many failed sign-in attempts. Try again in \(retryAfter) seconds.",
                    headers: [("Retry-After", String(retryAfter))])
            }
        }
    }

    func recordFailure(_ keys: [String], on database: any Database, now: Date = Date()) async throws {
        for key in keys { try await LoginFailure(key: key, at: now).create(on: database) }
        // Old rows only ever matter inside the window; trim them as we go.
        try await LoginFailure.query(on: database).filter(\.$createdAt < now.addingTimeInterval(-window * 2)).delete()
    }

    /// A successful sign-in clears the account's count (not the IP's, or one good account would reset an
    /// attacker's budget for every other).
    func recordSuccess(_ keys: [String], on database: any Database) async throws {
        guard let accountKey = keys.first else { return }
        try await LoginFailure.query(on: database).filter(\.$throttleKey == accountKey).delete()
    }
}
