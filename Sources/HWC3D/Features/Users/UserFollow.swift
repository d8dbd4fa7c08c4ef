import Fluent
import Foundation

final class UserFollow: Model, @unchecked Sendable {
    static let schema = "user_follows"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "follower_id") var follower: User
    @Parent(key: "followee_id") var followee: User
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(followerID: UUID, followeeID: UUID) {
        self.id = .v7()
        self.$follower.id = followerID
        self.$followee.id = followeeID
    }
}
