import Foundation
import SQLKit

/// A one-to-many read folded into its parent's statement: a scalar subquery that returns the child rows as one JSON
/// array, so a page with lists (a model's files and images) is one round trip instead of one per list. SQLite builds
/// it with `json_group_array(json_object(...))`, PostgreSQL with `json_agg(json_build_object(...))`, both ordered
/// inside the aggregate.
///
/// The two engines render values differently: SQLite has no date or boolean type (a date is the REAL of seconds
/// since 1970, a boolean 0 or 1), PostgreSQL writes ISO 8601 and `true`/`false`. `SQLJSONRows.Date` and `.Bool`
/// decode either.
enum SQLJSONRows {
    /// `(SELECT <array of objects> FROM <table> WHERE <condition>)`, an empty array when no row matches. `fields` are
    /// (JSON key, column expression) pairs; `orderBy` orders the array.
    static func array(
        fields: [(key: String, column: String)], from table: String, where condition: SQLQueryString, orderBy: String,
        dialect: String
    ) -> SQLQueryString {
        let pairs = fields.map { "'\($0.key)', \($0.column)" }.joined(separator: ", ")
        if dialect == "postgresql" {
            return """
                (SELECT COALESCE(json_agg(json_build_object(\(unsafeRaw: pairs)) ORDER BY \(unsafeRaw: orderBy)), '[]'::json)::text \
                FROM \(unsafeRaw: table) WHERE \(condition))
                """
        }
        return """
            (SELECT json_group_array(json_object(\(unsafeRaw: pairs)) ORDER BY \(unsafeRaw: orderBy)) FROM \(unsafeRaw: table) WHERE \(condition))
            """
    }

    /// Decodes the array a column of `array(...)` holds (NULL or nothing: no rows).
    static func decode<Row: Decodable>(_ type: Row.Type, from row: any SQLRow, column: String) throws -> [Row] {
        guard let json = try row.decode(column: column, as: String?.self), !json.isEmpty else { return [] }
        return try JSONDecoder().decode([Row].self, from: Data(json.utf8))
    }

    /// A date as either engine writes it into JSON.
    struct Date: Decodable {
        let value: Foundation.Date

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let seconds = try? container.decode(Double.self) {
                value = Foundation.Date(timeIntervalSince1970: seconds)
                return
            }
            let text = try container.decode(String.self)
            // PostgreSQL: `2025-06-24T16:14:07.123456+00:00`, the fraction left out when it is zero.
            if let date = (try? Foundation.Date(text, strategy: Self.withFraction)) ?? (try? Foundation.Date(text, strategy: Self.withoutFraction)) {
                value = date
            } else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a date: \(text)")
            }
        }

        private static let withFraction = Foundation.Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        private static let withoutFraction = Foundation.Date.ISO8601FormatStyle()
    }

    /// A boolean as either engine writes it into JSON (SQLite: 0 or 1).
    struct Bool: Decodable {
        let value: Swift.Bool

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Swift.Bool.self) { value = flag } else { value = try container.decode(Int.self) != 0 }
        }
    }
}
