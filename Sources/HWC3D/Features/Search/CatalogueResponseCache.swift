import Fluent
import Foundation
import HTTPTypes
import NIOConcurrencyHelpers
import OpenAPIRuntime
import SQLKit
import Vapor

/// Recent `GET /models` answers of this instance, kept as the bytes that were sent, so the queries everyone asks
/// (the home page, a category, a popular search) cost one tiny statement instead of a search, a count, three
/// facets and the encoding of twenty cards each time. The answer does not depend on who asks; credentials are
/// still checked first, so a broken token gets its 401 rather than a cached page.
///
/// An answer is reused only while `MAX(models.updated_at)` is what it was when the answer was made, so any change
/// to any model row through the models' write paths, by any instance, retires every cached answer at once; and
/// never for longer than `CATALOGUE_CACHE_SECONDS` (default 10 s, 0 turns the cache off, as tests do). What moves
/// without touching `updated_at` (counters updated in place, trending activity, a creator's new display name) can
/// therefore show up to that long late in lists.
struct CatalogueResponseCache: ServerMiddleware {
    /// The name an operation's `x-policy` gives to be answered from this cache.
    static let name = "catalogue"
    static let capacity = 1_000
    /// Larger answers (there are none today: 100 cards are about 130 KB) are passed through uncached.
    static let maxBytes = 1 << 20

    let lifetime: TimeInterval
    let policies: RoutePolicies
    private let store = Store()

    init(lifetime: TimeInterval, policies: RoutePolicies) {
        self.lifetime = lifetime
        self.policies = policies
    }

    func intercept(
        _ request: HTTPTypes.HTTPRequest, body: OpenAPIRuntime.HTTPBody?, metadata: ServerRequestMetadata,
        operationID: String,
        next: @Sendable (HTTPTypes.HTTPRequest, OpenAPIRuntime.HTTPBody?, ServerRequestMetadata) async throws -> (
            HTTPTypes.HTTPResponse, OpenAPIRuntime.HTTPBody?
        )
    ) async throws -> (HTTPTypes.HTTPResponse, OpenAPIRuntime.HTTPBody?) {
        guard lifetime > 0, policies[operationID]?.cache == Self.name, request.method == .get, let key = request.path else {
            return try await next(request, body, metadata)
        }
        let vaporRequest = try CurrentRequest.get()
        _ = try await vaporRequest.caller()
        let stamp = try await Self.stamp(on: vaporRequest.db.sql)
        let now = Date()
        if let entry = store.fresh(key, stamp: stamp, now: now, lifetime: lifetime) {
            return (HTTPResponse(status: .ok, headerFields: entry.headers), HTTPBody(entry.bytes))
        }
        // One request computes a missing answer; the others asking for it meanwhile wait for that one, so an
        // expired popular page costs one search, not one per waiting connection.
        let (flight, leads) = store.flight(key)
        guard leads else {
            guard let entry = try await flight.wait() else { return try await next(request, body, metadata) }
            return (HTTPResponse(status: .ok, headerFields: entry.headers), HTTPBody(entry.bytes))
        }
        do {
            let (response, responseBody) = try await next(request, body, metadata)
            guard response.status == .ok, let responseBody,
                let bytes = try? await [UInt8](collecting: responseBody, upTo: Self.maxBytes)
            else {
                store.land(key, flight, with: .success(nil), now: now, lifetime: lifetime)
                return (response, responseBody)
            }
            let entry = Entry(stamp: stamp, storedAt: now, headers: response.headerFields, bytes: bytes)
            store.land(key, flight, with: .success(entry), now: now, lifetime: lifetime)
            return (response, HTTPBody(bytes))
        } catch {
            store.land(key, flight, with: .failure(error), now: now, lifetime: lifetime)
            throw error
        }
    }

    /// The newest change to any model, as seconds since 1970 (0 for an empty catalogue); one probe of the
    /// `updated_at` index.
    static func stamp(on sql: any SQLDatabase) async throws -> Double {
        let row = try await sql.raw("SELECT \(ListingSQL.lastChange) AS stamp").first()
        return try row?.decode(column: "stamp", as: Date?.self)?.timeIntervalSince1970 ?? 0
    }

    struct Entry: Sendable {
        let stamp: Double
        let storedAt: Date
        let headers: HTTPFields
        let bytes: [UInt8]
    }

    /// A computation under way; those who wait for it get its outcome.
    final class Flight: Sendable {
        private struct State {
            var outcome: Result<Entry?, any Error>?
            var waiters: [CheckedContinuation<Entry?, any Error>] = []
        }
        private let state = NIOLockedValueBox(State())

        func wait() async throws -> Entry? {
            try await withCheckedThrowingContinuation { continuation in
                let outcome = state.withLockedValue { state in
                    if state.outcome == nil { state.waiters.append(continuation) }
                    return state.outcome
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        }

        func finish(_ outcome: Result<Entry?, any Error>) {
            let waiters = state.withLockedValue { state in
                state.outcome = outcome
                defer { state.waiters = [] }
                return state.waiters
            }
            for waiter in waiters { waiter.resume(with: outcome) }
        }
    }

    private final class Store: Sendable {
        private struct State {
            var entries: [String: Entry] = [:]
            var flights: [String: Flight] = [:]
        }
        private let state = NIOLockedValueBox(State())

        func fresh(_ key: String, stamp: Double, now: Date, lifetime: TimeInterval) -> Entry? {
            guard let entry = state.withLockedValue({ $0.entries[key] }), entry.stamp == stamp,
                now.timeIntervalSince(entry.storedAt) < lifetime
            else { return nil }
            return entry
        }

        /// The computation under way for `key`, and whether the caller has just started it (and must land it).
        func flight(_ key: String) -> (Flight, leads: Bool) {
            state.withLockedValue { state in
                if let running = state.flights[key] { return (running, false) }
                let flight = Flight()
                state.flights[key] = flight
                return (flight, true)
            }
        }

        /// Ends `flight`, keeping its answer if it has one, and tells those waiting.
        func land(_ key: String, _ flight: Flight, with outcome: Result<Entry?, any Error>, now: Date, lifetime: TimeInterval) {
            state.withLockedValue { state in
                state.flights[key] = nil
                guard case .success(let entry?) = outcome else { return }
                if state.entries.count >= CatalogueResponseCache.capacity {
                    state.entries = state.entries.filter {
                        $0.value.stamp == entry.stamp && now.timeIntervalSince($0.value.storedAt) < lifetime
                    }
                    // Still full of fresh answers: start over rather than track recency on every hit.
                    if state.entries.count >= CatalogueResponseCache.capacity { state.entries.removeAll(keepingCapacity: true) }
                }
                state.entries[key] = entry
            }
            flight.finish(outcome)
        }
    }
}
