import Fluent
import Foundation

/// Whether a caller may download a model's files, and if not, what stands in the way.
enum ModelEntitlement: Equatable {
    case owner
    case free
    case purchased
    case moderator
    case signInRequired
    case verificationRequired
    case paymentRequired
    case unavailable

    var allowsDownload: Bool { [.owner, .free, .purchased, .moderator].contains(self) }

    /// `purchased`: whether the caller holds an active purchase, when the caller already knows (nil: look it up).
    static func check(_ model: ModelAsset, caller: Caller?, purchased: Bool? = nil, on database: any Database) async throws -> ModelEntitlement {
        if let caller, caller.userID == model.$owner.id { return .owner }
        // Buyers keep access after the owner archives, unlists or deletes a model; a takedown ends it for everyone.
        if let caller, model.lifecycle != .takenDown {
            let owns = if let purchased { purchased } else { try await Purchase.owns(buyerID: caller.userID, modelID: model.requireID(), on: database) }
            if owns { return .purchased }
        }
        guard model.lifecycle == .published, model.deletedAt == nil else {
            if let caller, try await ModelAccess.isModerator(caller, on: database) { return .moderator }
            return .unavailable
        }
        guard let caller else { return .signInRequired }
        if model.priceCents > 0 {
            if try await ModelAccess.isModerator(caller, on: database) { return .moderator }
            return .paymentRequired
        }
        return caller.user.isEmailVerified ? .free : .verificationRequired
    }
}
