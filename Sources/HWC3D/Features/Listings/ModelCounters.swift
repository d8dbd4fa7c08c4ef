import Fluent
import Foundation
import SQLKit

/// The writes other features make to a model's row, in their own transactions: engagement counters, the cover
/// image, the "something changed" stamp. `models` is Listings' table; this is the whole of what others may
/// change in it.
enum ModelCounters {
    enum Counter: String, Sendable {
        case likes = "like_count"
        case comments = "comment_count"
        case views = "view_count"
        case downloads = "download_count"
        case sales = "sales_count"
    }

    /// Moves one counter of one model by `delta` (atomic in SQL, exact under concurrency).
    static func add(_ delta: Int, to counter: Counter, of modelID: UUID, on database: any Database) async throws {
        try await database.preparedRun(
            "UPDATE models SET \(unsafeRaw: counter.rawValue) = \(unsafeRaw: counter.rawValue) + \(bind: delta) WHERE id = \(bind: modelID)"
        )
    }

    /// Moves a counter down by one on every model a person liked, commented… (`modelIDs` is a subquery that
    /// the owner of those rows hands over: it names its own table, so the statement stays split by owner).
    static func subtractOne(from counter: Counter, ofModelsIn modelIDs: SQLQueryString, on database: any Database) async throws {
        try await database.preparedRun(
            "UPDATE models SET \(unsafeRaw: counter.rawValue) = \(unsafeRaw: counter.rawValue) - 1 WHERE id IN (\(modelIDs))"
        )
    }

    /// The image shown on cards (nil: none).
    static func setCover(_ imageID: UUID?, of modelID: UUID, on database: any Database) async throws {
        try await database.preparedRun("UPDATE models SET cover_image_id = \(bind: imageID) WHERE id = \(bind: modelID)")
    }

    /// Writes the model's row first thing in a gallery change, so concurrent changes of one model's images queue
    /// behind each other (the row lock), and reads what the gallery rules need. A deleted model is not found.
    static func lockForGallery(_ modelID: UUID, on sql: any SQLDatabase) async throws -> (coverID: UUID?, status: ModelAsset.Status) {
        guard let row = try await sql.raw("""
            UPDATE models SET updated_at = \(bind: Date()) WHERE id = \(bind: modelID) AND deleted_at IS NULL
            RETURNING cover_image_id, status
            """).first()
        else { throw ModelAccess.notFound }
        let status = ModelAsset.Status(rawValue: try row.decode(column: "status", as: String.self)) ?? .draft
        return (try row.decode(column: "cover_image_id", as: UUID?.self), status)
    }

    /// Marks a live model changed, so list caches keyed on `MAX(updated_at)` let go of it.
    static func touch(_ modelID: UUID, on database: any Database, at now: Date = Date()) async throws {
        try await database.preparedRun("UPDATE models SET updated_at = \(bind: now) WHERE id = \(bind: modelID) AND deleted_at IS NULL")
    }
}
