import Fluent
import Foundation

/// A person's admin role: exported and removed with the account (the admin action log keeps its rows: they
/// record what was done, by an id that no longer names anyone).
struct AdminPersonalData: PersonalDataOwner {
    func erase(_ account: ErasedAccount, on database: any Database) async throws {
        try await AdminUser.query(on: database).filter(\.$user.$id == account.id).delete()
    }

    static func admin(of userID: UUID, on database: any Database) async throws -> AdminUser? {
        try await AdminUser.query(on: database).filter(\.$user.$id == userID).first()
    }
}
