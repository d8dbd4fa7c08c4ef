import Fluent
import Foundation
import HWC3DAPI
import OpenAPIRuntime
import Vapor

/// A model's 3D files: upload, removal, the analysis report, downloads, and the formats upload forms offer.
extension APIHandler {
    func uploadModelFile(_ input: Operations.UploadModelFile.Input) async throws -> Operations.UploadModelFile.Output {
        let req = try request
        let caller = try signedIn
        let model = try await ModelAccess.owned(input.path.id, caller: caller, on: req.db)
        guard caller.user.isEmailVerified else { throw Problem.emailNotVerified }
        guard case .multipartForm(let parts) = input.body else {
            throw Problem.unsupportedMediaType("Send multipart/form-data with a `file` part.")
        }
        let uploads = ModelFileUploads(services: services, database: req.db, threadPool: req.application.threadPool)
        let stored = try await UploadForm.handleFile(in: parts, classify: { part in
            switch part {
            case .file(let file): .file(filename: file.filename, body: file.payload.body)
            case .undocumented(let raw): .other(raw.body)
            }
        }) { filename, body in
            try await uploads.add(to: model, filename: filename, body: body)
        }
        return .created(.init(body: .json(.init(stored))))
    }

    func deleteModelFile(_ input: Operations.DeleteModelFile.Input) async throws -> Operations.DeleteModelFile.Output {
        let req = try request
        let caller = try signedIn
        let model = try await ModelAccess.owned(input.path.id, caller: caller, on: req.db)
        guard let fileID = UUID(uuidString: input.path.fileId) else { throw Problem.notFound("The file") }
        try await ModelFileUploads(services: services, database: req.db, threadPool: req.application.threadPool)
            .remove(fileID, from: model)
        return .noContent(.init())
    }

    func getModelFileAnalysis(_ input: Operations.GetModelFileAnalysis.Input) async throws -> Operations.GetModelFileAnalysis.Output {
        let req = try request
        let caller = try signedIn
        let model = try await ModelAccess.visible(input.path.id, caller: caller, on: req.db)
        // The full report is the owner's (and moderators'); to anyone else the model's files do not exist here.
        guard try await ModelAccess.canSeeAnything(caller, model: model, on: req.db) else { throw Problem.notFound("The file") }
        guard let fileID = UUID(uuidString: input.path.fileId),
            let file = try await ModelFileRecord.query(on: req.db).filter(\.$id == fileID).filter(\.$model.$id == model.requireID()).first()
        else { throw Problem.notFound("The file") }
        return .ok(.init(body: .json(.init(
            fileId: fileID.uuidString.lowercased(), status: .init(rawValue: file.analysisStatus) ?? .pending,
            error: file.analysisError, report: StoredAnalysis.decode(file.analysis), analysedAt: file.analysedAt,
            durationMs: file.analysisDurationMs))))
    }

    func downloadModel(_ input: Operations.DownloadModel.Input) async throws -> Operations.DownloadModel.Output {
        let req = try request
        let caller = try optionalCaller
        let model = try await ModelAccess.downloadable(input.path.id, caller: caller, on: req.db)
        let downloads = ModelDownloads(services: services, database: req.db)
        let links = try await downloads.links(for: model, caller: caller, onlyFile: input.query.fileId)
        if input.query.fileId != nil, let link = links.first {
            return .found(.init(headers: .init(location: link.url)))
        }
        return .ok(.init(body: .json(.init(modelId: try model.requireID().uuidString.lowercased(), items: links))))
    }

    func listFormats(_ input: Operations.ListFormats.Input) async throws -> Operations.ListFormats.Output {
        let settings = services.settings
        return .ok(.init(body: .json(.init(
            modelFormats: UploadFormatCatalogue.formats, modelMaxBytes: settings.modelUploadMaxBytes,
            modelMaxFiles: ModelFileUploads.maxFilesPerModel, imageTypes: ["image/jpeg", "image/png", "image/webp"],
            imageMaxBytes: settings.imageUploadMaxBytes, imageMaxPixels: ImageProcessor.maxPixels,
            modelMaxImages: 20, storageQuotaBytes: Int(settings.storageQuotaBytes)))))
    }
}

/// What `GET /formats` tells upload forms.
enum UploadFormatCatalogue {
    static let formats: [Components.Schemas.UploadFormat] = [
        .init(format: .glb, name: "glTF binary", extensions: [".glb"], zipBundle: false,
              notes: "Preferred: one self-contained file with geometry, materials, textures and animation."),
        .init(format: .gltf, name: "glTF", extensions: [".gltf"], zipBundle: true,
              notes: "Embedded data URIs, or a ZIP bundle with its .bin buffers and textures."),
        .init(format: .fbx, name: "FBX", extensions: [".fbx"], zipBundle: false, notes: "Binary (7.x) or ASCII."),
        .init(format: .obj, name: "Wavefront OBJ", extensions: [".obj"], zipBundle: true,
              notes: "Alone, or a ZIP bundle with its .mtl materials and textures."),
        .init(format: .blend, name: "Blender", extensions: [".blend"], zipBundle: false,
              notes: "Blender 2.8 to 4.x, plain or compressed."),
    ]
}
