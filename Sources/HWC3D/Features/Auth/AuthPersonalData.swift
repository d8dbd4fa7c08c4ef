import Fluent
import Foundation

/// A person's sessions, one-time tokens and sign-in throttle rows: exported (sessions) and erased with the account.
struct AuthPersonalData: PersonalDataOwner {
    func erase(_ account: ErasedAccount, on database: any Database) async throws {
        try await AuthSession.query(on: database).filter(\.$user.$id == account.id).delete()
        try await OneTimeToken.query(on: database).filter(\.$user.$id == account.id).delete()
        // Throttle rows are keyed by what was typed at sign-in: the email or username.
        let typed = [account.email, account.usernameKey].flatMap { ["user:acct:\($0)", "admin:acct:\($0)"] }
        try await LoginFailure.query(on: database).filter(\.$throttleKey ~~ typed).delete()
    }

    static func sessions(of userID: UUID, on database: any Database) async throws -> [AuthSession] {
        try await AuthSession.query(on: database).filter(\.$user.$id == userID).sort(\.$createdAt, .descending).all()
    }
}
