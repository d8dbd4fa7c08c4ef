import Fluent
import Foundation

/// The providers a person linked: exported and erased with the account.
struct OAuthPersonalData: PersonalDataOwner {
    func erase(_ account: ErasedAccount, on database: any Database) async throws {
        try await OAuthAccount.query(on: database).filter(\.$user.$id == account.id).delete()
    }

    static func accounts(of userID: UUID, on database: any Database) async throws -> [OAuthAccount] {
        try await OAuthAccount.query(on: database).filter(\.$user.$id == userID).all()
    }
}
