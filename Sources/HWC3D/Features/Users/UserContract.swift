import Foundation
import HWC3DAPI

// The account and profile as the contract shows them.
extension Components.Schemas.User {
    init(_ user: User, isAdmin: Bool, settings: Settings) {
        self.init(
            id: user.id!.uuidString.lowercased(), email: user.email, username: user.username, displayName: user.displayName,
            bio: user.bio, location: user.location, website: user.website,
            socialLinks: .init(additionalProperties: user.socialLinks), skills: user.skills,
            avatarUrl: UserMedia.url(for: user.avatarKey, settings: settings),
            bannerUrl: UserMedia.url(for: user.bannerKey, settings: settings),
            emailVerified: user.isEmailVerified, isCreator: user.isCreator, isAdmin: isAdmin,
            createdAt: user.createdAt ?? Date(),
            counters: .init(followers: user.followersCount, following: user.followingCount, models: user.modelsCount))
    }
}

extension Components.Schemas.UserSummary {
    init(_ user: User, settings: Settings) {
        self.init(
            id: user.id!.uuidString.lowercased(), username: user.username, displayName: user.displayName,
            avatarUrl: UserMedia.url(for: user.avatarKey, settings: settings), isCreator: user.isCreator)
    }
}
