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

    static func check(_ model: ModelAsset, caller: Caller?, on database: any Database) async throws -> ModelEntitlement {
        if let caller, caller.userID == model.$owner.id { return .owner }
        // Buyers keep access after an owner deletes or archives a model; purchases arrive with the marketplace.
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
