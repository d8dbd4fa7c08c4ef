import Foundation
import OpenAPIRuntime

/// The contract's dates (`2025-06-24T16:14:07Z`, RFC 3339 in UTC, whole seconds), written by arithmetic. The
/// runtime's own `ISO8601DateTranscoder` formats through ICU: on the model page that was 3% of the server's CPU,
/// for a handful of dates. Reading a date a client sent stays with the runtime's transcoder, so every form it
/// accepted is still accepted.
struct InternetDateTranscoder: DateTranscoder {
    private let reader = ISO8601DateTranscoder()

    func encode(_ date: Date) throws -> String {
        // As the formatter does: to the nearest millisecond, then the whole second below (also before 1970).
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let (seconds, _) = Self.floorDivide(milliseconds, 1000)
        let (days, secondOfDay) = Self.floorDivide(seconds, 86_400)
        var text = UTCDay.string(dayNumber: Int(days))
        text.append("T")
        Self.append(secondOfDay / 3600, to: &text)
        text.append(":")
        Self.append(secondOfDay / 60 % 60, to: &text)
        text.append(":")
        Self.append(secondOfDay % 60, to: &text)
        text.append("Z")
        return text
    }

    func decode(_ text: String) throws -> Date { try reader.decode(text) }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> (Int64, Int64) {
        let quotient = value / divisor, remainder = value % divisor
        return remainder < 0 ? (quotient - 1, remainder + divisor) : (quotient, remainder)
    }

    /// Two digits (0–99).
    private static func append(_ value: Int64, to text: inout String) {
        if value < 10 { text.append("0") }
        text.append(String(value))
    }
}
