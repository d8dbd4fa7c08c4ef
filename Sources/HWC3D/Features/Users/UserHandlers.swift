import Fluent
import Foundation
import HWC3DAPI
import OpenAPIRuntime
import Vapor

extension APIHandler {
    func getMe(_ input: Operations.GetMe.Input) async throws -> Operations.GetMe.Output {
        let caller = try signedIn
        return .ok(.init(body: .json(accountBody(caller.user, of: caller))))
    }

    func updateMe(_ input: Operations.UpdateMe.Input) async throws -> Operations.UpdateMe.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let user = try await UserService(services: services, database: req.db).update(caller.user, with: .init(
            username: body.username, displayName: body.displayName, bio: body.bio, location: body.location,
            website: body.website, socialLinks: body.socialLinks?.additionalProperties, skills: body.skills))
        return .ok(.init(body: .json(accountBody(user, of: caller))))
    }

    func deleteMe(_ input: Operations.DeleteMe.Input) async throws -> Operations.DeleteMe.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        try await AccountLifecycle(services: services, database: req.db)
            .erase(caller.user, password: body.password, confirmUsername: body.confirmUsername)
        req.clearSessionCookies()
        return .noContent(.init())
    }

    func exportMe(_ input: Operations.ExportMe.Input) async throws -> Operations.ExportMe.Output {
        let req = try request
        let caller = try signedIn
        let export = try await AccountLifecycle(services: services, database: req.db).export(caller.user)
        let settings = services.settings
        let body = Components.Schemas.AccountExport(
            exportedAt: Date(),
            account: .init(export.user, isAdmin: export.admin != nil, settings: settings),
            admin: export.admin.map(Components.Schemas.AdminInfo.init),
            sessions: export.sessions.map { .init($0, currentID: caller.sessionID) },
            oauthAccounts: export.oauthAccounts.map { .init(provider: $0.provider, email: $0.email, linkedAt: $0.createdAt ?? Date()) },
            following: export.following.map { .init($0, settings: settings) },
            followers: export.followers.map { .init($0, settings: settings) },
            emails: export.emails.map { .init(to: $0.toAddress, subject: $0.subject, createdAt: $0.createdAt ?? Date(), sentAt: $0.sentAt) })
        return .ok(.init(
            headers: .init(contentDisposition: "attachment; filename=\"hwc3d-export-\(caller.user.username).json\""),
            body: .json(body)))
    }

    func uploadAvatar(_ input: Operations.UploadAvatar.Input) async throws -> Operations.UploadAvatar.Output {
        .ok(.init(body: .json(try await storeImage(input.body, kind: .avatars))))
    }

    func uploadBanner(_ input: Operations.UploadBanner.Input) async throws -> Operations.UploadBanner.Output {
        .ok(.init(body: .json(try await storeImage(input.body, kind: .banners))))
    }

    func deleteAvatar(_ input: Operations.DeleteAvatar.Input) async throws -> Operations.DeleteAvatar.Output {
        let req = try request
        let caller = try signedIn
        let user = try await UserMedia(services: services, database: req.db).remove(kind: .avatars, for: caller.user)
        return .ok(.init(body: .json(accountBody(user, of: caller))))
    }

    func deleteBanner(_ input: Operations.DeleteBanner.Input) async throws -> Operations.DeleteBanner.Output {
        let req = try request
        let caller = try signedIn
        let user = try await UserMedia(services: services, database: req.db).remove(kind: .banners, for: caller.user)
        return .ok(.init(body: .json(accountBody(user, of: caller))))
    }

    /// Reads the `file` part (at most the kind's limit, refused with 413 the moment it is passed) and stores it.
    private func storeImage(_ body: Components.RequestBodies.ImageUpload, kind: UserMedia.Kind) async throws -> Components.Schemas.User {
        let req = try request
        let caller = try signedIn
        let file = try await body.file(limit: kind.maxBytes)
        let user = try await UserMedia(services: services, database: req.db).store(file, kind: kind, for: caller.user)
        return accountBody(user, of: caller)
    }

    func searchUsers(_ input: Operations.SearchUsers.Input) async throws -> Operations.SearchUsers.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let result = try await UserService(services: services, database: req.reads).search(
            q: input.query.q, sort: input.query.sort.flatMap { UserService.SearchSort(rawValue: $0.rawValue) },
            page: page)
        return .ok(.init(body: .json(.init(
            items: result.items.map { .init($0, settings: services.settings) }, meta: page.meta(total: result.total)))))
    }

    func getUserProfile(_ input: Operations.GetUserProfile.Input) async throws -> Operations.GetUserProfile.Output {
        let req = try request
        let service = UserService(services: services, database: req.reads)
        let (user, following) = try await service.publicProfile(username: input.path.username, viewerID: try optionalCaller?.userID)
        let settings = services.settings
        return .ok(.init(body: .json(.init(
            id: user.id!.uuidString.lowercased(), username: user.username, displayName: user.displayName, bio: user.bio,
            location: user.location, website: user.website, socialLinks: .init(additionalProperties: user.socialLinks),
            skills: user.skills, avatarUrl: UserMedia.url(for: user.avatarKey, settings: settings),
            bannerUrl: UserMedia.url(for: user.bannerKey, settings: settings), isCreator: user.isCreator,
            createdAt: user.createdAt ?? Date(),
            counters: .init(followers: user.followersCount, following: user.followingCount, models: user.modelsCount),
            isFollowing: following))))
    }

    func followUser(_ input: Operations.FollowUser.Input) async throws -> Operations.FollowUser.Output {
        let req = try request
        let caller = try signedIn
        let state = try await UserService(services: services, database: req.db).follow(followerID: caller.userID, username: input.path.username)
        return .ok(.init(body: .json(.init(following: state.following, followers: state.followers))))
    }

    func unfollowUser(_ input: Operations.UnfollowUser.Input) async throws -> Operations.UnfollowUser.Output {
        let req = try request
        let caller = try signedIn
        let state = try await UserService(services: services, database: req.db).unfollow(followerID: caller.userID, username: input.path.username)
        return .ok(.init(body: .json(.init(following: state.following, followers: state.followers))))
    }

    func listFollowers(_ input: Operations.ListFollowers.Input) async throws -> Operations.ListFollowers.Output {
        .ok(.init(body: .json(try await followPage(input.path.username, .followers, input.query.page, input.query.perPage))))
    }

    func listFollowing(_ input: Operations.ListFollowing.Input) async throws -> Operations.ListFollowing.Output {
        .ok(.init(body: .json(try await followPage(input.path.username, .following, input.query.page, input.query.perPage))))
    }

    private func followPage(_ username: String, _ direction: UserService.FollowDirection, _ page: Int?, _ perPage: Int?) async throws
        -> Components.Schemas.UserSummaryPage
    {
        let req = try request
        let page = try PageRequest(page: page, perPage: perPage)
        let result = try await UserService(services: services, database: req.reads)
            .followList(of: username, direction: direction, page: page)
        return .init(items: result.items.map { .init($0, settings: services.settings) }, meta: page.meta(total: result.total))
    }
}
