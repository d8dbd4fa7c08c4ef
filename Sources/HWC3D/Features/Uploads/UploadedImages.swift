import Fluent
import Foundation
import HWC3DAPI
import Logging
import SQLKit

extension ImageRenditionFiles {
    /// Pictures uploaded on their own for posts and tickets: `/media/uploads/<file>`.
    static let uploads = ImageRenditionFiles(mediaKind: "uploads")
}

/// Images uploaded on their own and attached later. An upload is checked and converted like a gallery image,
/// stored, recorded, and given a removal job for `unattachedLifetime` later, all before it answers; attaching
/// (in the holder's transaction) takes it out of that job's reach, and detaching gives it back to the job at
/// once. So an image is never both attached and deleted, and a crash anywhere leaves a job that finishes the
/// removal.
struct UploadedImages: Sendable {
    static let unattachedLifetime: TimeInterval = 24 * 3600

    /// What holds attached images: a kind owned by the holder's feature (`post`) and the holder's id.
    struct Holder: Sendable {
        let kind: String
        let id: UUID
    }

    /// An attached image as its holder keeps it: the holder stores these (in order) and serves them as stored.
    struct Attached: Codable, Sendable, Equatable {
        let id: UUID
        let width: Int
        let height: Int
    }

    let services: AppServices
    let database: any Database
    let logger: Logger

    /// Stores an upload for `owner`; answers the recorded image. Nothing is left behind when any step fails.
    func upload(_ data: Data, owner: UUID, now: Date = Date()) async throws -> UploadedImage {
        guard let format = ImageProcessor.detectFormat(data), ImageRenditionFiles.uploadFormats.contains(format) else {
            throw ImageRenditionFiles.unsupportedType
        }
        let quota = services.settings.storageQuotaBytes
        try await StorageQuota.ensureRoom(for: owner, adding: 1, quota: quota, on: database)
        let renditions = try await ImageRenditionFiles.renditions(of: data, with: services.images)

        let image = UploadedImage()
        image.id = .v7(now: now)
        image.ownerID = owner
        image.width = renditions.width
        image.height = renditions.height
        image.sizeBytes = Int64(renditions.totalBytes)
        image.createdAt = now
        let keys = try await ImageRenditionFiles.uploads.store(renditions, imageID: image.id!, in: services.storage, logger: logger)
        do {
            try await database.transaction { tx in
                try await StorageQuota.ensureRoom(for: owner, adding: image.sizeBytes, quota: quota, on: tx)
                try await tx.sql.raw("""
                    INSERT INTO uploaded_images (id, owner_id, width, height, size_bytes, created_at)
                    VALUES (\(bind: image.id!), \(bind: owner), \(bind: image.width), \(bind: image.height), \(bind: image.sizeBytes), \(bind: now))
                    """).run()
                try await RemoveUploadedImageJob.enqueue(image.id!, at: now.addingTimeInterval(Self.unattachedLifetime), on: tx)
            }
        } catch {
            await ImageRenditionFiles.remove(keys, from: services.storage, logger: logger)
            throw error
        }
        return image
    }

    /// Inside the holder's transaction: makes `ids`, in that order, the images `holder` holds. Each must be one
    /// `owner` uploaded that nothing else holds (422 on `field` otherwise, the same answer for another person's
    /// image and for one that does not exist); images the holder held and no longer lists are given back for removal.
    static func attach(_ ids: [UUID], to holder: Holder, owner: UUID, field: String, on tx: any Database) async throws -> [Attached] {
        guard Set(ids).count == ids.count else { throw Problem.validation(field: field, "lists an image twice") }
        try await detach(from: holder, keeping: ids, on: tx)
        guard !ids.isEmpty else { return [] }
        let sql = tx.sql
        let rows = try await sql.raw("""
            UPDATE uploaded_images SET attached_kind = \(bind: holder.kind), attached_id = \(bind: holder.id)
            WHERE \(sql.idMatches("id", anyOf: ids)) AND owner_id = \(bind: owner)
              AND (attached_id IS NULL OR (attached_kind = \(bind: holder.kind) AND attached_id = \(bind: holder.id)))
            RETURNING id, width, height
            """).all()
        var found: [UUID: Attached] = [:]
        for row in rows {
            let image = Attached(
                id: try row.decode(column: "id", as: UUID.self), width: try row.decode(column: "width", as: Int.self),
                height: try row.decode(column: "height", as: Int.self))
            found[image.id] = image
        }
        guard found.count == ids.count else {
            throw Problem.validation(field: field, "must be ids of images you uploaded with POST /uploads/images that nothing else uses yet")
        }
        return ids.compactMap { found[$0] }
    }

    /// Inside the holder's transaction: the images `holder` holds, except `keeping`, stop being held and their
    /// removal job is due at once (it runs after the commit; a rollback takes the job back too).
    static func detach(from holder: Holder, keeping: [UUID] = [], on tx: any Database) async throws {
        let sql = tx.sql
        var filter: SQLQueryString = "attached_kind = \(bind: holder.kind) AND attached_id = \(bind: holder.id)"
        if !keeping.isEmpty { filter = "\(filter) AND NOT (\(sql.idMatches("id", anyOf: keeping)))" }
        let released = try await sql.raw("""
            UPDATE uploaded_images SET attached_kind = NULL, attached_id = NULL WHERE \(filter) RETURNING id
            """).all()
        for row in released {
            try await RemoveUploadedImageJob.enqueue(try row.decode(column: "id", as: UUID.self), at: Date(), on: tx)
        }
    }

    /// The bytes a person's uploaded images take, as an SQL expression for the storage quota.
    static func storedBytes(by ownerID: UUID) -> SQLQueryString {
        "(SELECT COALESCE(SUM(size_bytes), 0) FROM uploaded_images WHERE owner_id = \(bind: ownerID))"
    }
}

extension Components.Schemas.UploadedImage {
    init(_ image: UploadedImages.Attached, settings: Settings, expiresAt: Date? = nil) {
        self.init(
            id: image.id.uuidString.lowercased(), width: image.width, height: image.height,
            urls: ImageRenditionFiles.uploads.urls(imageID: image.id, settings: settings), expiresAt: expiresAt)
    }
}
