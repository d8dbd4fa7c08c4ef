import Foundation
import HWC3DAPI

/// Where a model image's renditions live in storage and how clients reach them (`/media/models/<file>`).
/// File names carry the image id, so a replaced image gets new URLs and every URL can be cached forever.
enum ModelImageRenditions {
    static let widths = [320, 640, 1280]
    static let mediaKind = "models"

    static func fileName(imageID: UUID, width: Int) -> String { "\(imageID.uuidString.lowercased())-w\(width).webp" }
    static func fallbackFileName(imageID: UUID) -> String { "\(imageID.uuidString.lowercased())-fallback.jpg" }

    static func storageKey(fileName: String) -> String { "\(mediaKind)/\(fileName)" }

    static func allStorageKeys(imageID: UUID) -> [String] {
        widths.map { storageKey(fileName: fileName(imageID: imageID, width: $0)) }
            + [storageKey(fileName: fallbackFileName(imageID: imageID))]
    }

    static func urls(imageID: UUID, settings: Settings) -> Components.Schemas.ImageRenditions {
        func url(_ file: String) -> String { "\(settings.publicURL)/media/\(mediaKind)/\(file)" }
        return .init(
            w320: url(fileName(imageID: imageID, width: 320)), w640: url(fileName(imageID: imageID, width: 640)),
            w1280: url(fileName(imageID: imageID, width: 1280)), jpeg: url(fallbackFileName(imageID: imageID)))
    }
}

extension Components.Schemas.ModelImage {
    init(_ image: ModelImageRecord, isCover: Bool, settings: Settings) {
        self.init(
            id: image.id!.uuidString.lowercased(), position: image.position, isCover: isCover, width: image.width,
            height: image.height, urls: ModelImageRenditions.urls(imageID: image.id!, settings: settings),
            createdAt: image.createdAt ?? Date(), generated: image.generated)
    }
}
