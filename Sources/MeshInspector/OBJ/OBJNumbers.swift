import Foundation

/// Number parsing in place on OBJ text, much faster than making `String`s: a 100 MB file has millions of them.
enum OBJNumbers {
    /// Beyond this a reference cannot be valid anyway (`InspectionLimits.maxElements` is far lower); parsing stops
    /// growing the value so a 40-digit index neither overflows nor wraps into range.
    private static let saturation = 1_000_000_000_000_000

    /// Parses `[+-]digits` at `position`; nil when there are no digits. Stops at the first non-digit.
    @inline(__always)
    static func integer(_ line: UnsafePointer<UInt8>, _ position: inout Int, _ count: Int) -> Int? {
        var negative = false
        if position < count, line[position] == UInt8(ascii: "-") || line[position] == UInt8(ascii: "+") {
            negative = line[position] == UInt8(ascii: "-")
            position += 1
        }
        var value = 0
        var digits = 0
        while position < count {
            let digit = Int(line[position]) &- 0x30
            guard digit >= 0, digit <= 9 else { break }
            if value < saturation { value = value * 10 + digit }
            digits += 1
            position += 1
        }
        guard digits > 0 else { return nil }
        return negative ? -value : value
    }

    private static let exactPowers: [Double] = (0...22).map { pow(10, Double($0)) }

    /// Parses the next whitespace-separated decimal number, advancing past it; 0 for a missing or unreadable one
    /// (as Blender does). Precision is that of a double, ample for a bounding box.
    static func double(_ line: UnsafePointer<UInt8>, _ position: inout Int, _ count: Int) -> Double {
        while position < count, line[position] == 0x20 || line[position] == 0x09 { position += 1 }
        let start = position
        var negative = false
        if position < count, line[position] == UInt8(ascii: "-") || line[position] == UInt8(ascii: "+") {
            negative = line[position] == UInt8(ascii: "-")
            position += 1
        }
        var mantissa: UInt64 = 0
        var exponent = 0
        var digits = 0
        while position < count, case let digit = line[position] &- 0x30, digit <= 9 {
            if mantissa < 1_000_000_000_000_000_000 { mantissa = mantissa * 10 + UInt64(digit) } else { exponent += 1 }
            digits += 1
            position += 1
        }
        if position < count, line[position] == UInt8(ascii: ".") {
            position += 1
            while position < count, case let digit = line[position] &- 0x30, digit <= 9 {
                if mantissa < 1_000_000_000_000_000_000 {
                    mantissa = mantissa * 10 + UInt64(digit)
                    exponent -= 1
                }
                digits += 1
                position += 1
            }
        }
        if digits > 0, position < count, line[position] | 0x20 == UInt8(ascii: "e") {
            var cursor = position + 1
            if let power = integer(line, &cursor, count) {
                exponent += max(-400, min(400, power))
                position = cursor
            }
        }
        // Anything else glued to the number (or a word instead of one) makes it unreadable.
        let clean = position >= count || line[position] == 0x20 || line[position] == 0x09 || line[position] == 0x0D
        while position < count, line[position] != 0x20, line[position] != 0x09 { position += 1 }
        guard digits > 0, clean, position > start else { return 0 }
        var value = Double(mantissa)
        if exponent != 0 {
            if exponent > 0, exponent <= 22 {
                value *= exactPowers[exponent]
            } else if exponent < 0, exponent >= -22 {
                value /= exactPowers[-exponent]
            } else {
                value *= pow(10, Double(exponent))
            }
        }
        return negative ? -value : value
    }
}
