import Foundation
import HWC3DAPI
import Vapor

/// `POST /uploads/images`: a picture for a post or a ticket, stored before the thing that will hold it exists.
extension APIHandler {
    func uploadImage(_ input: Operations.UploadImage.Input) async throws -> Operations.UploadImage.Output {
        let req = try request
        let caller = try signedIn
        let data = try await input.body.file(limit: services.settings.imageUploadMaxBytes)
        let image = try await UploadedImages(services: services, database: req.db, logger: req.logger).upload(data, owner: caller.userID)
        let stored = UploadedImages.Attached(id: image.id!, width: image.width, height: image.height)
        return .created(.init(body: .json(.init(
            stored, settings: services.settings, expiresAt: image.createdAt.addingTimeInterval(UploadedImages.unattachedLifetime)))))
    }
}
