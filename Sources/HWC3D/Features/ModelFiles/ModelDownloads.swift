import Fluent
import Foundation
import HWC3DAPI
import SQLKit

/// Hands out short-lived links to a model's files after checking the caller's entitlement, and counts downloads.
/// Links are never permanent: presigned S3 URLs, or HMAC-signed `/api/v1/files/…` links for local storage.
struct ModelDownloads {
    let services: AppServices
    let database: any Database

    func links(for model: ModelAsset, caller: Caller?, onlyFile: String?) async throws -> [Components.Schemas.DownloadLink] {
        let modelID = try model.requireID()
        switch try await ModelEntitlement.check(model, caller: caller, on: database) {
        case .owner, .free, .purchased, .moderator: break
        case .signInRequired: throw Problem.unauthenticated
        case .verificationRequired: throw Problem.emailNotVerified
        case .paymentRequired:
            throw Problem(.paymentRequired, "payment-required", "Payment required", detail: "Buy this model to download it.")
        case .unavailable: throw ModelAccess.notFound
        }
        var query = ModelFileRecord.query(on: database).filter(\.$model.$id == modelID)
            .filter(\.$analysisStatus != ModelFileRecord.AnalysisStatus.failed.rawValue)
        if let onlyFile {
            guard let fileID = UUID(uuidString: onlyFile) else { throw Problem.notFound("The file") }
            query = query.filter(\.$id == fileID)
        }
        let files = try await query.sort(\.$createdAt).all()
        if onlyFile != nil, files.isEmpty { throw Problem.notFound("The file") }
        let ttl = services.settings.downloadURLTTLSeconds
        let expiresAt = Date().addingTimeInterval(TimeInterval(ttl))
        var links: [Components.Schemas.DownloadLink] = []
        for file in files {
            let url = try await services.storage.downloadURL(key: file.storageKey, filename: file.originalFilename, expiresIn: ttl)
            links.append(.init(
                fileId: try file.requireID().uuidString.lowercased(), filename: file.originalFilename,
                format: .init(rawValue: file.format) ?? .glb, sizeBytes: Int(file.sizeBytes), url: url, expiresAt: expiresAt))
        }
        // A creator fetching their own files is not a download anyone else made.
        if !links.isEmpty, caller?.userID != model.$owner.id {
            try await database.transaction { db in
                try await ModelCounters.add(1, to: .downloads, of: modelID, on: db)
                try await ModelActivity.record(.download, modelID: modelID, on: db)
            }
        }
        return links
    }
}
