import Fluent
import Foundation
import HWC3DAPI

/// Review decisions on models: approve, reject, feature, take down. Each is one transaction holding the change,
/// the admin action record and the email to the owner, so none happens without the others.
struct ModelModeration {
    let services: AppServices
    let database: any Database
    let admin: AdminCaller

    struct Decision: Codable {
        var status: String
        var featured: Bool?
        var reason: String?
    }

    /// A model held as a likely copy of another creator's model is approved only on the moderator's word
    /// (`notACopy`), given after comparing the two.
    func approve(_ model: ModelAsset, notACopy: Bool = false) async throws -> ModelAsset {
        try requireStatus(model, in: [.pendingReview], action: "approved")
        if !notACopy, try await LikelyCopies.exist(for: model.requireID(), on: database) {
            throw Problem.conflict(
                "likely-copy", "Held as a likely copy",
                detail: "A file of this model matches another creator's published model (see likely_copies). Compare them; approve with not_a_copy: true if it is original.")
        }
        return try await decide(model, action: "model.approve", reason: nil, notify: .modelApproved) { model in
            model.status = ModelAsset.Status.published.rawValue
            model.rejectionReason = nil
            if model.publishedAt == nil { model.publishedAt = Date() }
        } email: { owner, model in
            .modelApproved(name: owner.displayName, title: model.title, link: "\(services.settings.frontendURL)/models/\(model.slug)")
        }
    }

    func reject(_ model: ModelAsset, reason: String) async throws -> ModelAsset {
        let reason = try Self.validReason(reason)
        try requireStatus(model, in: [.pendingReview], action: "rejected")
        return try await decide(model, action: "model.reject", reason: reason, notify: .modelRejected) { model in
            model.status = ModelAsset.Status.rejected.rawValue
            model.rejectionReason = reason
        } email: { owner, model in
            .modelRejected(name: owner.displayName, title: model.title, reason: reason,
                           link: "\(services.settings.frontendURL)/models/\(model.slug)/edit")
        }
    }

    func feature(_ model: ModelAsset, featured: Bool) async throws -> ModelAsset {
        try requireStatus(model, in: [.published], action: "featured")
        return try await decide(model, action: featured ? "model.feature" : "model.unfeature", reason: nil) { model in
            model.featured = featured
        } email: { _, _ in nil }
    }

    func takeDown(_ model: ModelAsset, reason: String) async throws -> ModelAsset {
        let reason = try Self.validReason(reason)
        guard model.lifecycle != .takenDown else {
            throw Problem.conflict("invalid-status-transition", "Already taken down", detail: "This model is already taken down.")
        }
        return try await decide(model, action: "model.takedown", reason: reason) { model in
            model.status = ModelAsset.Status.takenDown.rawValue
            model.takedownReason = reason
            model.featured = false
        } email: { owner, model in
            .modelTakenDown(name: owner.displayName, title: model.title, reason: reason)
        }
    }

    /// `notify`: the owner's notification of the decision, written with it (approvals and rejections).
    private func decide(
        _ model: ModelAsset, action: String, reason: String?, notify: NotificationType? = nil,
        change: @escaping @Sendable (ModelAsset) -> Void,
        email: @escaping @Sendable (MailRecipient, ModelAsset) -> MailTemplate?
    ) async throws -> ModelAsset {
        let before = Decision(status: model.status, featured: model.featured, reason: nil)
        return try await database.transaction { db in
            change(model)
            try await model.update(on: db)
            try await ModelCatalogueIndex.modelChanged(model, on: db)
            let after = Decision(status: model.status, featured: model.featured, reason: reason)
            try await AdminAudit.record(
                admin: admin, action: action, targetType: "model", targetID: model.requireID().uuidString.lowercased(),
                before: try Self.json(before), after: try Self.json(after), on: db)
            if let owner = try await UserDirectory.recipient(model.$owner.id, on: db), let template = email(owner, model) {
                try await services.mailer.queue(template, to: owner.email, userID: owner.id, on: db)
            }
            if let notify {
                try await Notifier.notify(.init(
                    notify, to: model.$owner.id, actor: nil, target: ("model", try model.requireID()), subject: model.title,
                    detail: reason, link: notify == .modelApproved ? "/models/\(model.slug)" : "/models/\(model.slug)/edit"), on: db)
            }
            return model
        }
    }

    private func requireStatus(_ model: ModelAsset, in allowed: [ModelAsset.Status], action: String) throws {
        guard allowed.contains(model.lifecycle), model.deletedAt == nil else {
            throw Problem.conflict(
                "invalid-status-transition", "Wrong status",
                detail: "Only \(allowed.map(\.rawValue).joined(separator: " or ")) models can be \(action); this one is \(model.deletedAt == nil ? model.status : "deleted").")
        }
    }

    static func validReason(_ raw: String) throws -> String {
        try TextInput.clean(raw, field: "reason", shape: .multiLine, length: 3...2000)
    }

    static func json(_ decision: Decision) throws -> String {
        String(decoding: try JSONEncoder().encode(decision), as: UTF8.self)
    }

    /// The model's moderation history from the admin action log, oldest first.
    static func history(of modelID: UUID, on database: any Database) async throws -> [Components.Schemas.ModerationEvent] {
        try await AdminAudit.history(targetType: "model", targetID: modelID, on: database)
            .map { action in
                let after = action.after.flatMap { try? JSONDecoder().decode(Decision.self, from: Data($0.utf8)) }
                return .init(
                    action: action.action, adminId: action.actorUserID?.uuidString.lowercased(), reason: after?.reason,
                    createdAt: action.createdAt ?? Date())
            }
    }
}
