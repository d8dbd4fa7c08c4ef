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

struct CreateUserFollows: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(UserFollow.schema)
            .field(.id, .uuid, .identifier(auto: false))
            .field("follower_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("followee_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("created_at", .datetime)
            .unique(on: "follower_id", "followee_id")
            .create()
        try await DatabaseIndex.create("user_follows_followee_idx", on: UserFollow.schema, columns: ["followee_id", "created_at"], in: database)
    }

    func revert(on database: any Database) async throws {
        try await database.schema(UserFollow.schema).delete()
    }
}
