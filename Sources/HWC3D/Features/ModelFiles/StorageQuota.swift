import Fluent
import Foundation
import SQLKit

/// Bytes a user keeps in storage: every file and image of their models, deleted models included (buyers still
/// download those).
enum StorageQuota {
    static func used(by ownerID: UUID, on database: any Database) async throws -> Int64 {
        let sql = database.sql
        let row = try await sql.raw("""
            SELECT CAST((SELECT COALESCE(SUM(size_bytes), 0) FROM model_files WHERE owner_id = \(bind: ownerID))
                 + \(ModelImageService.storedBytes(by: ownerID)) + \(UploadedImages.storedBytes(by: ownerID)) AS BIGINT) AS used
            """).first()
        return try row?.decode(column: "used", as: Int64.self) ?? 0
    }

    /// Refuses with 413 `quota-exceeded` unless `bytes` more still fit within `quota`.
    static func ensureRoom(for ownerID: UUID, adding bytes: Int64, quota: Int64, on database: any Database) async throws {
        guard try await used(by: ownerID, on: database) + bytes <= quota else { throw exceeded(quota: quota) }
    }

    static func left(for ownerID: UUID, settings: Settings, on database: any Database) async throws -> Int64 {
        max(0, settings.storageQuotaBytes - (try await used(by: ownerID, on: database)))
    }

    static func exceeded(quota: Int64) -> Problem {
        Problem(
            .payloadTooLarge, "quota-exceeded", "Storage quota exceeded",
            detail: "This upload would take you past your storage quota of \(ByteCountFormatting.describe(Int(quota))). Remove files or images you no longer need.")
    }
}
