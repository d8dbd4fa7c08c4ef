import Fluent
import Foundation

/// A person's admin role: removed with the account (exported through `AdminDirectory.record`) (the admin action log keeps its rows: they
/// record what was done, by an id that no longer names anyone).
struct AdminPersonalData: PersonalDataOwner {
    func erase(_ account: ErasedAccount, on database: any Database) async throws {
        try await AdminUser.query(on: database).filter(\.$user.$id == account.id).delete()
    }
}
