import Fluent
import Foundation
import Logging
import MeshInspector
import NIOPosix
import SQLKit

/// Gives a model without pictures rendered ones: software renders of an analysed file's geometry
/// (`MeshInspector.geometry` then `PreviewRenderer`: the cover, a wireframe and a four-view sheet), stored through
/// the gallery like uploads and marked `generated`. Enqueued with the analysis result that makes it possible (`enqueueIfWanted`).
///
/// Running twice, or after the creator uploaded an image, changes nothing: the gallery is checked again under its
/// lock before anything is recorded. A file that cannot be drawn (only points, compressed primitives...) ends the
/// job quietly, since retrying cannot help; storage trouble throws so the queue retries later.
struct RenderModelPreviewJob: JobHandler {
    static let kind = "render_model_preview"
    struct Payload: Codable {
        let modelID: UUID
        let fileID: UUID
    }

    let services: AppServices
    let threadPool: NIOThreadPool
    let limits: InspectionLimits
    var options = PreviewRenderOptions.standard
    var maxTriangles = MeshInspector.defaultPreviewTriangles
    /// What a model without pictures gets, in gallery order (`PREVIEW_VIEWS`): by default the cover in its
    /// materials' colours, its wireframe, and a sheet of front, side, top and perspective views.
    var views: [PreviewView] { services.settings.previewViews.compactMap(PreviewView.init(rawValue:)) }

    /// Called in the transaction that records a file's analysis: queues a render when the analysis succeeded and the
    /// model has no image yet, so the job exists exactly when that result does.
    static func enqueueIfWanted(after file: ModelFileRecord, on database: any Database) async throws {
        guard file.analysisStatus == ModelFileRecord.AnalysisStatus.ready.rawValue, let fileID = file.id else { return }
        let modelID = file.$model.id
        guard try await ModelImageService.imageCount(of: modelID, on: database.sql) == 0 else { return }
        try await JobQueue.insert(kind, payload: Payload(modelID: modelID, fileID: fileID), on: database, maxAttempts: 3)
    }

    func run(payload: String, database: any Database, logger: Logger) async throws {
        let job = try JSONDecoder().decode(Payload.self, from: Data(payload.utf8))
        guard let storageKey = try await ModelFileReads.analysedFileKey(job.fileID, of: job.modelID, on: database),
              let model = try await ModelAccess.model(job.modelID, on: database), model.deletedAt == nil,
              try await ModelImageService.imageCount(of: job.modelID, on: database.sql) == 0
        else { return }

        let copy = try await services.storage.fetchToLocalFile(key: storageKey)
        defer { copy.discard() }
        let (limits, options, maxTriangles, views) = (self.limits, self.options, self.maxTriangles, self.views)
        let started = ContinuousClock.now
        let rendered: Result<[PreviewImage], MeshInspectionError> = try await threadPool.runIfActive {
            do {
                // One read of the file (and of its textures) serves every view.
                let geometry = try MeshInspector.geometry(fileAt: copy.path, limits: limits, maxTriangles: maxTriangles)
                return .success(try views.map { view in
                    var viewOptions = options
                    viewOptions.view = view
                    return try PreviewRenderer.render(geometry, options: viewOptions)
                })
            } catch let error as MeshInspectionError {
                return .failure(error)
            } catch {
                return .failure(MeshInspectionError(.malformed, "The file could not be read."))
            }
        }
        let pictures: [PreviewImage]
        switch rendered {
        case .success(let images):
            pictures = images
        case .failure(let error):
            logger.info("no preview rendered", metadata: ["file": "\(job.fileID)", "reason": "\(error.reason)"])
            return
        }
        var pngs: [Data] = []
        do {
            for picture in pictures {
                pngs.append(try await services.images.png(rgb: picture.pixels, width: picture.width, height: picture.height))
            }
        } catch let failure as ImageProcessor.RawPixelsFailure {
            logger.error("rendered preview could not be encoded", metadata: ["file": "\(job.fileID)", "error": "\(failure)"])
            return
        }

        let gallery = ModelImageService(services: services, database: database, logger: logger)
        let outcome = try await gallery.addGeneratedPreviews(pngs: pngs, modelID: job.modelID, ownerID: model.$owner.id)
        let elapsed = ContinuousClock.now - started
        switch outcome {
        case .stored(let imageID):
            logger.debug("preview rendered", metadata: [
                "model": "\(job.modelID)", "image": "\(imageID)", "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
            ])
        case .skipped(let reason):
            logger.info("preview not kept", metadata: ["model": "\(job.modelID)", "reason": "\(reason)"])
        }
    }
}
