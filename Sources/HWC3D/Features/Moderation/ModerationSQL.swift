import Foundation
import SQLKit

/// SQL pieces over `content_reports` for other features' admin lists (flagged first, reports counts), so they
/// never name Moderation's table.
enum ModerationSQL {
    /// The number of open reports on the target whose id is in `idColumn`, as a scalar subquery.
    static func openReports(on targetType: ReportTargetType, idColumn: String) -> SQLQueryString {
        """
        (SELECT COUNT(*) FROM content_reports cr
         WHERE cr.target_type = '\(unsafeRaw: targetType.rawValue)' AND cr.target_id = \(unsafeRaw: idColumn) AND cr.status = 'open')
        """
    }
}
