import Foundation
import HWC3DAPI
import OpenAPIRuntime
import Vapor

/// Preview images of a model: upload, cover and order, removal. Rules live in `ModelImageService`.
extension APIHandler {
    func uploadModelImage(_ input: Operations.UploadModelImage.Input) async throws -> Operations.UploadModelImage.Output {
        let req = try request
        let caller = try signedIn
        let service = ModelImageService(services: services, database: req.db, logger: req.logger)
        // Who may upload is settled before a byte of the body is read.
        let model = try await service.editableModel(input.path.id, caller: caller)
        let data = try await input.body.file(limit: services.settings.imageUploadMaxBytes)
        let stored = try await service.add(data, to: model)
        return .created(.init(body: .json(.init(stored.image, isCover: stored.isCover, settings: services.settings))))
    }

    func updateModelImage(_ input: Operations.UpdateModelImage.Input) async throws -> Operations.UpdateModelImage.Output {
        let req = try request
        let caller = try signedIn
        let changes = switch input.body { case .json(let json): json }
        let service = ModelImageService(services: services, database: req.db, logger: req.logger)
        let model = try await service.editableModel(input.path.id, caller: caller)
        let gallery = try await service.update(
            imageKey: input.path.imageId, of: model, isCover: changes.isCover, position: changes.position)
        return .ok(.init(body: .json(.init(gallery, settings: services.settings))))
    }

    func deleteModelImage(_ input: Operations.DeleteModelImage.Input) async throws -> Operations.DeleteModelImage.Output {
        let req = try request
        let caller = try signedIn
        let service = ModelImageService(services: services, database: req.db, logger: req.logger)
        let model = try await service.editableModel(input.path.id, caller: caller)
        try await service.remove(imageKey: input.path.imageId, of: model)
        return .noContent(.init())
    }
}

extension Components.Schemas.ModelImageList {
    init(_ gallery: ModelImageService.Gallery, settings: Settings) {
        self.init(items: gallery.images.map { .init($0, isCover: $0.id == gallery.coverID, settings: settings) })
    }
}
