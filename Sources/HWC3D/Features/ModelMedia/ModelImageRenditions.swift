import Foundation
import HWC3DAPI

extension ImageRenditionFiles {
    /// A model gallery's pictures: `/media/models/<file>`.
    static let models = ImageRenditionFiles(mediaKind: "models")
}

extension Components.Schemas.ModelImage {
    init(_ image: ModelImageRecord, isCover: Bool, settings: Settings) {
        self.init(
            id: image.id!.uuidString.lowercased(), position: image.position, isCover: isCover, width: image.width,
            height: image.height, urls: ImageRenditionFiles.models.urls(imageID: image.id!, settings: settings),
            createdAt: image.createdAt ?? Date(), generated: image.generated)
    }
}
