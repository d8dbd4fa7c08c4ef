import Fluent
import Foundation
import SQLKit

/// Per-model figures per UTC day, the source of owner statistics (and later of trending and creator analytics).
/// Each event is one upsert that adds to the day's row, so concurrent events never lose a count and no event
/// needs a read first. Features call `record` in the same transaction as the change it counts, where they have one.
enum ModelActivity {
    enum Kind: Sendable {
        case view, download, like, sale
        /// Takes a like back: the day's `likes` may go below zero when a like from an earlier day is removed,
        /// so a day's figure is the net change of that day.
        case unlike
    }

    static func record(_ kind: Kind, modelID: UUID, count: Int = 1, on database: any Database, at now: Date = Date()) async throws {
        guard count > 0 else { return }
        let column = kind.column
        let delta = kind == .unlike ? -count : count
        var values = ["views": 0, "downloads": 0, "likes": 0, "sales": 0]
        values[column] = delta
        // ON CONFLICT ... DO UPDATE with `excluded` is the same statement on PostgreSQL and SQLite (3.24+).
        try await database.preparedRun("""
            INSERT INTO model_daily_stats (model_id, day, views, downloads, likes, sales)
            VALUES (\(bind: modelID), \(bind: UTCDay.string(now)), \(bind: values["views"]!), \(bind: values["downloads"]!),
                    \(bind: values["likes"]!), \(bind: values["sales"]!))
            ON CONFLICT (model_id, day) DO UPDATE
            SET \(ident: column) = model_daily_stats.\(ident: column) + excluded.\(ident: column)
            """)
    }

    struct Day: Sendable, Equatable {
        let day: String
        var views = 0, downloads = 0, likes = 0, sales = 0
    }

    /// The last `days` UTC days up to and including today's, oldest first, every day present (zeros where
    /// nothing happened).
    static func series(modelID: UUID, days: Int, on database: any Database, now: Date = Date()) async throws -> [Day] {
        let sql = database.sql
        let today = UTCDay.number(now)
        let labels = (0..<days).map { UTCDay.string(dayNumber: today - days + 1 + $0) }
        let rows = try await sql.raw("""
            SELECT day, views, downloads, likes, sales FROM model_daily_stats
            WHERE model_id = \(bind: modelID) AND day >= \(bind: labels.first!) AND day <= \(bind: labels.last!)
            """).all()
        var stored: [String: Day] = [:]
        for row in rows {
            let day = try row.decode(column: "day", as: String.self)
            stored[day] = Day(
                day: day, views: try row.decode(column: "views", as: Int.self),
                downloads: try row.decode(column: "downloads", as: Int.self),
                likes: try row.decode(column: "likes", as: Int.self), sales: try row.decode(column: "sales", as: Int.self))
        }
        return labels.map { stored[$0] ?? Day(day: $0) }
    }
}

extension ModelActivity.Kind {
    fileprivate var column: String {
        switch self {
        case .view: "views"
        case .download: "downloads"
        case .like, .unlike: "likes"
        case .sale: "sales"
        }
    }
}
