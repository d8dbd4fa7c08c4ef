import Foundation
import PostgresKit
import PostgresNIO
import SQLKit

/// A PostgreSQL row as SQLKit's `SQLRow`, decoding the plain column types (text, integers, uuid, timestamps,
/// booleans, doubles and their optionals) straight through PostgresNIO. PostgresKit's own row takes the same
/// route in the end, but first builds a coding path for every cell (a string formatted from the column's name
/// and index), a user-info dictionary and a few dynamic casts: a perf profile of a page of 20 posts had 21% of
/// the server's samples decoding rows, most of it there. Anything else (JSON columns decoded as `Codable`
/// values, Fluent enums, legacy conversions) goes to PostgresKit's row as before, with its errors.
struct PostgresRowReader: SQLRow {
    private let cells: PostgresRandomAccessRow
    private let row: PostgresRow

    init(_ row: PostgresRow) {
        self.row = row
        self.cells = row.makeRandomAccess()
    }

    var allColumns: [String] { cells.map(\.columnName) }

    func contains(column: String) -> Bool { cells.contains(column) }

    func decodeNil(column: String) throws -> Bool {
        !cells.contains(column) || cells[column].bytes == nil
    }

    func decode<T: Decodable>(column: String, as type: T.Type) throws -> T {
        // Metatype comparisons, not protocol casts: this runs for every cell of every hot read.
        if cells.contains(column) {
            let cell = cells[column]
            // Fluent stores its enums as PostgreSQL enum types, which only the slow way reads as strings; a cell
            // this way cannot read (numeric as Double, json as text) goes there too, and fails there if it must.
            if !cell.dataType.isUserDefined, let value = Self.plain(cell, as: T.self) { return value }
        }
        return try row.sql().decode(column: column, as: T.self)
    }

    // An optional's metadata is instantiated at run time, a lookup each time `String?.self` is written: once here.
    private static let optionalString = ObjectIdentifier(String?.self)
    private static let optionalInt = ObjectIdentifier(Int?.self)
    private static let optionalInt64 = ObjectIdentifier(Int64?.self)
    private static let optionalUUID = ObjectIdentifier(UUID?.self)
    private static let optionalDate = ObjectIdentifier(Date?.self)
    private static let optionalBool = ObjectIdentifier(Bool?.self)
    private static let optionalDouble = ObjectIdentifier(Double?.self)

    private static func plain<T>(_ cell: PostgresCell, as type: T.Type) -> T? {
        switch ObjectIdentifier(T.self) {
        case ObjectIdentifier(String.self): read(String.self, cell, as: T.self)
        case Self.optionalString: read(String?.self, cell, as: T.self)
        case ObjectIdentifier(Int.self): read(Int.self, cell, as: T.self)
        case Self.optionalInt: read(Int?.self, cell, as: T.self)
        case ObjectIdentifier(Int64.self): read(Int64.self, cell, as: T.self)
        case Self.optionalInt64: read(Int64?.self, cell, as: T.self)
        case ObjectIdentifier(UUID.self): read(UUID.self, cell, as: T.self)
        case Self.optionalUUID: read(UUID?.self, cell, as: T.self)
        case ObjectIdentifier(Date.self): read(Date.self, cell, as: T.self)
        case Self.optionalDate: read(Date?.self, cell, as: T.self)
        case ObjectIdentifier(Bool.self): read(Bool.self, cell, as: T.self)
        case Self.optionalBool: read(Bool?.self, cell, as: T.self)
        case ObjectIdentifier(Double.self): read(Double.self, cell, as: T.self)
        case Self.optionalDouble: read(Double?.self, cell, as: T.self)
        default: nil
        }
    }

    /// The cell as `V`, which the caller checked is `T` itself; nil when PostgresNIO cannot read it so.
    private static func read<V: PostgresDecodable, T>(_: V.Type, _ cell: PostgresCell, as _: T.Type) -> T? {
        do {
            return unsafeBitCast(try cell.decode(V.self, context: .default), to: T.self)
        } catch {
            return nil
        }
    }
}
