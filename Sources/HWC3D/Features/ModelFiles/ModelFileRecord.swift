import Fluent
import Foundation

/// One uploaded 3D file (or zip bundle) of a model, with the analysis the background job wrote.
final class ModelFileRecord: Model, @unchecked Sendable {
    static let schema = "model_files"

    enum AnalysisStatus: String, Codable, Sendable { case pending, ready, failed }

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "model_id") var model: ModelAsset
    /// Denormalised so a user's storage use is one indexed sum.
    @Field(key: "owner_id") var ownerID: UUID
    @Field(key: "original_filename") var originalFilename: String
    @Field(key: "storage_key") var storageKey: String
    @Field(key: "format") var format: String
    /// `file` or `zip`.
    @Field(key: "packaging") var packaging: String
    @Field(key: "size_bytes") var sizeBytes: Int64
    @Field(key: "sha256") var sha256: String
    @Field(key: "analysis_status") var analysisStatus: String
    @OptionalField(key: "analysis_error") var analysisError: String?
    /// The `MeshReport` as JSON.
    @OptionalField(key: "analysis") var analysis: String?
    @OptionalField(key: "analysis_duration_ms") var analysisDurationMs: Int?
    @OptionalField(key: "analysed_at") var analysedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(id: UUID, modelID: UUID, ownerID: UUID, originalFilename: String, storageKey: String, format: String,
         packaging: String, sizeBytes: Int64, sha256: String) {
        self.id = id
        self.$model.id = modelID
        self.ownerID = ownerID
        self.originalFilename = originalFilename
        self.storageKey = storageKey
        self.format = format
        self.packaging = packaging
        self.sizeBytes = sizeBytes
        self.sha256 = sha256
        self.analysisStatus = AnalysisStatus.pending.rawValue
    }
}
