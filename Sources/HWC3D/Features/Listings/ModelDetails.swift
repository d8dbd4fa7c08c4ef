import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// Builds the `Model` the detail page shows, for one caller: owner-only fields appear only for the owner and
/// moderators, `liked_by_me` and `owned_by_me` are the caller's.
struct ModelDetails {
    let services: AppServices
    let database: any Database

    /// The model page, `key` being an id or a slug, for a caller who may see it (404 otherwise).
    func page(_ key: String, for caller: Caller?) async throws -> Components.Schemas.Model {
        let keyCondition: SQLQueryString
        if let id = UUID(uuidString: key) {
            keyCondition = "m.id = \(bind: id)"
        } else if key.count <= 200 {
            keyCondition = "m.slug = \(bind: key.lowercased())"
        } else {
            throw ModelAccess.notFound
        }
        return try await read(where: keyCondition, for: caller, checkingVisibility: true)
    }

    /// The page of a model the caller just changed (create, edit, submit, a moderation decision), whose right to it
    /// the change already checked: read again as it now stands.
    func load(_ model: ModelAsset, for caller: Caller?) async throws -> Components.Schemas.Model {
        try await read(where: "m.id = \(bind: model.requireID())", for: caller, checkingVisibility: false)
    }

    /// One statement: the model, its creator, its category, what the caller has to do with it (liked, bought), and
    /// its files and images as JSON columns. The model read here is for reading only (see `ModelRow`).
    private func read(where keyCondition: SQLQueryString, for caller: Caller?, checkingVisibility: Bool) async throws -> Components.Schemas.Model {
        let callerColumns: SQLQueryString = if let caller {
            "\(EngagementSQL.isLiked(by: caller.userID, model: "m.id")) AS liked_by_me, \(PurchaseSQL.isOwned(by: caller.userID, modelIDColumn: "m.id")) AS purchased"
        } else {
            "FALSE AS liked_by_me, FALSE AS purchased"
        }
        let dialect = database.sql.dialect.name
        // Prepared on PostgreSQL: parsing and planning this statement cost it six times what running it does.
        guard let row = try await database.preparedFirst("""
            SELECT \(ModelRow.columns("m")), \(unsafeRaw: UserSummaryColumns.select(from: "u", prefix: "u_")),
                   \(CatalogueSQL.categoryRefColumns(from: "c", prefix: "c_")), \(callerColumns),
                   \(ModelFileReads.listColumn(modelIDColumn: "m.id", dialect: dialect)) AS files_json,
                   \(ModelImageReads.galleryColumn(modelIDColumn: "m.id", dialect: dialect)) AS images_json
            \(ListingSQL.from(alias: "m"))
            \(UserReads.join(alias: "u", on: "m.owner_id"))
            \(CatalogueSQL.leftJoinCategory(alias: "c", on: "m.category_id"))
            WHERE \(keyCondition)
            """)
        else { throw ModelAccess.notFound }
        let model = try ModelRow.model(from: row)
        if checkingVisibility { try await ModelAccess.requireVisible(model, to: caller, on: database) }
        return try await render(
            model, for: caller, creator: UserSummaryColumns.Row(from: row, prefix: "u_"),
            category: CatalogueSQL.categoryRef(from: row, prefix: "c_"),
            liked: try row.decode(column: "liked_by_me", as: Bool.self), purchased: try row.decode(column: "purchased", as: Bool.self),
            files: try ModelFileReads.files(in: row, column: "files_json"),
            images: try ModelImageReads.gallery(in: row, column: "images_json", coverID: model.coverImageID, settings: services.settings))
    }

    private func render(
        _ model: ModelAsset, for caller: Caller?, creator owner: UserSummaryColumns.Row, category categoryRef: Components.Schemas.CategoryRef?,
        liked: Bool, purchased: Bool, files fileViews: [Components.Schemas.ModelFile], images imageViews: [Components.Schemas.ModelImage]
    ) async throws -> Components.Schemas.Model {
        let modelID = try model.requireID()
        let isMine = caller?.userID == model.$owner.id
        let privileged: Bool
        if let caller, !isMine { privileged = try await ModelAccess.isModerator(caller, on: database) } else { privileged = isMine }
        let entitlement = try await ModelEntitlement.check(model, caller: caller, purchased: purchased, on: database)
        let settings = services.settings
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
