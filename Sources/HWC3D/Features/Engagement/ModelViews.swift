import Crypto
import Fluent
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SQLKit

/// Counts one view per viewer per model per UTC day, whatever the client says about itself. A signed-in viewer is
/// `u:<user id>`; anyone else is a keyed hash of their network (the IPv4 address, or the IPv6 /64 that one
/// subscriber holds) and the day, so changing the User-Agent or hopping addresses inside one's own /64 counts
/// nothing new, the table never holds an address, and one visitor's keys cannot be linked across days. Known
/// bots and clients that name no User-Agent are never counted.
struct ModelViewCounter: Sendable {
    let database: any Database
    private let key: SymmetricKey

    init(database: any Database, serverSecret: String) {
        self.database = database
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(serverSecret.utf8)),
            info: Data("hwc3d:model-viewer".utf8), outputByteCount: 32)
    }

    enum Viewer: Sendable {
        case user(UUID)
        case anonymous(clientIP: String)
        /// A crawler, monitor or script: answered, never counted.
        case bot
    }

    /// Who is viewing, from the caller or, signed out, the address and User-Agent of the request.
    static func viewer(caller: Caller?, clientIP: String, userAgent: String?) -> Viewer {
        if let caller { return .user(caller.userID) }
        if KnownBots.matches(userAgent) { return .bot }
        return .anonymous(clientIP: clientIP)
    }

    func viewerKey(_ viewer: Viewer, day: String) -> String? {
        switch viewer {
        case .user(let id):
            return "u:" + id.uuidString.lowercased()
        case .anonymous(let clientIP):
            let message = Data("\(day)\n\(ViewerNetwork.of(clientIP))".utf8)
            let mac = HMAC<SHA256>.authenticationCode(for: message, using: key)
            return "a:" + mac.map { String(format: "%02x", $0) }.joined()
        case .bot:
            return nil
        }
    }

    /// The owner's own views are never counted. The first view of the day moves `view_count` and the day's
    /// statistics in the same transaction as the row that remembers it.
    func record(_ model: ModelAsset, viewer: Viewer, now: Date = Date()) async throws -> (counted: Bool, viewCount: Int) {
        let modelID = model.id!
        if case .user(let id) = viewer, id == model.$owner.id { return (false, try await viewCount(modelID)) }
        let day = UTCDay.string(now)
        guard let viewerKey = viewerKey(viewer, day: day) else { return (false, try await viewCount(modelID)) }
        let counted = try await database.transaction { tx -> Bool in
            let sql = tx.sql
            let inserted = try await sql.raw("""
                INSERT INTO model_views (model_id, viewer_key, day) VALUES (\(bind: modelID), \(bind: viewerKey), \(bind: day))
                ON CONFLICT (model_id, viewer_key, day) DO NOTHING RETURNING viewer_key
                """).all()
            guard !inserted.isEmpty else { return false }
            try await ModelCounters.add(1, to: .views, of: modelID, on: tx)
            try await ModelActivity.record(.view, modelID: modelID, on: tx, at: now)
            return true
        }
        return (counted, try await viewCount(modelID))
    }

    private func viewCount(_ modelID: UUID) async throws -> Int {
        let sql = database.sql
        return try await sql.raw("SELECT \(ListingSQL.counterValue(.views, of: modelID)) AS view_count").first()?
            .decode(column: "view_count", as: Int?.self) ?? 0
    }
}

/// The part of an address that one visitor controls: an IPv4 address, or the /64 prefix of an IPv6 address
/// (RFC 6177: a subscriber is usually given a whole /64, so its 2^64 addresses are one visitor).
enum ViewerNetwork {
    static func of(_ address: String) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        guard address.contains(":"), inet_pton(AF_INET6, address, &bytes) == 1 else { return address }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            return bytes[12...].map(String.init).joined(separator: ".")  // IPv4-mapped
        }
        return bytes[0..<8].map { String(format: "%02x", $0) }.joined() + "::/64"
    }
}

/// User-Agent markers of crawlers, link previewers, monitors and HTTP libraries. Browsers, which the frontend
/// runs in, always send a User-Agent without them; views from anything else do not rank models.
enum KnownBots {
    static let markers = [
        "bot", "crawl", "spider", "slurp", "headless", "lighthouse", "pingdom", "uptime", "monitor", "preview",
        "facebookexternalhit", "embedly", "curl/", "wget/", "python-", "aiohttp", "httpx", "go-http-client", "java/",
        "okhttp", "libwww", "scrapy", "node-fetch", "undici", "axios/", "postman", "insomnia", "httpie", "wrk",
        "apachebench", "k6/", "jmeter", "phantomjs", "selenium", "playwright", "puppeteer",
    ]

    static func matches(_ userAgent: String?) -> Bool {
        guard let userAgent, !userAgent.trimmingCharacters(in: .whitespaces).isEmpty else { return true }
        let lowered = userAgent.prefix(512).lowercased()
        return markers.contains { lowered.contains($0) }
    }
}
