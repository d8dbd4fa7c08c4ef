import Fluent
import Foundation
import SQLKit

/// A person's models leave the catalogue with their account (soft delete: buyers keep access to what they bought).
struct ListingsPersonalData: PersonalDataOwner {
    func erase(_ account: ErasedAccount, on database: any Database) async throws {
        try await database.sql.raw("""
            UPDATE models SET deleted_at = \(bind: Date()), featured = \(bind: false)
            WHERE owner_id = \(bind: account.id) AND deleted_at IS NULL
            """).run()
        try await ModelSearchIndex.refresh(ownerID: account.id, on: database)
    }
}
