import Fluent
import Foundation
import SQLKit

/// A suspended creator's models leave the catalogue, search, related models, feeds and counts, and come back as
/// they were when the suspension is lifted. `Users` calls this inside the suspension's transaction. `withheld_at`
/// is what `ListingSQL.isListed` and the listed-count triggers read; `updated_at` moves too, so cached catalogue
/// answers are refreshed. Pages by link, purchases and downloads are unchanged: buyers keep what they bought.
enum CreatorWithholding {
    static func withhold(modelsOf ownerID: UUID, at now: Date, on tx: any Database) async throws {
        try await tx.sql.raw("""
            UPDATE models SET withheld_at = \(bind: now), updated_at = \(bind: now) WHERE owner_id = \(bind: ownerID) AND withheld_at IS NULL
            """).run()
        try await ModelCatalogueIndex.refreshOwnerCount(ownerID: ownerID, on: tx)
    }

    static func restore(modelsOf ownerID: UUID, at now: Date, on tx: any Database) async throws {
        try await tx.sql.raw("""
            UPDATE models SET withheld_at = NULL, updated_at = \(bind: now) WHERE owner_id = \(bind: ownerID) AND withheld_at IS NOT NULL
            """).run()
        try await ModelCatalogueIndex.refreshOwnerCount(ownerID: ownerID, on: tx)
    }
}
