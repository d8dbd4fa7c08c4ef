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

    /// Stores a rendered picture of the model as the first image of an empty gallery, and its cover, marked
    /// `generated`. It goes through the same checks, renditions and storage keys as an upload; the gallery is
    /// re-checked under the model's lock, so a second run, or an upload that got there first, leaves the gallery
    /// as it found it. On any failure or skip, no row and no stored file remain.
    func addGeneratedPreview(png: Data, modelID: UUID, ownerID: UUID) async throws -> GeneratedPreviewOutcome {
        let renditions = try await services.images.galleryRenditions(
            png, widths: ImageRenditionFiles.widths, jpegWidth: ImageRenditionFiles.jpegWidth, jpegQuality: ImageRenditionFiles.jpegQuality,
            allowed: [.png])
        let image = ModelImageRecord(
            id: .v7(), modelID: modelID, ownerID: ownerID, position: 0, width: renditions.width, height: renditions.height,
            sizeBytes: Int64(renditions.totalBytes))
        let createdAt = Date()
        let keys = try await store(renditions, imageID: image.id!)
        let quota = services.settings.storageQuotaBytes
        let outcome: GeneratedPreviewOutcome
        do {
            outcome = try await changeGallery(modelID) { tx, sql in
                _ = try await ModelCounters.lockForGallery(modelID, on: sql)
                let existing = try await sql.raw("SELECT COUNT(*) AS count FROM model_images WHERE model_id = \(bind: modelID)")
                    .first()?.decode(column: "count", as: Int.self) ?? 0
                guard existing == 0 else { return .skipped("the model has images") }
                // A preview is the platform's idea, so it never pushes an owner past their quota: it is left out.
                guard try await StorageQuota.used(by: ownerID, on: tx) + image.sizeBytes <= quota else {
                    return .skipped("the owner's storage quota is full")
                }
                try await sql.raw("""
                    INSERT INTO model_images (id, model_id, owner_id, position, width, height, size_bytes, created_at, generated)
                    VALUES (\(bind: image.id!), \(bind: modelID), \(bind: ownerID), 0, \(bind: image.width), \(bind: image.height),
                            \(bind: image.sizeBytes), \(bind: createdAt), \(bind: true))
                    """).run()
                try await ModelCounters.setCover(image.id!, of: modelID, on: tx)
                return .stored(image.id!)
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
