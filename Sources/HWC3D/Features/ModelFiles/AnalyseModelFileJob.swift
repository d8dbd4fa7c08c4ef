import Fluent
import Foundation
import HWC3DAPI
import Logging
import MeshInspector
import NIOPosix
import Vapor

/// Analyses one uploaded 3D file in the background: `pending` -> `ready` with the report, or `failed` with a reason
/// the creator can act on. A hostile file fails the file, never the worker: readers have hard limits, and run on
/// the thread pool so an event loop never waits for them.
struct AnalyseModelFileJob: JobHandler {
    static let kind = "analyse_model_file"
    struct Payload: Codable {
        let fileID: UUID
        /// Analyse a file that was analysed before (`hwc3d reanalyse`), after the readers improved.
        var again: Bool? = nil
    }

    let storage: any FileStorage
    let threadPool: NIOThreadPool
    let limits: InspectionLimits

    func run(payload: String, database: any Database, logger: Logger) async throws {
        let decoded = try JSONDecoder().decode(Payload.self, from: Data(payload.utf8))
        guard let file = try await ModelFileRecord.find(decoded.fileID, on: database),
            file.analysisStatus == ModelFileRecord.AnalysisStatus.pending.rawValue || decoded.again == true
        else { return }
        // Storage trouble throws and the queue retries later; only the file's own faults end in `failed`.
        let copy = try await storage.fetchToLocalFile(key: file.storageKey)
        defer { copy.discard() }
        let started = ContinuousClock.now
        let limits = self.limits
        let outcome: Result<(MeshReport, ShapeFingerprint?), MeshInspectionError> = try await threadPool.runIfActive {
            do {
                let report = try MeshInspector.inspect(fileAt: copy.path, limits: limits)
                return .success((report, Self.fingerprint(ofFileAt: copy.path, limits: limits)))
            } catch let error as MeshInspectionError {
                return .failure(error)
            } catch {
                return .failure(MeshInspectionError(.malformed, "The file could not be read."))
            }
        }
        let elapsed = ContinuousClock.now - started
        file.analysisDurationMs = Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
        file.analysedAt = Date()
        var fingerprint: ShapeFingerprint?
        switch outcome {
        case .success(let (report, shape)):
            file.analysisStatus = ModelFileRecord.AnalysisStatus.ready.rawValue
            file.analysis = try StoredAnalysis.encode(.init(report))
            file.analysisError = nil
            fingerprint = shape
        case .failure(let error):
            file.analysisStatus = ModelFileRecord.AnalysisStatus.failed.rawValue
            file.analysisError = error.reason
            logger.info("model file failed analysis", metadata: ["file": "\(decoded.fileID)", "reason": "\(error.reason)"])
        }
        try await database.transaction { [fingerprint] db in
            try await file.update(on: db)
            // A re-analysis replaces the fingerprint and the matches; a file that failed has neither.
            try await ModelFileFingerprint.query(on: db).filter(\.$id == decoded.fileID).delete()
            if let fingerprint { try await ModelFileFingerprint(file: file, fingerprint: fingerprint).create(on: db) }
            if file.analysisStatus == ModelFileRecord.AnalysisStatus.ready.rawValue {
                try await LikelyCopies.record(for: file, fingerprint: fingerprint, on: db)
            }
            try await ModelAggregates.refresh(modelID: file.$model.id, on: db)
            try await RenderModelPreviewJob.enqueueIfWanted(after: file, on: db)
        }
    }
}

extension AnalyseModelFileJob {
    /// Triangles enough for a stable fingerprint (the descriptor tolerates an evenly thinned surface) at a fraction
    /// of a full extraction's time on the largest files.
    static let fingerprintTriangles = 200_000

    /// The shape's fingerprint, or nil when the file has no surface to take one from (points, lines) or its
    /// triangles cannot be read; the counts already stand, so this never fails the analysis.
    static func fingerprint(ofFileAt path: String, limits: InspectionLimits) -> ShapeFingerprint? {
        guard let geometry = try? MeshInspector.geometry(fileAt: path, limits: limits, maxTriangles: fingerprintTriangles) else {
            return nil
        }
        return ShapeFingerprint(geometry)
    }
}

/// `hwc3d reanalyse`: analyses every stored 3D file again in the background (counts, quality report, fingerprint),
/// after an upgrade whose readers count more exactly or report more. Each file's new result replaces its old one in
/// one transaction, as on upload; the running server's workers pick the jobs up.
struct ReanalyseCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Queues a fresh analysis of every uploaded 3D file." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let database = context.application.db
        var queued = 0
        for fileID in try await ModelFileRecord.query(on: database).all(\.$id) {
            try await JobQueue.insert(AnalyseModelFileJob.kind, payload: Payload(fileID: fileID, again: true), on: database)
            queued += 1
        }
        context.console.print("Queued \(queued) files for analysis; the server's workers run them.")
    }

    typealias Payload = AnalyseModelFileJob.Payload
}
