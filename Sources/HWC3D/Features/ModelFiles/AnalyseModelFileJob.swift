import Fluent
import Foundation
import HWC3DAPI
import Logging
import MeshInspector
import NIOPosix

/// Analyses one uploaded 3D file in the background: `pending` -> `ready` with the report, or `failed` with a reason
/// the creator can act on. A hostile file fails the file, never the worker: readers have hard limits, and run on
/// the thread pool so an event loop never waits for them.
struct AnalyseModelFileJob: JobHandler {
    static let kind = "analyse_model_file"
    struct Payload: Codable { let fileID: UUID }

    let storage: any FileStorage
    let threadPool: NIOThreadPool
    let limits: InspectionLimits

    func run(payload: String, database: any Database, logger: Logger) async throws {
        let decoded = try JSONDecoder().decode(Payload.self, from: Data(payload.utf8))
        guard let file = try await ModelFileRecord.find(decoded.fileID, on: database),
            file.analysisStatus == ModelFileRecord.AnalysisStatus.pending.rawValue
        else { return }
        // Storage trouble throws and the queue retries later; only the file's own faults end in `failed`.
        let copy = try await storage.fetchToLocalFile(key: file.storageKey)
        defer { copy.discard() }
        let started = ContinuousClock.now
        let limits = self.limits
        let outcome: Result<MeshReport, MeshInspectionError> = try await threadPool.runIfActive {
            do {
                return .success(try MeshInspector.inspect(fileAt: copy.path, limits: limits))
            } catch let error as MeshInspectionError {
                return .failure(error)
            } catch {
                return .failure(MeshInspectionError(.malformed, "The file could not be read."))
            }
        }
        let elapsed = ContinuousClock.now - started
        file.analysisDurationMs = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        file.analysedAt = Date()
        switch outcome {
        case .success(let report):
            file.analysisStatus = ModelFileRecord.AnalysisStatus.ready.rawValue
            file.analysis = try StoredAnalysis.encode(.init(report))
            file.analysisError = nil
        case .failure(let error):
            file.analysisStatus = ModelFileRecord.AnalysisStatus.failed.rawValue
            file.analysisError = error.reason
            logger.info("model file failed analysis", metadata: ["file": "\(decoded.fileID)", "reason": "\(error.reason)"])
        }
        try await database.transaction { db in
            try await file.update(on: db)
            try await ModelAggregates.refresh(modelID: file.$model.id, on: db)
            try await RenderModelPreviewJob.enqueueIfWanted(after: file, on: db)
        }
    }
}

extension Components.Schemas.MeshAnalysis {
    init(_ report: MeshReport) {
        self.init(
            format: .init(rawValue: report.format.rawValue) ?? .glb, formatVersion: report.formatVersion,
            vertexCount: report.vertexCount, triangleCount: report.triangleCount, polygonCount: report.polygonCount,
            meshCount: report.meshCount, materialCount: report.materialCount, textureCount: report.textureCount,
            animationCount: report.animationCount, rigged: report.isRigged,
            boundingBox: report.boundingBox.map { .init(min: $0.min, max: $0.max) }, warnings: report.warnings)
    }
}
