import Foundation
import SQLKit

/// SQL pieces over Engagement's per-day activity (`model_daily_stats`, written by `ModelActivity`) for the
/// one-statement reads of other features, so the catalogue can sort by recent activity without reading the table.
enum EngagementSQL {
    /// `LEFT JOIN` of each model's trending score under `alias` (`<alias>.score`, NULL when nothing happened): its
    /// activity from UTC day `sinceDay` on, a download counting 3, a like 2 (net of unlikes) and a view 1.
    static func leftJoinTrendingScore(alias: String, on modelIDColumn: String, sinceDay: String) -> SQLQueryString {
        """
        LEFT JOIN (SELECT model_id, SUM(downloads) * 3 + SUM(likes) * 2 + SUM(views) AS score
                   FROM model_daily_stats WHERE day >= \(bind: sinceDay) GROUP BY model_id) \(unsafeRaw: alias) \
        ON \(unsafeRaw: alias).model_id = \(unsafeRaw: modelIDColumn)
        """
    }

    /// True when `userID` likes the model `model` names (a column such as `m.id`, or a bound id): the detail
    /// page's `liked_by_me` in the statement that reads the model, and `ModelLikeService.isLiked`.
    static func isLiked(by userID: UUID, model: SQLQueryString) -> SQLQueryString {
        "EXISTS (SELECT 1 FROM model_likes WHERE model_id = \(model) AND user_id = \(bind: userID))"
    }
}
