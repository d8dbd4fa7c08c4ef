import Fluent
import Foundation

/// A model's daily figures for its owner or a moderator. Statistics are private: anyone else gets 404, even
/// when the model itself is public, so their existence reveals nothing either.
struct ModelStatsService: Sendable {
    static let maxDays = 365

    let database: any Database

    struct Report: Sendable {
        let modelID: UUID
        let days: [ModelActivity.Day]
        let views, downloads, likes, sales: Int
        /// Comments posted within the period and not deleted.
        let comments: Int
    }

    func report(_ key: String, caller: Caller, days: Int?, now: Date = Date()) async throws -> Report {
        let days = days ?? 30
        guard (1...Self.maxDays).contains(days) else {
            throw Problem.validation(field: "days", "must be between 1 and \(Self.maxDays)")
        }
        let model = try await ModelAccess.visible(key, caller: caller, on: database)
        if model.$owner.id != caller.userID, !(try await ModelAccess.isModerator(caller, on: database)) {
            throw ModelAccess.notFound
        }
        let series = try await ModelActivity.series(modelID: model.id!, days: days, on: database, now: now)
        let start = Date(timeIntervalSince1970: Double(UTCDay.number(now) - days + 1) * 86_400)
        let comments = try await ModelCommentService(database: database).countPosted(modelID: model.id!, since: start)
        return Report(
            modelID: model.id!, days: series, views: series.reduce(0) { $0 + $1.views },
            downloads: series.reduce(0) { $0 + $1.downloads }, likes: series.reduce(0) { $0 + $1.likes },
            sales: series.reduce(0) { $0 + $1.sales }, comments: comments)
    }
}
