import Foundation
import HWC3DAPI
import Vapor

/// Likes, comments, views and owner statistics of a model.
extension APIHandler {
    func likeModel(_ input: Operations.LikeModel.Input) async throws -> Operations.LikeModel.Output {
        let req = try request
        let caller = try signedIn
        let model = try await ModelAccess.interactive(input.path.id, caller: caller, on: req.db)
        let state = try await ModelLikeService(database: req.db).like(model, userID: caller.userID)
        return .ok(.init(body: .json(.init(liked: state.liked, likeCount: state.likeCount))))
    }

    func unlikeModel(_ input: Operations.UnlikeModel.Input) async throws -> Operations.UnlikeModel.Output {
        let req = try request
        let caller = try signedIn
        let model = try await ModelAccess.interactive(input.path.id, caller: caller, on: req.db)
        let state = try await ModelLikeService(database: req.db).unlike(modelID: model.id!, userID: caller.userID)
        return .ok(.init(body: .json(.init(liked: state.liked, likeCount: state.likeCount))))
    }

    func listModelLikes(_ input: Operations.ListModelLikes.Input) async throws -> Operations.ListModelLikes.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        // `visible`: a model that stopped being published keeps its likes, and its owner may still read them.
        let model = try await ModelAccess.visible(input.path.id, caller: try optionalCaller, on: req.reads)
        let result = try await ModelLikeService(database: req.reads).likers(modelID: model.id!, page: page)
        return .ok(.init(body: .json(.init(
            items: result.items.map { .init($0, settings: services.settings) }, meta: page.meta(total: result.total)))))
    }

    func listModelComments(_ input: Operations.ListModelComments.Input) async throws -> Operations.ListModelComments.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let model = try await ModelAccess.interactive(input.path.id, caller: try optionalCaller, on: req.reads)
        let result = try await ModelCommentService(database: req.reads).page(modelID: model.id!, page: page)
        return .ok(.init(body: .json(.init(
            items: result.items.map { .init($0, settings: services.settings) }, meta: page.meta(total: result.total)))))
    }

    func createModelComment(_ input: Operations.CreateModelComment.Input) async throws -> Operations.CreateModelComment.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let model = try await ModelAccess.interactive(input.path.id, caller: caller, on: req.db)
        let comment = try await ModelCommentService(database: req.db)
            .create(on: model, author: caller.user, body: body.body, parentID: body.parentId)
        return .created(.init(body: .json(.init(comment, settings: services.settings))))
    }

    func updateModelComment(_ input: Operations.UpdateModelComment.Input) async throws -> Operations.UpdateModelComment.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let model = try await ModelAccess.interactive(input.path.id, caller: caller, on: req.db)
        let comment = try await ModelCommentService(database: req.db)
            .edit(input.path.commentId, on: model, caller: caller, body: body.body)
        return .ok(.init(body: .json(.init(comment, settings: services.settings))))
    }

    func deleteModelComment(_ input: Operations.DeleteModelComment.Input) async throws -> Operations.DeleteModelComment.Output {
        let req = try request
        let caller = try signedIn
        // `visible`: the owner and moderators may clear comments from a model that is no longer published.
        let model = try await ModelAccess.visible(input.path.id, caller: caller, on: req.db)
        try await ModelCommentService(database: req.db).delete(input.path.commentId, on: model, caller: caller)
        return .noContent(.init())
    }

    func recordModelView(_ input: Operations.RecordModelView.Input) async throws -> Operations.RecordModelView.Output {
        let req = try request
        let caller = try optionalCaller
        let model = try await ModelAccess.interactive(input.path.id, caller: caller, on: req.db)
        let viewer = ModelViewCounter.viewer(
            caller: caller, clientIP: req.clientIP, userAgent: req.headers.first(name: .userAgent))
        let result = try await ModelViewCounter(database: req.db, serverSecret: services.settings.jwtSecret)
            .record(model, viewer: viewer)
        return .ok(.init(body: .json(.init(counted: result.counted, viewCount: result.viewCount))))
    }

    func getModelStats(_ input: Operations.GetModelStats.Input) async throws -> Operations.GetModelStats.Output {
        let req = try request
        let caller = try signedIn
        let report = try await ModelStatsService(database: req.reads).report(input.path.id, caller: caller, days: input.query.days)
        return .ok(.init(body: .json(.init(
            modelId: report.modelID.uuidString.lowercased(),
            days: report.days.map { .init(date: $0.day, views: $0.views, downloads: $0.downloads, likes: $0.likes, sales: $0.sales) },
            totals: .init(views: report.views, downloads: report.downloads, likes: report.likes, comments: report.comments),
            sales: report.sales))))
    }
}
