import Fluent
import Foundation
import HWC3DAPI
import SQLKit

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

    /// A model's files as the detail page lists them, oldest upload first, as one JSON column of the page's own
    /// statement (`files(in:column:)` decodes it).
    static func listColumn(modelIDColumn: String, dialect: String) -> SQLQueryString {
        SQLJSONRows.array(
            fields: [
                ("id", "id"), ("filename", "original_filename"), ("format", "format"), ("packaging", "packaging"),
                ("size_bytes", "size_bytes"), ("sha256", "sha256"), ("analysis_status", "analysis_status"),
                ("analysis_error", "analysis_error"), ("analysis", "analysis"), ("created_at", "created_at"),
            ],
            from: "model_files", where: "model_id = \(unsafeRaw: modelIDColumn)", orderBy: "created_at, id", dialect: dialect)
    }

    static func files(in row: any SQLRow, column: String) throws -> [Components.Schemas.ModelFile] {
        try SQLJSONRows.decode(ListedFile.self, from: row, column: column).map { file in
            Components.Schemas.ModelFile(
                storedID: file.id, filename: file.filename, format: file.format, packaging: file.packaging, sizeBytes: file.size_bytes,
                sha256: file.sha256, analysisStatus: file.analysis_status, analysisError: file.analysis_error, analysis: file.analysis,
                createdAt: file.created_at?.value)
        }
    }

    private struct ListedFile: Decodable {
        let id: UUID
        let filename: String
        let format: String
        let packaging: String
        let size_bytes: Int64
        let sha256: String
        let analysis_status: String
        let analysis_error: String?
        let analysis: String?
        let created_at: SQLJSONRows.Date?
    }
}

extension Components.Schemas.ModelFile {
    init(_ file: ModelFileRecord) {
        self.init(
            storedID: file.id!, filename: file.originalFilename, format: file.format, packaging: file.packaging, sizeBytes: file.sizeBytes,
            sha256: file.sha256, analysisStatus: file.analysisStatus, analysisError: file.analysisError, analysis: file.analysis,
            createdAt: file.createdAt)
    }

    /// A `model_files` row as the contract shows it, whether Fluent or a plain statement read it.
    init(
        storedID id: UUID, filename: String, format: String, packaging: String, sizeBytes: Int64, sha256: String, analysisStatus: String,
        analysisError: String?, analysis: String?, createdAt: Date?
    ) {
        self.init(
            id: id.uuidString.lowercased(), filename: filename, format: .init(rawValue: format) ?? .glb,
            packaging: .init(rawValue: packaging) ?? .file, sizeBytes: Int(sizeBytes), sha256: sha256,
            analysisStatus: .init(rawValue: analysisStatus) ?? .pending, analysisError: analysisError,
            analysis: StoredAnalysis.decode(analysis), createdAt: createdAt ?? Date())
    }
}
