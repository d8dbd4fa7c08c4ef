import Crypto
import Fluent
import Foundation
import SQLKit

/// Who has been counted as a viewer of which model on which UTC day. Rows only matter for their own day, so a
/// job may later delete those older than two days; until then the table grows by at most one row per viewer,
/// model and day.
struct CreateModelViews: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("model_views")
            .field("model_id", .uuid, .required, .references(ModelAsset.schema, .id, onDelete: .cascade))
            .field("viewer_key", .string, .required)
            .field("day", .string, .required)
            .unique(on: "model_id", "viewer_key", "day")
            .create()
        try await DatabaseIndex.create("model_views_day_idx", on: "model_views", columns: ["day"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema("model_views").delete()
    }
}

/// Counts one view per viewer per model per UTC day. A signed-in viewer is `u:<user id>`; anyone else is a keyed
/// hash of address and user agent, so the table never holds an address, and the day is part of the hash, so
/// one visitor's keys cannot be linked from one day to the next.
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
        case anonymous(clientIP: String, userAgent: String)
    }

    func viewerKey(_ viewer: Viewer, day: String) -> String {
        switch viewer {
        case .user(let id):
            return "u:" + id.uuidString.lowercased()
        case .anonymous(let clientIP, let userAgent):
            let message = Data("\(day)\n\(clientIP)\n\(userAgent.prefix(512))".utf8)
            let mac = HMAC<SHA256>.authenticationCode(for: message, using: key)
            return "a:" + mac.map { String(format: "%02x", $0) }.joined()
        }
    }

    /// The owner's own views are never counted. The first view of the day moves `view_count` and the day's
    /// statistics in the same transaction as the row that remembers it.
    func record(_ model: ModelAsset, viewer: Viewer, now: Date = Date()) async throws -> (counted: Bool, viewCount: Int) {
        let modelID = model.id!
        if case .user(let id) = viewer, id == model.$owner.id { return (false, try await viewCount(modelID)) }
        let day = UTCDay.string(now)
        let viewerKey = viewerKey(viewer, day: day)
        let counted = try await database.transaction { tx -> Bool in
            let sql = tx as! any SQLDatabase
            let inserted = try await sql.raw("""
                INSERT INTO model_views (model_id, viewer_key, day) VALUES (\(bind: modelID), \(bind: viewerKey), \(bind: day))
                ON CONFLICT (model_id, viewer_key, day) DO NOTHING RETURNING viewer_key
                """).all()
            guard !inserted.isEmpty else { return false }
            try await sql.raw("UPDATE models SET view_count = view_count + 1 WHERE id = \(bind: modelID)").run()
            try await ModelActivity.record(.view, modelID: modelID, on: tx, at: now)
            return true
        }
        return (counted, try await viewCount(modelID))
    }

    private func viewCount(_ modelID: UUID) async throws -> Int {
        let sql = database as! any SQLDatabase
        return try await sql.raw("SELECT view_count FROM models WHERE id = \(bind: modelID)").first()?
            .decode(column: "view_count", as: Int.self) ?? 0
    }
}
