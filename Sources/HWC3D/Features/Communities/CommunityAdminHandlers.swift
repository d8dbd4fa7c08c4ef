import Foundation
import HWC3DAPI
import Vapor

/// The admin console's communities and posts.
extension APIHandler {
    func adminListCommunities(_ input: Operations.AdminListCommunities.Input) async throws -> Operations.AdminListCommunities.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let result = try await CommunityModeration(database: req.db, admin: try admin)
            .list(q: input.query.q, status: input.query.status.flatMap { CommunityModeration.Status(rawValue: $0.rawValue) }, page: page)
        return .ok(.init(body: .json(.init(
            items: result.items.map { .init($0, settings: services.settings) }, meta: page.meta(total: result.total)))))
    }

    func adminUpdateCommunity(_ input: Operations.AdminUpdateCommunity.Input) async throws -> Operations.AdminUpdateCommunity.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        let entry = try await CommunityModeration(database: req.db, admin: try admin)
            .update(input.path.id, verified: body.verified, suspended: body.suspended, ownerID: body.ownerId)
        return .ok(.init(body: .json(.init(entry, settings: services.settings))))
    }

    func adminDeleteCommunity(_ input: Operations.AdminDeleteCommunity.Input) async throws -> Operations.AdminDeleteCommunity.Output {
        let req = try request
        try await CommunityModeration(database: req.db, admin: try admin).delete(input.path.id)
        return .noContent(.init())
    }

    func adminListPosts(_ input: Operations.AdminListPosts.Input) async throws -> Operations.AdminListPosts.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let result = try await CommunityModeration(database: req.db, admin: try admin)
            .posts(communitySlug: input.query.community, page: page, settings: services.settings)
        return .ok(.init(body: .json(.init(
            items: result.items.map { .init(post: .init($0.0, model: $0.1, settings: services.settings), reportsCount: $0.2) },
            meta: page.meta(total: result.total)))))
    }

    func adminDeletePost(_ input: Operations.AdminDeletePost.Input) async throws -> Operations.AdminDeletePost.Output {
        let req = try request
        try await CommunityModeration(database: req.db, admin: try admin).deletePost(input.path.id)
        return .noContent(.init())
    }
}

extension Components.Schemas.AdminCommunity {
    init(_ entry: CommunityModeration.Entry, settings: Settings) {
        self.init(
            community: .init(entry.place, settings: settings), suspendedAt: entry.suspendedAt, deletedAt: entry.deletedAt,
            reportsCount: entry.reportsCount)
    }
}
