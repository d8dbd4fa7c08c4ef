import Fluent
import Foundation

/// The account being erased, as the features that hold data about it need to find that data.
struct ErasedAccount: Sendable {
    let id: UUID
    let email: String
    let usernameKey: String
}

/// A feature that keeps data about a person erases its own part when the person's account is erased (GDPR), inside
/// the erasure's transaction; nobody else touches its tables. `PersonalData.owners` lists every one of them.
protocol PersonalDataOwner: Sendable {
    func erase(_ account: ErasedAccount, on database: any Database) async throws
}

enum PersonalData {
    /// Every feature that holds personal data besides the profile itself (which `Users` erases last). A feature
    /// that starts keeping data about people adds itself here.
    static let owners: [any PersonalDataOwner] = [
        EngagementPersonalData(), ListingsPersonalData(), AuthPersonalData(), OAuthPersonalData(), AdminPersonalData(),
        OutboxPersonalData(),
    ]
}
