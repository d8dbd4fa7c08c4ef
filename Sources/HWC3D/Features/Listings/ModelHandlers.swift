import Fluent
import Foundation
import HWC3DAPI
import OpenAPIRuntime
import Vapor

/// Creating, reading, editing, deleting and submitting models. Their 3D files and downloads are `ModelFiles`'.
extension APIHandler {
    func createModel(_ input: Operations.CreateModel.Input) async throws -> Operations.CreateModel.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let fields = try await ModelFields.validate(
            title: body.title, description: body.description, category: body.category, tags: body.tags,
            license: body.license, priceCents: body.priceCents, visibility: body.visibility, on: req.db)
        let model = try await ModelService(services: services, database: req.db).create(ownerID: caller.userID, fields: fields)
        return .created(.init(body: .json(try await ModelDetails(services: services, database: req.db).load(model, for: caller))))
    }

    func getModel(_ input: Operations.GetModel.Input) async throws -> Operations.GetModel.Output {
        let req = try request
        let caller = try optionalCaller
        return .ok(.init(body: .json(try await ModelDetails(services: services, database: req.reads).page(input.path.id, for: caller))))
    }

    func updateModel(_ input: Operations.UpdateModel.Input) async throws -> Operations.UpdateModel.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        let model = try await ModelAccess.owned(input.path.id, caller: caller, on: req.db)
        let fields = try await ModelFields.validate(
            title: body.title, description: body.description, category: body.category, tags: body.tags,
            license: body.license, priceCents: body.priceCents, visibility: body.visibility, on: req.db)
        let updated = try await ModelService(services: services, database: req.db).update(model, fields: fields, status: body.status)
        return .ok(.init(body: .json(try await ModelDetails(services: services, database: req.db).load(updated, for: caller))))
    }

    func deleteModel(_ input: Operations.DeleteModel.Input) async throws -> Operations.DeleteModel.Output {
        let req = try request
        let caller = try signedIn
        let model = try await ModelAccess.owned(input.path.id, caller: caller, on: req.db)
        try await ModelService(services: services, database: req.db).delete(model)
        return .noContent(.init())
    }

    func submitModel(_ input: Operations.SubmitModel.Input) async throws -> Operations.SubmitModel.Output {
        let req = try request
        let caller = try signedIn
        let model = try await ModelAccess.owned(input.path.id, caller: caller, on: req.db)
        guard caller.user.isEmailVerified else { throw Problem.emailNotVerified }
        let submitted = try await ModelService(services: services, database: req.db).submit(model)
        return .ok(.init(body: .json(try await ModelDetails(services: services, database: req.db).load(submitted, for: caller))))
    }
}
