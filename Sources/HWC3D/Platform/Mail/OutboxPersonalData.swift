import Fluent
import Foundation

/// The emails queued or sent to a person: exported with their data, erased with their account.
struct OutboxPersonalData: PersonalDataOwner {
    func erase(_ account: ErasedAccount, on database: any Database) async throws {
        try await OutboxEmail.query(on: database).filter(\.$userID == account.id).delete()
    }

    static func emails(of userID: UUID, on database: any Database) async throws -> [OutboxEmail] {
        try await OutboxEmail.query(on: database).filter(\.$userID == userID).sort(\.$createdAt, .descending).all()
    }
}
