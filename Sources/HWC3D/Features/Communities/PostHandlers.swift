import Fluent
import Foundation
import HWC3DAPI
import Vapor

/// Posts, reactions, comments and shares.
extension APIHandler {
    func listCommunityPosts(_ input: Operations.ListCommunityPosts.Input) async throws -> Operations.ListCommunityPosts.Output {
        let req = try request
        let caller = try optionalCaller
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let place = try await CommunityAccess.place(slug: input.path.slug, caller: caller, on: req.reads)
        try await place.requireReadable(on: req.reads)
        let sort = PostReads.Sort(rawValue: input.query.sort?.rawValue ?? "hot") ?? .hot
        let reads = PostReads(database: req.reads)
        let result = try await reads.page(of: place, reader: caller, sort: sort, page: page)
        let cards = try await reads.modelCards(for: result.items, settings: services.settings)
        return .ok(.init(body: .json(.init(
            items: result.items.map { .init($0, model: $0.listedModelID.flatMap { cards[$0] }, settings: services.settings) },
            meta: page.meta(total: result.total)))))
    }

    func createCommunityPost(_ input: Operations.CreateCommunityPost.Input) async throws -> Operations.CreateCommunityPost.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let place = try await CommunityAccess.place(slug: input.path.slug, caller: caller, on: req.db)
        let id = try await PostService(database: req.db)
            .create(in: place, author: caller, title: body.title, body: body.body, modelID: body.modelId, imageIDs: body.imageIds)
        return .created(.init(body: .json(try await post(id, reader: caller, on: req.db))))
    }

    func getPost(_ input: Operations.GetPost.Input) async throws -> Operations.GetPost.Output {
        let req = try request
        let caller = try optionalCaller
        let (_, post) = try await CommunityAccess.post(input.path.id, caller: caller, on: req.reads)
        return .ok(.init(body: .json(try await self.post(post.id!, reader: caller, on: req.reads))))
    }

    func updatePost(_ input: Operations.UpdatePost.Input) async throws -> Operations.UpdatePost.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let (place, post) = try await CommunityAccess.post(input.path.id, caller: caller, on: req.db)
        try await PostService(database: req.db)
            .edit(post, in: place, caller: caller, title: body.title, body: body.body, modelID: body.modelId, imageIDs: body.imageIds)
        return .ok(.init(body: .json(try await self.post(post.id!, reader: caller, on: req.db))))
    }

    func deletePost(_ input: Operations.DeletePost.Input) async throws -> Operations.DeletePost.Output {
        let req = try request
        let caller = try signedIn
        let (place, post) = try await CommunityAccess.post(input.path.id, caller: caller, on: req.db)
        try await PostService(database: req.db).delete(post, in: place, caller: caller)
        return .noContent(.init())
    }

    func pinPost(_ input: Operations.PinPost.Input) async throws -> Operations.PinPost.Output {
        let req = try request
        let caller = try signedIn
        let (place, post) = try await CommunityAccess.post(input.path.id, caller: caller, on: req.db)
        try await PostService(database: req.db).togglePin(post, in: place)
        return .ok(.init(body: .json(try await self.post(post.id!, reader: caller, on: req.db))))
    }

    func reactToPost(_ input: Operations.ReactToPost.Input) async throws -> Operations.ReactToPost.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let (place, post) = try await CommunityAccess.post(input.path.id, caller: caller, on: req.db)
        let state = try await PostReactionService(database: req.db).react(post, in: place, caller: caller, kind: .init(body._type))
        return .ok(.init(body: .json(.init(state))))
    }

    func unreactToPost(_ input: Operations.UnreactToPost.Input) async throws -> Operations.UnreactToPost.Output {
        let req = try request
        let caller = try signedIn
        let (place, post) = try await CommunityAccess.post(input.path.id, caller: caller, on: req.db)
        let state = try await PostReactionService(database: req.db).unreact(post, in: place, caller: caller)
        return .ok(.init(body: .json(.init(state))))
    }

    func listPostComments(_ input: Operations.ListPostComments.Input) async throws -> Operations.ListPostComments.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let (_, post) = try await CommunityAccess.post(input.path.id, caller: try optionalCaller, on: req.reads)
        let result = try await PostCommentService(database: req.reads).page(postID: post.id!, page: page)
        return .ok(.init(body: .json(.init(
            items: result.items.map { .init($0, settings: services.settings) }, meta: page.meta(total: result.total)))))
    }

    func createPostComment(_ input: Operations.CreatePostComment.Input) async throws -> Operations.CreatePostComment.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let (place, post) = try await CommunityAccess.post(input.path.id, caller: caller, on: req.db)
        let comment = try await PostCommentService(database: req.db)
            .create(on: post, in: place, author: caller, body: body.body, parentID: body.parentId)
        return .created(.init(body: .json(.init(comment, settings: services.settings))))
    }

    func updatePostComment(_ input: Operations.UpdatePostComment.Input) async throws -> Operations.UpdatePostComment.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let (_, post) = try await CommunityAccess.post(input.path.id, caller: caller, on: req.db)
        let comment = try await PostCommentService(database: req.db).edit(input.path.commentId, on: post, caller: caller, body: body.body)
        return .ok(.init(body: .json(.init(comment, settings: services.settings))))
    }

    func deletePostComment(_ input: Operations.DeletePostComment.Input) async throws -> Operations.DeletePostComment.Output {
        let req = try request
        let caller = try signedIn
        let (place, post) = try await CommunityAccess.post(input.path.id, caller: caller, on: req.db)
        try await PostCommentService(database: req.db).delete(input.path.commentId, on: post, in: place, caller: caller)
        return .noContent(.init())
    }

    func sharePost(_ input: Operations.SharePost.Input) async throws -> Operations.SharePost.Output {
        let req = try request
        let caller = try signedIn
        let (place, post) = try await CommunityAccess.post(input.path.id, caller: caller, on: req.db)
        let shared = try await PostService(database: req.db).share(post, in: place, caller: caller, settings: services.settings)
        return .ok(.init(body: .json(.init(url: shared.url, shareCount: shared.count))))
    }

    /// A post as the reader sees it, with its attached model's card when the model is listed.
    private func post(_ id: UUID, reader: Caller?, on database: any Database) async throws -> Components.Schemas.Post {
        let reads = PostReads(database: database)
        guard let view = try await reads.one(id, reader: reader) else { throw CommunityAccess.postNotFound }
        let cards = try await reads.modelCards(for: [view], settings: services.settings)
        return .init(view, model: view.listedModelID.flatMap { cards[$0] }, settings: services.settings)
    }
}
