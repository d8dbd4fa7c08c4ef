import Fluent
import Foundation
import HWC3DAPI

/// What other features ask about a model's files (the detail page, submission, the rendered preview, the demo
/// seed), read here so that only ModelFiles queries `model_files`.
enum ModelFileReads {
    /// How many of the model's files passed analysis, and how many are still waiting for it.
    static func analysisCounts(of modelID: UUID, on database: any Database) async throws -> (ready: Int, pending: Int) {
        let statuses = try await ModelFileRecord.query(on: database).filter(\.$model.$id == modelID).all().map(\.analysisStatus)
        return (statuses.filter { $0 == ModelFileRecord.AnalysisStatus.ready.rawValue }.count,
                statuses.filter { $0 == ModelFileRecord.AnalysisStatus.pending.rawValue }.count)
    }

    /// Where an analysed file of the model is stored, for work done from one (the rendered preview); nil when
    /// the file is gone, belongs to another model or did not pass analysis.
    static func analysedFileKey(_ fileID: UUID, of modelID: UUID, on database: any Database) async throws -> String? {
        guard let file = try await ModelFileRecord.find(fileID, on: database), file.$model.id == modelID,
            file.analysisStatus == ModelFileRecord.AnalysisStatus.ready.rawValue
        else { return nil }
        return file.storageKey
    }

    /// A model's files as the detail page lists them, oldest upload first; one query.
    static func files(of modelID: UUID, on database: any Database) async throws -> [Components.Schemas.ModelFile] {
        try await ModelFileRecord.query(on: database).filter(\.$model.$id == modelID).sort(\.$createdAt).all()
            .map { Components.Schemas.ModelFile($0) }
    }
}

extension Components.Schemas.ModelFile {
    init(_ file: ModelFileRecord) {
        self.init(
            id: file.id!.uuidString.lowercased(), filename: file.originalFilename,
            format: .init(rawValue: file.format) ?? .glb, packaging: .init(rawValue: file.packaging) ?? .file,
            sizeBytes: Int(file.sizeBytes), sha256: file.sha256,
            analysisStatus: .init(rawValue: file.analysisStatus) ?? .pending, analysisError: file.analysisError,
            analysis: StoredAnalysis.decode(file.analysis), createdAt: file.createdAt ?? Date())
    }
}
