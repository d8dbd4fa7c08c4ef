import Foundation
import HWC3DAPI
import Logging

/// One kind of stored picture that gets the gallery treatment: WEBP renditions 320, 640 and 1280 px wide and a
/// 1280 px JPEG fallback, under `<mediaKind>/<id>-w<width>.webp` and `<mediaKind>/<id>-fallback.jpg`, served by
/// `GET /media/{kind}/{file}`. File names carry the image id, so a replaced image gets new URLs and every URL
/// can be cached forever. Model galleries and the images of posts and tickets use it.
struct ImageRenditionFiles: Sendable {
    static let widths = [320, 640, 1280]
    static let jpegWidth = 1280
    static let jpegQuality = 85
    static let uploadFormats: Set<ImageProcessor.Format> = [.jpeg, .png, .webp]

    let mediaKind: String

    func fileName(imageID: UUID, width: Int) -> String { "\(imageID.uuidString.lowercased())-w\(width).webp" }
    func fallbackFileName(imageID: UUID) -> String { "\(imageID.uuidString.lowercased())-fallback.jpg" }
    func storageKey(fileName: String) -> String { "\(mediaKind)/\(fileName)" }

    func allStorageKeys(imageID: UUID) -> [String] {
        Self.widths.map { storageKey(fileName: fileName(imageID: imageID, width: $0)) }
            + [storageKey(fileName: fallbackFileName(imageID: imageID))]
    }

    func urls(imageID: UUID, settings: Settings) -> Components.Schemas.ImageRenditions {
        func url(_ file: String) -> String { "\(settings.publicURL)/media/\(mediaKind)/\(file)" }
        return .init(
            w320: url(fileName(imageID: imageID, width: 320)), w640: url(fileName(imageID: imageID, width: 640)),
            w1280: url(fileName(imageID: imageID, width: 1280)), jpeg: url(fallbackFileName(imageID: imageID)))
    }

    /// Checks an uploaded picture and makes its renditions, answering the client's mistakes as problems: 415 for a
    /// type that is not JPEG, PNG or WEBP by its bytes, 422 for too many pixels or an incomplete image.
    static func renditions(of upload: Data, with images: ImageProcessor) async throws -> GalleryRenditions {
        guard let format = ImageProcessor.detectFormat(upload), uploadFormats.contains(format) else { throw unsupportedType }
        do {
            return try await images.galleryRenditions(
                upload, widths: widths, jpegWidth: jpegWidth, jpegQuality: jpegQuality, allowed: uploadFormats)
        } catch ImageProcessor.Failure.unsupportedFormat {
            throw unsupportedType
        } catch ImageProcessor.Failure.tooManyPixels {
            throw Problem.validation(field: "file", "has more than \(ImageProcessor.maxPixels / 1_000_000) megapixels")
        } catch ImageProcessor.Failure.undecodable {
            throw Problem.validation(field: "file", "is not a complete, readable JPEG, PNG or WEBP image")
        }
    }

    static let unsupportedType = Problem.unsupportedMediaType("The file must be a JPEG, PNG or WEBP image (decided from its content).")

    /// Puts every rendition (concurrently: against S3 each is a round trip). If one fails, the others are removed.
    /// Answers the keys written.
    func store(_ renditions: GalleryRenditions, imageID: UUID, in storage: any FileStorage, logger: Logger) async throws -> [String] {
        var files: [(key: String, data: Data, contentType: String)] = Self.widths.compactMap { width in
            renditions.webp[width].map { (storageKey(fileName: fileName(imageID: imageID, width: width)), $0, "image/webp") }
        }
        files.append((storageKey(fileName: fallbackFileName(imageID: imageID)), renditions.jpeg, "image/jpeg"))
        let keys = files.map(\.key)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for file in files {
                    group.addTask { try await storage.put(file.data, key: file.key, contentType: file.contentType) }
                }
                try await group.waitForAll()
            }
        } catch {
            await Self.remove(keys, from: storage, logger: logger)
            throw error
        }
        return keys
    }

    /// Deletes stored renditions; a failure is logged, not thrown: the row that pointed at them is already gone.
    static func remove(_ keys: [String], from storage: any FileStorage, logger: Logger) async {
        for key in keys {
            do {
                try await storage.delete(key: key)
            } catch {
                logger.error("could not delete an image rendition", metadata: ["key": "\(key)", "error": "\(error)"])
            }
        }
    }
}
