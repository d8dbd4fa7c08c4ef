import Fluent
import Foundation

/// A file of one model that matches a file of another creator's published model (`LikelyCopies`).
final class LikelyCopyRecord: Model, @unchecked Sendable {
    static let schema = "model_file_likely_copies"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "file_id") var file: ModelFileRecord
    @Parent(key: "model_id") var model: ModelAsset
    @Parent(key: "original_file_id") var originalFile: ModelFileRecord
    @Parent(key: "original_model_id") var originalModel: ModelAsset
    /// Fingerprint distance; 0 for identical bytes.
    @Field(key: "distance") var distance: Double
    @Field(key: "found_at") var foundAt: Date

    init() {}

    init(file: ModelFileRecord, original: LikelyCopies.Candidate, distance: Double) throws {
        self.id = .v7()
        self.$file.id = try file.requireID()
        self.$model.id = file.$model.id
        self.$originalFile.id = original.fileID
        self.$originalModel.id = original.modelID
        self.distance = distance
        self.foundAt = Date()
    }
}
