import Fluent
import Foundation

/// Who may see and change a model: the one place those rules live. Anything a caller may not see answers 404,
/// never 403, so ids and slugs of drafts reveal nothing.
enum ModelAccess {
    /// A model the caller may see: published and not private, or the caller's own, or any model for an admin
    /// session holding `models.moderate`. `key` is the id or, when `allowSlug`, the slug.
    static func visible(_ key: String, caller: Caller?, on database: any Database, allowSlug: Bool = false) async throws -> ModelAsset {
        guard let model = try await find(key, on: database, allowSlug: allowSlug) else { throw notFound }
        try await requireVisible(model, to: caller, on: database)
        return model
    }

    /// The rule of `visible` for a model already read (the detail page reads it with its creator in one statement).
    static func requireVisible(_ model: ModelAsset, to caller: Caller?, on database: any Database) async throws {
        if model.isPubliclyReachable { return }
        if let caller, try await canSeeAnything(caller, model: model, on: database) { return }
        throw notFound
    }

    /// A model the caller may change: their own. Others get 404 when they may not see it, 403 when they may.
    static func owned(_ key: String, caller: Caller, on database: any Database) async throws -> ModelAsset {
        let model = try await visible(key, caller: caller, on: database)
        guard model.$owner.id == caller.userID else {
            throw Problem.forbidden("Only the model's owner can change it.")
        }
        return model
    }

    /// A model people can interact with (like, comment, view): published and reachable, or the owner's own.
    static func interactive(_ key: String, caller: Caller?, on database: any Database) async throws -> ModelAsset {
        guard let model = try await find(key, on: database, allowSlug: false) else { throw notFound }
        if model.isPubliclyReachable { return model }
        if let caller, model.$owner.id == caller.userID, model.deletedAt == nil, model.lifecycle == .published { return model }
        throw notFound
    }

    /// A model the caller may see, or one they bought and can no longer see (archived, made private, deleted by
    /// its owner): buyers keep what they paid for, except after a takedown.
    static func downloadable(_ key: String, caller: Caller?, on database: any Database) async throws -> ModelAsset {
        do {
            return try await visible(key, caller: caller, on: database)
        } catch let problem as Problem where problem.status == .notFound {
            guard let caller, let model = try await find(key, on: database, allowSlug: false), model.lifecycle != .takenDown,
                try await Purchase.owns(buyerID: caller.userID, modelID: model.requireID(), on: database)
            else { throw problem }
            return model
        }
    }

    /// The owner (while not deleted) or a moderating admin session.
    static func canSeeAnything(_ caller: Caller, model: ModelAsset, on database: any Database) async throws -> Bool {
        if model.$owner.id == caller.userID, model.deletedAt == nil { return true }
        return try await isModerator(caller, on: database)
    }

    static func isModerator(_ caller: Caller, on database: any Database) async throws -> Bool {
        try await caller.holds(.modelsModerate, on: database)
    }

    /// A model by id whatever its state, for the features that apply their own rules to it (a cart line, a job).
    static func model(_ id: UUID, on database: any Database) async throws -> ModelAsset? {
        try await ModelAsset.find(id, on: database)
    }

    static func find(_ key: String, on database: any Database, allowSlug: Bool) async throws -> ModelAsset? {
        if let id = UUID(uuidString: key) {
            return try await ModelAsset.find(id, on: database)
        }
        guard allowSlug, key.count <= 200 else { return nil }
        return try await ModelAsset.query(on: database).filter(\.$slug == key.lowercased()).first()
    }

    static let notFound = Problem.notFound("The model")
}
