import Fluent
import Foundation
import SQLKit

/// The rules of a model's life: drafting, editing, deleting and submitting for review. Moderation is in
/// `ModelModeration`, files in `ModelFileUploads`.
struct ModelService {
    let services: AppServices
    let database: any Database

    func create(ownerID: UUID, fields: ModelFields) async throws -> ModelAsset {
        guard let title = fields.title else { throw Problem.validation(field: "title", "is required") }
        return try await database.transaction { db in
            let model = ModelAsset(ownerID: ownerID, slug: try await ModelSlug.unique(for: title, on: db), title: title)
            fields.apply(to: model)
            try await model.create(on: db)
            if let tags = fields.tags {
                try await ModelTags.replace(on: model, with: tags, in: db)
                try await model.update(on: db)
            }
            try await ModelCatalogueIndex.modelChanged(model, on: db)
            return model
        }
    }

    /// Metadata edits keep a published model published; `status` moves only between published and archived.
    func update(_ model: ModelAsset, fields: ModelFields, status: String?) async throws -> ModelAsset {
        if model.lifecycle == .takenDown {
            throw Problem.conflict("model-taken-down", "Model taken down", detail: "A model taken down by a moderator cannot be edited.")
        }
        var requested: ModelAsset.Status?
        if let status {
            guard let target = ModelAsset.Status(rawValue: status), [.archived, .published].contains(target) else {
                throw Problem.validation(field: "status", "must be archived or published")
            }
            switch (model.lifecycle, target) {
            case (.published, .archived), (.archived, .published): requested = target
            case (let current, _) where current == target: break
            case (let current, _):
                throw Problem.conflict(
                    "invalid-status-transition", "Invalid status change",
                    detail: "A \(current.rawValue) model cannot become \(target.rawValue) this way.")
            }
        }
        let newStatus = requested
        return try await database.transaction { db in
            fields.apply(to: model)
            if let tags = fields.tags { try await ModelTags.replace(on: model, with: tags, in: db) }
            if let newStatus { model.status = newStatus.rawValue }
            try await model.update(on: db)
            try await ModelCatalogueIndex.modelChanged(model, on: db)
            return model
        }
    }

    /// Soft delete: the row stays for buyers and the ledger; the catalogue forgets it.
    func delete(_ model: ModelAsset) async throws {
        try await database.transaction { db in
            model.deletedAt = Date()
            model.featured = false
            try await model.update(on: db)
            try await ModelCatalogueIndex.modelChanged(model, on: db)
        }
    }

    /// Publishes at a given time without review: only the demo seed does this, for models the project itself made.
    static func publishUnreviewed(_ model: ModelAsset, at date: Date, featured: Bool, on database: any Database) async throws {
        model.status = ModelAsset.Status.published.rawValue
        model.publishedAt = date
        model.submittedAt = date
        model.featured = featured
        try await model.update(on: database)
        try await ModelCatalogueIndex.modelChanged(model, on: database)
    }

    func submit(_ model: ModelAsset) async throws -> ModelAsset {
        guard [.draft, .rejected].contains(model.lifecycle) else {
            throw Problem.conflict(
                "invalid-status-transition", "Cannot submit",
                detail: "Only drafts and rejected models can be submitted; this one is \(model.lifecycle.rawValue).")
        }
        let modelID = try model.requireID()
        let files = try await ModelFileReads.analysisCounts(of: modelID, on: database)
        let imageCount = try await ModelImageService.imageCount(of: modelID, on: database.sql)
        var missing: [String] = []
        if files.ready == 0 {
            missing.append(files.pending > 0
                ? "a file whose analysis has finished (analysis is still running)" : "a 3D file that passed analysis")
        }
        if imageCount == 0 { missing.append("a preview image") }
        guard missing.isEmpty else {
            throw Problem.conflict("model-incomplete", "Model incomplete", detail: "Before review the model needs " + missing.joined(separator: " and ") + ".")
        }
        return try await database.transaction { db in
            model.status = ModelAsset.Status.pendingReview.rawValue
            model.submittedAt = Date()
            model.rejectionReason = nil
            try await model.update(on: db)
            return model
        }
    }
}

/// Everything derived from a model that must follow its changes: the owner's public model count and the search
/// index. Called inside the transaction that changed the model.
enum ModelCatalogueIndex {
    static func modelChanged(_ model: ModelAsset, on database: any Database) async throws {
        try await refreshOwnerCount(ownerID: model.$owner.id, on: database)
        try await ModelSearchIndex.refresh(modelID: model.requireID(), on: database)
    }

    /// Recounted rather than incremented: status, visibility and deletion all move it, and a count is exact.
    static func refreshOwnerCount(ownerID: UUID, on database: any Database) async throws {
        try await UserCounters.set(.models, of: ownerID, to: """
            SELECT COUNT(*) FROM models WHERE owner_id = \(bind: ownerID) AND \(ListingSQL.isListed("models"))
            """, on: database)
    }
}
