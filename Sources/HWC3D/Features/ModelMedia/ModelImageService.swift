import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// A model's preview gallery (issue 3). An upload becomes stored renditions plus one row; positions stay
/// 0..n-1 without gaps; a model with images always has one of them as its cover. Every change to a gallery runs
/// in a transaction whose first statement writes the model's row: on PostgreSQL that row lock, on SQLite the
/// database write lock, makes concurrent uploads, moves and removals on one model take turns, and the unique
/// index on (model_id, position) refuses whatever might still slip through. Within one process, changes to one
/// gallery also queue before they open a transaction (`gallerySerial`), see `SerialByKey`.
struct ModelImageService {
    static let maxImagesPerModel = 20
    /// Ids are unique across databases, so one queue serves every application in the process.
    static let gallerySerial = SerialByKey()

    let services: AppServices
    let database: any Database
    let logger: Logger

    struct Gallery {
        var images: [ModelImageRecord]
        var coverID: UUID?
    }

    /// The model whose gallery the caller may change: their own and not deleted (404 when they may not see it,
    /// 403 when they may but it is not theirs).
    func editableModel(_ key: String, caller: Caller) async throws -> ModelAsset {
        let model = try await ModelAccess.owned(key, caller: caller, on: database)
        guard model.deletedAt == nil else { throw ModelAccess.notFound }
        return model
    }

    // MARK: upload

    /// Checks and converts the picture, stores its renditions, then records it. A failure at any step leaves no
    /// row and no stored file behind.
    func add(_ data: Data, to model: ModelAsset) async throws -> (image: ModelImageRecord, isCover: Bool) {
        guard let format = ImageProcessor.detectFormat(data), ImageRenditionFiles.uploadFormats.contains(format) else {
            throw ImageRenditionFiles.unsupportedType
        }
        let modelID = try model.requireID()
        // Cheap refusals before the image work; the transaction checks both again under the lock.
        guard try await Self.imageCount(of: modelID, on: database.sql) < Self.maxImagesPerModel else { throw Self.galleryFull }
        try await StorageQuota.ensureRoom(for: model.$owner.id, adding: 1, quota: services.settings.storageQuotaBytes, on: database)
        let renditions = try await ImageRenditionFiles.renditions(of: data, with: services.images)

        let image = ModelImageRecord(
            id: .v7(), modelID: modelID, ownerID: model.$owner.id, position: 0, width: renditions.width,
            height: renditions.height, sizeBytes: Int64(renditions.totalBytes))
        image.createdAt = Date()
        let keys = try await store(renditions, imageID: image.id!)
        do {
            let quota = services.settings.storageQuotaBytes
            let isCover = try await changeGallery(modelID) { tx, _ in try await insert(image, quota: quota, on: tx) }
            return (image, isCover)
        } catch {
            await removeFiles(keys)
            throw Self.conflictIfConstraint(error)
        }
    }

    /// Puts every rendition; if one fails, none is left.
    func store(_ renditions: GalleryRenditions, imageID: UUID) async throws -> [String] {
        try await ImageRenditionFiles.models.store(renditions, imageID: imageID, in: services.storage, logger: logger)
    }

    /// Inside the transaction: locks the model, re-checks the limits, appends the row at the end of the gallery
    /// and makes it the cover when the model has none. Answers whether it became the cover.
    private func insert(_ image: ModelImageRecord, quota: Int64, on tx: any Database) async throws -> Bool {
        let sql = tx.sql
        let modelID = image.$model.id
        let cover = try await ModelCounters.lockForGallery(modelID, on: sql).coverID
        guard let slot = try await sql.raw("""
            SELECT COUNT(*) AS count, COALESCE(MAX(position) + 1, 0) AS next FROM model_images WHERE model_id = \(bind: modelID)
            """).first()
        else { throw ProblemMiddleware.internalError }
        guard try slot.decode(column: "count", as: Int.self) < Self.maxImagesPerModel else { throw Self.galleryFull }
        try await StorageQuota.ensureRoom(for: image.ownerID, adding: image.sizeBytes, quota: quota, on: tx)
        image.position = try slot.decode(column: "next", as: Int.self)
        try await sql.raw("""
            INSERT INTO model_images (id, model_id, owner_id, position, width, height, size_bytes, created_at)
            VALUES (\(bind: image.id!), \(bind: modelID), \(bind: image.ownerID), \(bind: image.position), \(bind: image.width),
                    \(bind: image.height), \(bind: image.sizeBytes), \(bind: image.createdAt ?? Date()))
            """).run()
        guard cover == nil else { return false }
        try await ModelCounters.setCover(image.id!, of: modelID, on: tx)
        return true
    }

