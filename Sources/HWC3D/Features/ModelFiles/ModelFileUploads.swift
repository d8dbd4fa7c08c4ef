import Fluent
import Foundation
import HWC3DAPI
import MeshInspector
import NIOPosix
import OpenAPIRuntime
import SQLKit

/// Adding and removing a model's 3D files. An upload is spooled (counted, hashed, limited), identified from its
/// bytes, stored, and recorded with its analysis job in one transaction; any failure leaves neither a row nor
/// a stored object behind.
struct ModelFileUploads {
    static let maxFilesPerModel = 20

    let services: AppServices
    let database: any Database
    let threadPool: NIOThreadPool

    func add(to model: ModelAsset, filename: String?, body: HTTPBody) async throws -> ModelFileRecord {
        let modelID = try model.requireID()
        try Self.requireEditable(model)
        let existing = try await ModelFileRecord.query(on: database).filter(\.$model.$id == modelID).count()
        guard existing < Self.maxFilesPerModel else {
            throw Problem.conflict("too-many-files", "Too many files", detail: "A model holds at most \(Self.maxFilesPerModel) files.")
        }
        let settings = services.settings
        let quotaLeft = try await StorageQuota.left(for: model.$owner.id, settings: settings, on: database)
        guard quotaLeft > 0 else { throw StorageQuota.exceeded(quota: settings.storageQuotaBytes) }

        let spool: UploadSpool
        do {
            spool = try await UploadSpool.receive(
                body, limit: settings.modelUploadMaxBytes, quotaLeft: quotaLeft, into: settings.dataDir + "/tmp",
                threadPool: threadPool)
        } catch UploadSpool.Refusal.tooLarge {
            throw Problem.payloadTooLarge(limit: settings.modelUploadMaxBytes)
        } catch UploadSpool.Refusal.overQuota {
            throw StorageQuota.exceeded(quota: settings.storageQuotaBytes)
        }
        defer { spool.discard() }
        guard spool.size > 0 else { throw Problem.validation(field: "file", "is empty") }

        let detected: DetectedMeshFile
        do {
            detected = try await threadPool.runIfActive { try MeshInspector.detect(fileAt: spool.path) }
        } catch let error as MeshInspectionError {
            throw Problem.unsupportedMediaType(
                "Upload a GLB, glTF, FBX, OBJ or BLEND file, or a ZIP bundle holding a .gltf or .obj scene (\(error.reason)).")
        }
        let kind = StoredMeshKind(detected)
        let fileID = UUID.v7()
        let key = "models/files/\(modelID.uuidString.lowercased())/\(fileID.uuidString.lowercased()).\(kind.fileExtension)"
        try await services.storage.putFile(at: spool.path, key: key, contentType: kind.contentType)
        do {
            return try await database.transaction { db in
                let record = ModelFileRecord(
                    id: fileID, modelID: modelID, ownerID: model.$owner.id,
                    originalFilename: DownloadName.make(from: filename, extension: kind.fileExtension),
                    storageKey: key, format: detected.format.rawValue, packaging: kind.packaging,
                    sizeBytes: spool.size, sha256: spool.sha256)
                try await record.create(on: db)
                try await services.jobs.enqueue(AnalyseModelFileJob.kind, payload: AnalyseModelFileJob.Payload(fileID: fileID), on: db)
                try await ModelAggregates.filesChanged(model, on: db)
                return record
            }
        } catch {
            try? await services.storage.delete(key: key)
            throw error
        }
    }

    func remove(_ fileID: UUID, from model: ModelAsset) async throws {
        let modelID = try model.requireID()
        try Self.requireEditable(model)
        guard let file = try await ModelFileRecord.query(on: database).filter(\.$id == fileID).filter(\.$model.$id == modelID).first()
        else { throw Problem.notFound("The file") }
        if model.lifecycle == .published {
            let others = try await ModelFileRecord.query(on: database).filter(\.$model.$id == modelID)
                .filter(\.$id != fileID).filter(\.$analysisStatus == ModelFileRecord.AnalysisStatus.ready.rawValue).count()
            guard others > 0 else {
                throw Problem.conflict("last-file", "Last file", detail: "A published model must keep at least one analysed file.")
            }
        }
        try await database.transaction { db in
            try await file.delete(on: db)
            try await ModelAggregates.filesChanged(model, on: db)
        }
        // After the commit: a failed delete leaves an unreferenced object, never a row pointing at nothing.
        try? await services.storage.delete(key: file.storageKey)
    }

