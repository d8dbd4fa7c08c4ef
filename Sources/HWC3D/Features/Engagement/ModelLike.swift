import Fluent
import Foundation
import SQLKit

/// One user's like of one model. `models.like_count` mirrors the number of rows.
final class ModelLike: Model, @unchecked Sendable {
    static let schema = "model_likes"

    @ID(custom: .id, generatedBy: .user) var id: UUID?
    @Parent(key: "model_id") var model: ModelAsset
    @Parent(key: "user_id") var user: User
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

/// Liking and unliking. Owners may like their own models, as on most marketplaces: a like is a bookmark as
/// much as a vote, and refusing it would only push owners to a second account.
struct ModelLikeService: Sendable {
    let database: any Database

    struct State: Sendable {
        let liked: Bool
        let likeCount: Int
    }

    /// Idempotent. The row is inserted if absent and the counter moves only when it really was, in one
    /// transaction, so any number of concurrent likes leave `like_count` equal to the number of rows.
    /// The model's owner hears of it (`model_like`, grouped), unless it is their own like.
    func like(_ model: ModelAsset, userID: UUID, now: Date = Date()) async throws -> State {
        let modelID = try model.requireID()
        try await database.transaction { tx in
            let sql = tx.sql
            let inserted = try await sql.raw("""
                INSERT INTO model_likes (id, model_id, user_id, created_at)
                VALUES (\(bind: UUID.v7(now: now)), \(bind: modelID), \(bind: userID), \(bind: now))
                ON CONFLICT (model_id, user_id) DO NOTHING RETURNING id
                """).all()
            guard !inserted.isEmpty else { return }
            try await ModelCounters.add(1, to: .likes, of: modelID, on: tx)
            try await ModelActivity.record(.like, modelID: modelID, on: tx, at: now)
            try await Notifier.notify(.init(
                .modelLike, to: model.$owner.id, actor: userID, target: ("model", modelID), subject: model.title,
                link: "/models/\(model.slug)"), on: tx, now: now)
        }
        return State(liked: true, likeCount: try await likeCount(modelID))
    }

    /// Idempotent: the counter moves only when a row was really deleted.
    func unlike(modelID: UUID, userID: UUID, now: Date = Date()) async throws -> State {
        try await database.transaction { tx in
            let sql = tx.sql
            let deleted = try await sql.raw("""
                DELETE FROM model_likes WHERE model_id = \(bind: modelID) AND user_id = \(bind: userID) RETURNING id
                """).all()
            guard !deleted.isEmpty else { return }
            try await ModelCounters.add(-1, to: .likes, of: modelID, on: tx)
            try await ModelActivity.record(.unlike, modelID: modelID, on: tx, at: now)
        }
        return State(liked: false, likeCount: try await likeCount(modelID))
    }

    /// For model detail's `liked_by_me`.
    func isLiked(modelID: UUID, userID: UUID) async throws -> Bool {
        try await database.sql.raw("SELECT \(EngagementSQL.isLiked(by: userID, model: "\(bind: modelID)")) AS liked").first()?
            .decode(column: "liked", as: Bool.self) ?? false
    }

    /// Who liked, newest first; accounts that are suspended or erased are left out.
    func likers(modelID: UUID, page: PageRequest) async throws -> (items: [UserSummaryColumns.Row], total: Int) {
        let sql = database.sql
        let filter: SQLQueryString = """
            FROM model_likes l \(UserReads.join(alias: "u", on: "l.user_id"))
            WHERE l.model_id = \(bind: modelID) AND \(UserReads.isActive("u"))
            """
        let total = try await sql.raw("SELECT COUNT(*) AS total \(filter)").first()?.decode(column: "total", as: Int.self) ?? 0
        guard total > page.offset else { return ([], total) }
        let rows = try await sql.raw("""
            SELECT \(unsafeRaw: UserSummaryColumns.select(from: "u", prefix: "u_")) \(filter)
            ORDER BY l.created_at DESC, l.id DESC \(page.sqlClause)
            """).all()
        return (try rows.map { try UserSummaryColumns.Row(from: $0, prefix: "u_") }, total)
    }

    private func likeCount(_ modelID: UUID) async throws -> Int {
        let sql = database.sql
        return try await sql.raw("SELECT \(ListingSQL.counterValue(.likes, of: modelID)) AS like_count").first()?
            .decode(column: "like_count", as: Int?.self) ?? 0
    }
}