    // MARK: cover and order

    /// `isCover: true` makes the image the cover; `false` is accepted on any other image (it is not the cover)
    /// and refused on the cover itself, because a gallery with images always has one: choose another instead.
    /// `position` moves the image, shifting the ones in between. Answers the gallery in its new order.
    func update(imageKey: String, of model: ModelAsset, isCover: Bool?, position: Int?) async throws -> Gallery {
        guard let imageID = UUID(uuidString: imageKey) else { throw Self.imageNotFound }
        let modelID = try model.requireID()
        return try await changeGallery(modelID) { tx, sql in
            let cover = try await ModelCounters.lockForGallery(modelID, on: sql).coverID
            var images = try await Self.images(of: modelID, on: sql)
            guard let index = images.firstIndex(where: { $0.id == imageID }) else { throw Self.imageNotFound }
            var errors: [Problem.FieldError] = []
            if let position, !images.indices.contains(position) {
                errors.append(.init(field: "position", message: "must be between 0 and \(images.count - 1)"))
            }
            if isCover == false, cover == imageID {
                errors.append(.init(field: "is_cover", message: "cannot be false on the cover; make another image the cover instead"))
            }
            guard errors.isEmpty else { throw Problem.validation(errors) }

            if let position, position != index {
                images.insert(images.remove(at: index), at: position)
                try await Self.renumber(images, modelID: modelID, on: sql)
            }
            var newCover = cover
            if isCover == true, cover != imageID {
                try await ModelCounters.setCover(imageID, of: modelID, on: tx)
                newCover = imageID
            }
            return Gallery(images: images, coverID: newCover)
        }
    }

    // MARK: removal

    /// Removes the row, closes the gap, hands the cover to the first remaining image when it was the cover, then
    /// deletes the stored renditions. A model that is published or waiting for review keeps at least one image.
    func remove(imageKey: String, of model: ModelAsset) async throws {
        guard let imageID = UUID(uuidString: imageKey) else { throw Self.imageNotFound }
        let modelID = try model.requireID()
        try await changeGallery(modelID) { tx, sql in
            let locked = try await ModelCounters.lockForGallery(modelID, on: sql)
            var images = try await Self.images(of: modelID, on: sql)
            guard let index = images.firstIndex(where: { $0.id == imageID }) else { throw Self.imageNotFound }
            if images.count == 1, [.published, .pendingReview].contains(locked.status) {
                throw Problem.conflict(
                    "last-image", "Last image",
                    detail: "A published model, or one waiting for review, keeps at least one image; upload another first.")
            }
            try await sql.raw("DELETE FROM model_images WHERE id = \(bind: imageID)").run()
            images.remove(at: index)
            if index < images.count { try await Self.renumber(images, modelID: modelID, on: sql) }
            if locked.coverID == imageID || locked.coverID == nil {
                try await ModelCounters.setCover(images.first?.id, of: modelID, on: tx)
            }
        }
        await removeFiles(ImageRenditionFiles.models.allStorageKeys(imageID: imageID))
    }

    // MARK: reads

    /// A model's images in gallery order, read with one statement.
    static func images(of modelID: UUID, on sql: any SQLDatabase) async throws -> [ModelImageRecord] {
        try await sql.raw("""
            SELECT id, owner_id, position, width, height, size_bytes, created_at, generated FROM model_images
            WHERE model_id = \(bind: modelID) ORDER BY position
            """).all().map { row in
            let image = ModelImageRecord(
                id: try row.decode(column: "id", as: UUID.self), modelID: modelID,
                ownerID: try row.decode(column: "owner_id", as: UUID.self), position: try row.decode(column: "position", as: Int.self),
                width: try row.decode(column: "width", as: Int.self), height: try row.decode(column: "height", as: Int.self),
                sizeBytes: try row.decode(column: "size_bytes", as: Int64.self))
            image.createdAt = try row.decode(column: "created_at", as: Date?.self)
            image.generated = try row.decode(column: "generated", as: Bool.self)
            image.$id.exists = true
            return image
        }
    }