    static func requireEditable(_ model: ModelAsset) throws {
        guard model.deletedAt == nil else { throw ModelAccess.notFound }
        guard model.lifecycle != .takenDown else {
            throw Problem.conflict("model-taken-down", "Model taken down", detail: "A model taken down by a moderator cannot be changed.")
        }
    }
}

/// How a detected upload is stored and served.
struct StoredMeshKind {
    let fileExtension: String
    let contentType: String
    let packaging: String

    init(_ detected: DetectedMeshFile) {
        switch detected {
        case .glb: (fileExtension, contentType, packaging) = ("glb", "model/gltf-binary", "file")
        case .gltf: (fileExtension, contentType, packaging) = ("gltf", "model/gltf+json", "file")
        case .obj: (fileExtension, contentType, packaging) = ("obj", "model/obj", "file")
        case .fbxBinary, .fbxASCII: (fileExtension, contentType, packaging) = ("fbx", "application/octet-stream", "file")
        case .blend: (fileExtension, contentType, packaging) = ("blend", "application/x-blender", "file")
        case .zipBundle: (fileExtension, contentType, packaging) = ("zip", "application/zip", "zip")
        }
    }
}

/// The name a file downloads as: the creator's own name without any path, with the extension its bytes deserve.
enum DownloadName {
    static func make(from raw: String?, extension ext: String) -> String {
        let last = (raw ?? "").split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var stem = last
        if let dot = last.lastIndex(of: "."), dot != last.startIndex { stem = String(last[..<dot]) }
        stem = String(stem.unicodeScalars.filter { !CharacterSet.controlCharacters.contains($0) && $0 != "\"" }.map(Character.init))
            .trimmingCharacters(in: .whitespaces)
        if stem.isEmpty || stem.hasPrefix(".") { stem = "model" }
        return String(stem.prefix(120)) + "." + ext
    }
}

/// Works out the figures a model shows from its files' analyses; Listings keeps them on the model's row.
enum ModelAggregates {
    static func filesChanged(_ model: ModelAsset, on database: any Database) async throws {
        try await ModelService.filesChanged(model, figures: figures(of: model.requireID(), on: database), on: database)
    }

    static func refresh(modelID: UUID, on database: any Database) async throws {
        try await ModelService.fileFiguresChanged(figures(of: modelID, on: database), of: modelID, on: database)
    }

    static func figures(of modelID: UUID, on database: any Database) async throws -> ModelFileFigures {
        let files = try await ModelFileRecord.query(on: database).filter(\.$model.$id == modelID).all()
        let usable = files.filter { $0.analysisStatus != ModelFileRecord.AnalysisStatus.failed.rawValue }
        let reports = files.compactMap { StoredAnalysis.decode($0.analysis) }
        let largest = reports.max(by: { $0.triangleCount < $1.triangleCount })
        return ModelFileFigures(
            formats: Set(usable.map(\.format)).sorted(), vertexCount: largest?.vertexCount ?? 0,
            triangleCount: largest?.triangleCount ?? 0, animated: reports.contains { $0.animationCount > 0 },
            rigged: reports.contains { $0.rigged }, quality: largest?.quality.map(qualityFigures))
    }

    /// What search filters on, from the main file's quality report.
    private static func qualityFigures(_ quality: Components.Schemas.MeshQuality) -> ModelFileFigures.Quality {
        let size = quality.unitsKnown ? quality.sizeMetres?.max() : nil
        return ModelFileFigures.Quality(
            manifold: quality.isManifold, hasUV: quality.uvSetCount > 0,
            textured: quality.textures.contains { !$0.missing },
            sizeMetres: size.flatMap { $0.isFinite ? $0 : nil })
    }
}
