import Fluent
import Foundation

/// What a model's page and cards show about its 3D files (formats, the counts of the largest analysed file,
/// animation and rig), worked out by ModelFiles from its analyses and kept on the model's row by Listings, so
/// lists and filters read one row per model.
struct ModelFileFigures: Sendable, Equatable {
    var formats: [String]
    var vertexCount: Int
    var triangleCount: Int
    var animated: Bool
    var rigged: Bool
    /// The main (largest analysed) file's quality figures, nil where its report has none.
    var quality: Quality?

    struct Quality: Sendable, Equatable {
        var manifold: Bool
        var hasUV: Bool
        var textured: Bool
        /// Largest dimension in metres; nil when the units are unknown.
        var sizeMetres: Double?
    }
}

extension ModelService {
    /// The model's files changed (one added or removed). A published model goes back to review: API.md keeps
    /// edits published unless files change. `model` is updated in place.
    static func filesChanged(_ model: ModelAsset, figures: ModelFileFigures, on database: any Database) async throws {
        if model.lifecycle == .published {
            model.status = ModelAsset.Status.pendingReview.rawValue
            model.submittedAt = Date()
        }
        try await record(figures, on: model, database: database)
    }

    /// New figures without a change of files (an analysis finished). A model deleted meanwhile is left alone.
    static func fileFiguresChanged(_ figures: ModelFileFigures, of modelID: UUID, on database: any Database) async throws {
        guard let model = try await ModelAsset.find(modelID, on: database) else { return }
        try await record(figures, on: model, database: database)
    }

    private static func record(_ figures: ModelFileFigures, on model: ModelAsset, database: any Database) async throws {
        model.formats = figures.formats.joined(separator: ",")
        model.vertexCount = figures.vertexCount
        model.triangleCount = figures.triangleCount
        model.animated = figures.animated
        model.rigged = figures.rigged
        model.manifold = figures.quality?.manifold
        model.hasUV = figures.quality?.hasUV
        model.textured = figures.quality?.textured
        model.sizeMetres = figures.quality?.sizeMetres
        try await model.update(on: database)
        try await ModelCatalogueIndex.modelChanged(model, on: database)
    }
}
