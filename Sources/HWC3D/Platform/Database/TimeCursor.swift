import Foundation
import SQLKit

/// Keyset pagination over (time DESC, id DESC): the cursor is the last item's time, exactly (the bits of its
/// seconds since 1970), and id, in base64url. Opaque to clients.
enum TimeCursor {
    /// Rows strictly after the cursor in (time DESC, id DESC) order. A time read back can differ from the stored
    /// one by a rounding (SQLite's driver rounds to microseconds), so times within 2 µs of the cursor count as
    /// equal and the id decides.
    static func before(_ cursor: (Date, UUID), time: String, id: String) -> SQLQueryString {
        let (at, cursorID) = cursor
        let low = at.addingTimeInterval(-0.000002), high = at.addingTimeInterval(0.000002)
        return """
            (\(unsafeRaw: time) < \(bind: low) OR (\(unsafeRaw: time) <= \(bind: high) AND \(unsafeRaw: id) < \(bind: cursorID)))
            """
    }

    static func encode(_ key: (Date, UUID)) -> String {
        let text = "\(String(key.0.timeIntervalSince1970.bitPattern, radix: 16)).\(key.1.uuidString.lowercased())"
        return Data(text.utf8).base64URLEncodedString()
    }

    static func decode(_ cursor: String) throws -> (Date, UUID) {
        let invalid = Problem.validation(field: "cursor", "is not a cursor this server gave")
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard cursor.count <= 200, let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { throw invalid }
        let parts = text.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let bits = UInt64(parts[0], radix: 16), let id = UUID(uuidString: String(parts[1])) else { throw invalid }
        let seconds = Double(bitPattern: bits)
        guard seconds.isFinite else { throw invalid }
        return (Date(timeIntervalSince1970: seconds), id)
    }
}
