import Foundation
import NIOConcurrencyHelpers

/// Fixed-window counters per (policy, key), in process. One instance needs nothing else; the login failure
/// throttle, which must hold across instances, lives in the database instead (`LoginThrottle`).
final class RateLimiter: Sendable {
    struct Decision: Sendable {
        let allowed: Bool
        let limit: Int
        let remaining: Int
        let resetSeconds: Int
        let windowSeconds: Int
        let policy: String

        /// IETF httpapi ratelimit-headers: the policy and the caller's current standing in it.
        var headers: [(String, String)] {
            [
                ("RateLimit-Policy", "\"\(policy)\";q=\(limit);w=\(windowSeconds)"),
                ("RateLimit", "\"\(policy)\";r=\(remaining);t=\(resetSeconds)"),
            ]
        }
    }

    private struct Window {
        var start: Int
        var count: Int
    }

    private let windows = NIOLockedValueBox([String: Window]())

    func hit(policy: String, limit: Int, windowSeconds: Int, key: String, now: Date = Date()) -> Decision {
        let nowSeconds = Int(now.timeIntervalSince1970)
        let start = nowSeconds - nowSeconds % windowSeconds
        let count = windows.withLockedValue { windows -> Int in
            if windows.count > 100_000 { windows = windows.filter { $0.value.start + windowSeconds * 2 > nowSeconds } }
            let id = "\(policy)|\(key)"
            var window = windows[id] ?? Window(start: start, count: 0)
            if window.start != start { window = Window(start: start, count: 0) }
            window.count += 1
            windows[id] = window
            return window.count
        }
        return Decision(
            allowed: count <= limit, limit: limit, remaining: max(0, limit - count),
            resetSeconds: start + windowSeconds - nowSeconds, windowSeconds: windowSeconds, policy: policy)
    }
}

/// The named policies. Credentials and one-time codes get strict budgets per IP; everything else shares a generous
/// one per user (or per IP when signed out). Which operation uses which is declared in its `x-policy`.
enum RateLimitPolicies {
    struct Policy: Sendable {
        let name: String
        let limit: Int
        let windowSeconds: Int
        let perUser: Bool
    }

    static let defaults: [String: Policy] = [
        "default": .init(name: "default", limit: 600, windowSeconds: 60, perUser: true),
        "login": .init(name: "login", limit: 20, windowSeconds: 60, perUser: false),
        "register": .init(name: "register", limit: 10, windowSeconds: 3600, perUser: false),
        "password": .init(name: "password", limit: 5, windowSeconds: 900, perUser: false),
        "otp": .init(name: "otp", limit: 10, windowSeconds: 900, perUser: false),
        "email": .init(name: "email", limit: 3, windowSeconds: 900, perUser: true),
        "upload": .init(name: "upload", limit: 120, windowSeconds: 3600, perUser: true),
        "comment": .init(name: "comment", limit: 30, windowSeconds: 600, perUser: true),
        "community": .init(name: "community", limit: 5, windowSeconds: 3600, perUser: true),
    ]

    static func policy(named name: String, settings: Settings) -> Policy {
        let base = defaults[name] ?? defaults["default"]!
        if let override = settings.rateLimitOverrides[name] {
            return Policy(name: name, limit: override.limit, windowSeconds: override.windowSeconds, perUser: base.perUser)
        }
        return base
    }
}
