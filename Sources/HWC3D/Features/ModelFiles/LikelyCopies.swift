import Fluent
import Foundation
import HWC3DAPI
import MeshInspector
import SQLKit

/// Finds files that copy another creator's published model, so the copy is held for review with the match in
/// front of the moderator. A file matches when its bytes are identical to a published file of another creator, or
/// when its shape fingerprint is within `ShapeFingerprint.matchThreshold` of one: the fingerprint ignores format,
/// vertex order, triangulation, position, rotation and uniform scale, so a GLB converted to OBJ or FBX and moved
/// about still matches. Candidates are shortlisted by the fingerprint's indexed bucket and its neighbours (a copy's
/// bucket may be one step off on each of its three coarse invariants), which keeps about a sixth of the catalogue
/// out of the distance work; `maxCandidates` bounds the rest.
enum LikelyCopies {
    struct Candidate: Sendable {
        let fileID: UUID
        let modelID: UUID
    }

    /// More candidates than any real bucket holds; bounds the work a crowded bucket can cause.
    static let maxCandidates = 2_000

    /// Replaces the file's matches (a re-analysis finds them afresh). Runs in the analysis's transaction, after the
    /// file's own fingerprint row is written.
    static func record(for file: ModelFileRecord, fingerprint: ShapeFingerprint?, on database: any Database) async throws {
        let fileID = try file.requireID()
        try await LikelyCopyRecord.query(on: database).filter(\.$file.$id == fileID).delete()
        var best: [UUID: (Candidate, Double)] = [:]
        let sql = database.sql
        let identical = try await sql.raw("""
            SELECT f.id, f.model_id FROM model_files f \(ListingSQL.join(alias: "m", on: "f.model_id"))
            WHERE f.sha256 = \(bind: file.sha256) AND f.owner_id <> \(bind: file.ownerID) AND \(ListingSQL.isPublished("m"))
            LIMIT \(unsafeRaw: String(maxCandidates))
            """).all()
        for row in identical {
            let candidate = Candidate(fileID: try row.decode(column: "id", as: UUID.self), modelID: try row.decode(column: "model_id", as: UUID.self))
            best[candidate.fileID] = (candidate, 0)
        }
        if let fingerprint {
            let rows = try await sql.raw("""
                SELECT p.file_id, p.model_id, p.shape FROM model_file_fingerprints p \(ListingSQL.join(alias: "m", on: "p.model_id"))
                WHERE p.version = \(bind: ShapeFingerprint.version) AND p.bucket IN (\(binds: fingerprint.neighbouringBuckets.map { Int64($0) }))
                  AND p.owner_id <> \(bind: file.ownerID) AND \(ListingSQL.isPublished("m"))
                LIMIT \(unsafeRaw: String(maxCandidates))
                """).all()
            for row in rows {
                guard let values = ModelFileFingerprint.decode(try row.decode(column: "shape", as: String.self)),
                      values.count == ShapeFingerprint.valueCount else { continue }
                let distance = Double(fingerprint.distance(to: ShapeFingerprint(values: values)))
                guard distance <= Double(ShapeFingerprint.matchThreshold) else { continue }
                let candidate = Candidate(fileID: try row.decode(column: "file_id", as: UUID.self), modelID: try row.decode(column: "model_id", as: UUID.self))
                if best[candidate.fileID].map({ distance < $0.1 }) ?? true { best[candidate.fileID] = (candidate, distance) }
            }
        }
        for (candidate, distance) in best.values {
            try await LikelyCopyRecord(file: file, original: candidate, distance: distance).create(on: database)
        }
    }

    /// How many distinct originals the model's files match, as a scalar subquery for admin lists.
    static func count(modelIDColumn: String) -> SQLQueryString {
        "(SELECT COUNT(DISTINCT c.original_model_id) FROM model_file_likely_copies c WHERE c.model_id = \(unsafeRaw: modelIDColumn))"
    }

    static func exist(for modelID: UUID, on database: any Database) async throws -> Bool {
        try await LikelyCopyRecord.query(on: database).filter(\.$model.$id == modelID).first() != nil
    }

    /// The model's matches for the moderator, closest first, each original shown as its card.
    static func of(modelID: UUID, on sql: any SQLDatabase, settings: Settings) async throws -> [Components.Schemas.LikelyCopy] {
        let rows = try await sql.raw("""
            SELECT file_id, original_file_id, original_model_id, distance, found_at FROM model_file_likely_copies
            WHERE model_id = \(bind: modelID) ORDER BY distance, found_at
            """).all()
        let originals = try rows.map { try $0.decode(column: "original_model_id", as: UUID.self) }
        let cards = try await ModelCards.loadByID(ids: Array(Set(originals)), on: sql, settings: settings)
        let threshold = Double(ShapeFingerprint.matchThreshold)
        return try rows.compactMap { row in
            guard let card = cards[try row.decode(column: "original_model_id", as: UUID.self)] else { return nil }
            let distance = try row.decode(column: "distance", as: Double.self)
            return Components.Schemas.LikelyCopy(
                fileId: try row.decode(column: "file_id", as: UUID.self).uuidString.lowercased(),
                original: card, originalFileId: try row.decode(column: "original_file_id", as: UUID.self).uuidString.lowercased(),
                similarity: max(0, 1 - distance / (2 * threshold)), foundAt: try row.decode(column: "found_at", as: Date.self))
        }
    }
}
