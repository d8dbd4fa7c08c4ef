import Fluent
import Foundation
import SQLKit

/// A person's likes go with them, and each liked model's counter with them; their comments stay, signed
/// "Deleted user" (the thread would not read otherwise).
struct EngagementPersonalData: PersonalDataOwner {
    func erase(_ account: ErasedAccount, on database: any Database) async throws {
        let sql = database.sql
        try await ModelCounters.subtractOne(
            from: .likes, ofModelsIn: "SELECT model_id FROM model_likes WHERE user_id = \(bind: account.id)", on: database)
        try await sql.raw("DELETE FROM model_likes WHERE user_id = \(bind: account.id)").run()
    }
}
