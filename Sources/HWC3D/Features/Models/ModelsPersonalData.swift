import Fluent
import Foundation
import SQLKit

/// What the catalogue holds about a person: their likes go with them (each liked model's counter too), their
/// models leave the catalogue (soft delete: buyers keep access); their comments stay, signed "Deleted user".
struct ModelsPersonalData: PersonalDataOwner {
    func erase(_ account: ErasedAccount, on database: any Database) async throws {
        let sql = database.sql
        try await sql.raw("""
            UPDATE models SET like_count = like_count - 1
            WHERE id IN (SELECT model_id FROM model_likes WHERE user_id = \(bind: account.id))
            """).run()
        try await sql.raw("DELETE FROM model_likes WHERE user_id = \(bind: account.id)").run()
        try await sql.raw("""
            UPDATE models SET deleted_at = \(bind: Date()), featured = \(bind: false)
            WHERE owner_id = \(bind: account.id) AND deleted_at IS NULL
            """).run()
        try await ModelSearchIndex.refresh(ownerID: account.id, on: database)
    }
}
