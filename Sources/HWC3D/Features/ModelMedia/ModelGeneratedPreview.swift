import Fluent
import Foundation
import SQLKit

extension ModelImageService {
    enum GeneratedPreviewOutcome: Equatable {
        case stored(UUID)
        /// The gallery was no longer empty (an upload, or an earlier run of the same job), the model was gone, or
        /// the owner's quota had no room left; nothing was kept.
        case skipped(String)
    }

    /// Stores rendered pictures of the model (the cover first, then its wireframe and four-view sheet) as the
    /// images of an empty gallery, the first as its cover, all marked `generated`. They go through the same checks,
    /// renditions and storage keys as uploads; the gallery is re-checked under the model's lock, so a second run,
    /// or an upload that got there first, leaves the gallery as it found it. On any failure or skip, no row and no
    /// stored file remain. The outcome names the cover.
    func addGeneratedPreviews(pngs: [Data], modelID: UUID, ownerID: UUID) async throws -> GeneratedPreviewOutcome {
        var images: [(record: ModelImageRecord, keys: [String])] = []  // filled before the transaction, read-only after
        var keys: [String] = []
        do {
            for (position, png) in pngs.enumerated() {
                let renditions = try await services.images.galleryRenditions(
                    png, widths: ImageRenditionFiles.widths, jpegWidth: ImageRenditionFiles.jpegWidth,
                    jpegQuality: ImageRenditionFiles.jpegQuality, allowed: [.png])
                let image = ModelImageRecord(
                    id: .v7(), modelID: modelID, ownerID: ownerID, position: position, width: renditions.width,
                    height: renditions.height, sizeBytes: Int64(renditions.totalBytes))
                let stored = try await store(renditions, imageID: image.id!)
                keys += stored
                images.append((image, stored))
            }
        } catch {
            await removeFiles(keys)
            throw error
        }
        let records = images.map(\.record)
        guard let cover = records.first?.id else { return .skipped("nothing was rendered") }
        let createdAt = Date()
        let quota = services.settings.storageQuotaBytes
        let totalBytes = records.reduce(Int64(0)) { $0 + $1.sizeBytes }
        let outcome: GeneratedPreviewOutcome
        do {
            outcome = try await changeGallery(modelID) { tx, sql in
                _ = try await ModelCounters.lockForGallery(modelID, on: sql)
                let existing = try await sql.raw("SELECT COUNT(*) AS count FROM model_images WHERE model_id = \(bind: modelID)")
                    .first()?.decode(column: "count", as: Int.self) ?? 0
                guard existing == 0 else { return .skipped("the model has images") }
                // Previews are the platform's idea, so they never push an owner past their quota: they are left out.
                guard try await StorageQuota.used(by: ownerID, on: tx) + totalBytes <= quota else {
                    return .skipped("the owner's storage quota is full")
                }
                for image in records {
                    try await sql.raw("""
                        INSERT INTO model_images (id, model_id, owner_id, position, width, height, size_bytes, created_at, generated)
                        VALUES (\(bind: image.id!), \(bind: modelID), \(bind: ownerID), \(bind: image.position), \(bind: image.width),
                                \(bind: image.height), \(bind: image.sizeBytes), \(bind: createdAt), \(bind: true))
                        """).run()
                }
                try await ModelCounters.setCover(cover, of: modelID, on: tx)
                return .stored(cover)
            }
        } catch let problem as Problem where problem == ModelAccess.notFound {
            await removeFiles(keys)
            return .skipped("the model was deleted")
        } catch {
            await removeFiles(keys)
            throw error
        }
        if case .skipped = outcome { await removeFiles(keys) }
        return outcome
    }
}