    // MARK: pieces

    /// One change to one gallery: queued behind other changes to it in this process, then run in a transaction.
    func changeGallery<T: Sendable>(
        _ modelID: UUID, _ body: @escaping @Sendable (any Database, any SQLDatabase) async throws -> T
    ) async throws -> T {
        try await Self.gallerySerial.run(modelID) {
            try await database.transaction { tx in
                let sql = tx.sql
                return try await body(tx, sql)
            }
        }
    }

    /// Gives `images` the positions 0..n-1 in their array order. Both databases check a unique index row by row,
    /// so the rows first move out of the way to negative positions, then each takes its place in one statement.
    private static func renumber(_ images: [ModelImageRecord], modelID: UUID, on sql: any SQLDatabase) async throws {
        guard !images.isEmpty else { return }
        try await sql.raw("UPDATE model_images SET position = -1 - position WHERE model_id = \(bind: modelID)").run()
        var cases: [SQLQueryString] = []
        for (position, image) in images.enumerated() {
            cases.append("WHEN \(bind: image.id!) THEN \(literal: position)")
            image.position = position
        }
        try await sql.raw("""
            UPDATE model_images SET position = CASE id \(cases.joined(separator: " ")) END WHERE model_id = \(bind: modelID)
            """).run()
    }

    /// The bytes a person's images take, as an SQL expression: the storage quota adds it to their files' bytes
    /// in one statement.
    static func storedBytes(by ownerID: UUID) -> SQLQueryString {
        "(SELECT COALESCE(SUM(size_bytes), 0) FROM model_images WHERE owner_id = \(bind: ownerID))"
    }

    static func imageCount(of modelID: UUID, on sql: any SQLDatabase) async throws -> Int {
        try await sql.raw("SELECT COUNT(*) AS count FROM model_images WHERE model_id = \(bind: modelID)").first()?
            .decode(column: "count", as: Int.self) ?? 0
    }

    func removeFiles(_ keys: [String]) async {
        await ImageRenditionFiles.remove(keys, from: services.storage, logger: logger)
    }

    /// A constraint failure here can only be the unique gallery position: two writers met despite the lock.
    private static func conflictIfConstraint(_ error: any Error) -> any Error {
        guard let database = error as? any DatabaseError, database.isConstraintFailure else { return error }
        return Problem.conflict("gallery-busy", "Gallery changed meanwhile", detail: "Another change to this gallery happened at the same time; try again.")
    }

    static let imageNotFound = Problem.notFound("Image")
    static let galleryFull = Problem.conflict(
        "too-many-images", "Too many images", detail: "A model holds at most \(maxImagesPerModel) images; remove one first.")
}

/// Runs one body at a time per key; later callers wait without holding a thread. SQLite answers a second writer by
/// spinning in its busy handler, holding one of the blocking pool's threads (two on a two-core machine, shared with
/// file and image work) until the first commits, whose own statements then queue behind that work: six uploads to
/// one model at once stalled past the 10 s connection timeout in the test suite. Queuing here first means the
/// database's own lock (which still guards other processes and other instances) is rarely contended.
final class SerialByKey: Sendable {
    private let state = NIOLockedValueBox<[UUID: [CheckedContinuation<Void, Never>]]>([:])

    func run<T>(_ key: UUID, _ body: () async throws -> T) async throws -> T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: UUID) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let holder = state.withLockedValue { waiting -> Bool in
                guard waiting[key] != nil else {
                    waiting[key] = []
                    return true
                }
                waiting[key]!.append(continuation)
                return false
            }
            if holder { continuation.resume() }
        }
    }

    private func release(_ key: UUID) {
        let next = state.withLockedValue { waiting -> CheckedContinuation<Void, Never>? in
            guard let queue = waiting[key], !queue.isEmpty else {
                waiting[key] = nil
                return nil
            }
            waiting[key] = Array(queue.dropFirst())
            return queue.first
        }
        next?.resume()
    }
}
