import Fluent
import Foundation
import Logging
import SQLKit

/// Removes an uploaded image that nothing holds: its row, then its stored renditions. Enqueued with every upload
/// (due when the unattached lifetime ends) and whenever a holder lets an image go (due at once). An image that
/// is attached when the job runs is left alone, so the job is always safe to run, and to run twice.
struct RemoveUploadedImageJob: JobHandler {
    static let kind = "remove-uploaded-image"

    struct Payload: Codable {
        let imageID: UUID
    }

    let storage: any FileStorage

    static func enqueue(_ imageID: UUID, at runAt: Date, on tx: any Database) async throws {
        try await JobQueue.insert(kind, payload: Payload(imageID: imageID), on: tx, runAt: runAt)
    }

    func run(payload: String, database: any Database, logger: Logger) async throws {
        let imageID = try JSONDecoder().decode(Payload.self, from: Data(payload.utf8)).imageID
        let sql = database.sql
        try await sql.raw("DELETE FROM uploaded_images WHERE id = \(bind: imageID) AND attached_id IS NULL").run()
        // Gone now, or gone before (a second run): either way nothing can point at the files any more.
        let held = try await sql.raw("SELECT id FROM uploaded_images WHERE id = \(bind: imageID)").first()
        guard held == nil else { return }
        await ImageRenditionFiles.remove(ImageRenditionFiles.uploads.allStorageKeys(imageID: imageID), from: storage, logger: logger)
    }
}
