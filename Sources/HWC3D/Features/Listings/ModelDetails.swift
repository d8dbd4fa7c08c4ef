import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// Builds the `Model` the detail page shows, for one caller: owner-only fields appear only for the owner and
/// moderators, `liked_by_me` and `owned_by_me` are the caller's.
struct ModelDetails {
    let services: AppServices
    let database: any Database

    func load(_ model: ModelAsset, for caller: Caller?) async throws -> Components.Schemas.Model {
        let modelID = try model.requireID()
        guard let owner = try await UserReads.user(id: model.$owner.id, on: database) else { throw ModelAccess.notFound }
        var categoryRef: Components.Schemas.CategoryRef?
        if let categoryID = model.$category.id { categoryRef = try await CatalogueReads(database: database).categoryRef(id: categoryID) }
        let fileViews = try await ModelFileReads.files(of: modelID, on: database)
        let images = try await ModelImageService.images(of: modelID, on: database.sql)
        let isMine = caller?.userID == model.$owner.id
        let privileged: Bool
        if let caller, !isMine { privileged = try await ModelAccess.isModerator(caller, on: database) } else { privileged = isMine }
        var liked = false
        if let caller { liked = try await ModelLikeService(database: database).isLiked(modelID: modelID, userID: caller.userID) }
        let entitlement = try await ModelEntitlement.check(model, caller: caller, on: database)
        let settings = services.settings
        let imageViews = images.map { Components.Schemas.ModelImage($0, isCover: $0.id == model.coverImageID, settings: settings) }
        let counters = Components.Schemas.ModelCounters(
            views: model.viewCount, downloads: model.downloadCount, likes: model.likeCount, comments: model.commentCount)
        let status = Components.Schemas.ModelStatus(rawValue: model.status) ?? .draft
        let visibility = Components.Schemas.ModelVisibility(rawValue: model.visibility) ?? ._private
        let license = Components.Schemas.ModelLicense(rawValue: model.license) ?? .standard
        let creator = Components.Schemas.UserSummary(owner, settings: settings)
        let created = model.createdAt ?? Date()
        var detail = Components.Schemas.Model(
            id: modelID.uuidString.lowercased(), slug: model.slug, title: model.title, description: model.description,
            status: status, visibility: visibility, license: license, priceCents: model.priceCents, currency: model.currency,
            isFree: model.priceCents == 0, featured: model.featured, creator: creator, tags: ModelTags.names(of: model),
            images: imageViews, files: fileViews, formats: Self.formats(of: model), vertexCount: model.vertexCount,
            triangleCount: model.triangleCount, animated: model.animated, rigged: model.rigged, counters: counters,
            likedByMe: liked, ownedByMe: entitlement.allowsDownload, isMine: isMine, createdAt: created,
            updatedAt: model.updatedAt ?? created)
        detail.category = categoryRef
        detail.coverImage = imageViews.first(where: \.isCover)
        detail.publishedAt = model.publishedAt
        if privileged {
            detail.rejectionReason = model.rejectionReason
            detail.takedownReason = model.takedownReason
            detail.submittedAt = model.submittedAt
        }
        return detail
    }

    static func formats(of model: ModelAsset) -> [Components.Schemas.MeshFormat] {
        model.formats.split(separator: ",").compactMap { Components.Schemas.MeshFormat(rawValue: String($0)) }
    }
}

/// The analysis report is stored as the contract's own JSON, so what the job wrote is exactly what clients read.
enum StoredAnalysis {
    static func decode(_ json: String?) -> Components.Schemas.MeshAnalysis? {
        guard let json, let data = json.data(using: .utf8) else { return nil }
        return try? JSONDecoder().decode(Components.Schemas.MeshAnalysis.self, from: data)
    }

    static func encode(_ analysis: Components.Schemas.MeshAnalysis) throws -> String {
        String(decoding: try JSONEncoder().encode(analysis), as: UTF8.self)
    }
}
