import Foundation

/// UTC calendar days as `YYYY-MM-DD`, which sort and compare as strings in both databases. Unix time has no
/// leap seconds and UTC no daylight saving, so a day is exactly 86,400 seconds.
enum UTCDay {
    static func number(_ date: Date) -> Int { Int((date.timeIntervalSince1970 / 86_400).rounded(.down)) }

    static func string(_ date: Date) -> String { string(dayNumber: number(date)) }

    /// `days` whole days of 86,400 s later (earlier when negative): holding periods and refund windows.
    static func adding(days: Int, to date: Date) -> Date { date.addingTimeInterval(TimeInterval(days) * 86_400) }

    /// Howard Hinnant's days-to-civil conversion: exact for any day, and no `Calendar` or formatter per call.
    static func string(dayNumber: Int) -> String {
        let z = dayNumber + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}
