import Foundation
import HWC3DAPI
import Vapor

/// Communities and their members.
extension APIHandler {
    func listCommunities(_ input: Operations.ListCommunities.Input) async throws -> Operations.ListCommunities.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let sort = CommunityService.Sort(rawValue: input.query.sort?.rawValue ?? "members") ?? .members
        let result = try await CommunityService(database: req.reads)
            .list(caller: try optionalCaller, query: input.query.q, category: input.query.category, sort: sort, page: page)
        return .ok(.init(body: .json(.init(
            items: result.items.map { .init($0, settings: services.settings) }, meta: page.meta(total: result.total)))))
    }

    func createCommunity(_ input: Operations.CreateCommunity.Input) async throws -> Operations.CreateCommunity.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let draft = CommunityService.Draft(
            name: body.name, slug: body.slug, description: body.description ?? "", rules: body.rules,
            visibility: body.visibility == ._public ? .public : .private, category: body.category)
        try await CommunityService(database: req.db).create(draft, owner: caller)
        let place = try await CommunityAccess.place(slug: draft.slug, caller: caller, on: req.db)
        return .created(.init(body: .json(.init(place, settings: services.settings))))
    }

    func getCommunity(_ input: Operations.GetCommunity.Input) async throws -> Operations.GetCommunity.Output {
        let req = try request
        let place = try await CommunityAccess.place(slug: input.path.slug, caller: try optionalCaller, on: req.reads)
        return .ok(.init(body: .json(.init(place, settings: services.settings))))
    }

    func updateCommunity(_ input: Operations.UpdateCommunity.Input) async throws -> Operations.UpdateCommunity.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let place = try await CommunityAccess.place(slug: input.path.slug, caller: caller, on: req.db)
        let changes = CommunityService.Changes(
            name: body.name, description: body.description, rules: body.rules,
            visibility: body.visibility.map { $0 == ._public ? .public : .private }, category: body.category)
        try await CommunityService(database: req.db).update(place, changes: changes)
        let updated = try await CommunityAccess.place(slug: input.path.slug, caller: caller, on: req.db)
        return .ok(.init(body: .json(.init(updated, settings: services.settings))))
    }

    func deleteCommunity(_ input: Operations.DeleteCommunity.Input) async throws -> Operations.DeleteCommunity.Output {
        let req = try request
        let caller = try signedIn
        let place = try await CommunityAccess.place(slug: input.path.slug, caller: caller, on: req.db)
        try await CommunityService(database: req.db).delete(place)
        return .noContent(.init())
    }

    func joinCommunity(_ input: Operations.JoinCommunity.Input) async throws -> Operations.JoinCommunity.Output {
        let req = try request
        let caller = try signedIn
        let place = try await CommunityAccess.place(slug: input.path.slug, caller: caller, on: req.db)
        let (role, status) = try await MembershipService(database: req.db).join(place, caller: caller)
        return .ok(.init(body: .json(.init(role: .init(role), status: .init(status)))))
    }

    func leaveCommunity(_ input: Operations.LeaveCommunity.Input) async throws -> Operations.LeaveCommunity.Output {
        let req = try request
        let caller = try signedIn
        let place = try await CommunityAccess.place(slug: input.path.slug, caller: caller, on: req.db)
        try await MembershipService(database: req.db).leave(place, caller: caller)
        return .noContent(.init())
    }

    func listCommunityMembers(_ input: Operations.ListCommunityMembers.Input) async throws -> Operations.ListCommunityMembers.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let place = try await CommunityAccess.place(slug: input.path.slug, caller: try optionalCaller, on: req.reads)
        let status = CommunityMember.Status(rawValue: input.query.status?.rawValue ?? "active") ?? .active
        let role = input.query.role.flatMap { CommunityMember.Role(rawValue: $0.rawValue) }
        let result = try await MembershipService(database: req.reads).list(place, status: status, role: role, page: page)
        return .ok(.init(body: .json(.init(
            items: result.items.map { .init($0, settings: services.settings) }, meta: page.meta(total: result.total)))))
    }

    func updateCommunityMember(_ input: Operations.UpdateCommunityMember.Input) async throws -> Operations.UpdateCommunityMember.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let place = try await CommunityAccess.place(slug: input.path.slug, caller: caller, on: req.db)
        let member = try await MembershipService(database: req.db).update(
            place, userID: input.path.userId, role: body.role.flatMap { CommunityMember.Role(rawValue: $0.rawValue) },
            approve: body.status == .active)
        return .ok(.init(body: .json(.init(member, settings: services.settings))))
    }

    func removeCommunityMember(_ input: Operations.RemoveCommunityMember.Input) async throws -> Operations.RemoveCommunityMember.Output {
        let req = try request
        let caller = try signedIn
        let place = try await CommunityAccess.place(slug: input.path.slug, caller: caller, on: req.db)
        try await MembershipService(database: req.db).remove(place, userID: input.path.userId, ban: input.query.ban ?? false)
        return .noContent(.init())
    }
}
