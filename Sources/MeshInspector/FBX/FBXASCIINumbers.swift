import Foundation

/// Parses the comma-separated contents of an ASCII FBX array (`a: 1,-2.5e-3,...`) without building strings, so a
/// file with millions of coordinates parses in one pass. The declared `*N` count is only a capacity hint: the
/// values actually present are what is returned, capped by the element and byte limits.
enum FBXASCIINumbers {
    static func doubles(
        in bytes: UnsafeRawBufferPointer, range: Range<Int>, declared: Int, limits: InspectionLimits, budget: inout Int
    ) throws -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(Swift.min(declared, range.count / 2 + 1))
        try scan(bytes, range) { token in
            guard let value = parseDouble(token) else {
                throw MeshInspectionError(.malformed, "An ASCII FBX array holds a value that is not a number.")
            }
            try charge(&budget, 8, limits)
            out.append(value)
        }
        return out
    }

    static func integers(
        in bytes: UnsafeRawBufferPointer, range: Range<Int>, declared: Int, limits: InspectionLimits, budget: inout Int
    ) throws -> [Int32] {
        var out: [Int32] = []
        out.reserveCapacity(Swift.min(declared, range.count / 2 + 1))
        try scan(bytes, range) { token in
            guard let value = parseInteger(token) else {
                throw MeshInspectionError(.malformed, "An ASCII FBX index array holds a value that is not a 32-bit integer.")
            }
            try charge(&budget, 4, limits)
            out.append(value)
        }
        return out
    }

    private static func charge(_ budget: inout Int, _ size: Int, _ limits: InspectionLimits) throws {
        budget += size
        guard budget <= limits.maxInflatedBytes, budget / size <= limits.maxElements else {
            throw MeshInspectionError(.limitExceeded, "The FBX arrays hold more values than the limits allow.")
        }
    }

    /// Calls `body` with each token between commas and whitespace.
    private static func scan(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        guard range.lowerBound >= 0, range.upperBound <= bytes.count else {
            throw MeshInspectionError(.truncated, "An FBX array lies outside the file.")
        }
        var i = range.lowerBound
        while i < range.upperBound {
            let byte = bytes[i]
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
                || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                i += 1
                continue
            }
            let start = i
            while i < range.upperBound {
                let b = bytes[i]
                if b == UInt8(ascii: ",") || b == UInt8(ascii: " ") || b == UInt8(ascii: "\t")
                    || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") { break }
                i += 1
            }
            try body(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
        }
    }

    static func parseInteger(_ token: UnsafeRawBufferPointer) -> Int32? {
        var i = 0
        var negative = false
        if i < token.count, token[i] == UInt8(ascii: "-") || token[i] == UInt8(ascii: "+") {
            negative = token[i] == UInt8(ascii: "-")
            i += 1
        }
        guard i < token.count else { return nil }
        var value: Int64 = 0
        while i < token.count {
            let byte = token[i]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            guard value <= Int64(Int32.max) + 1 else { return nil }
            i += 1
        }
        return Int32(exactly: negative ? -value : value)
    }

    private static let exactPowers: [Double] = (0...22).map { exponent in
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    /// Decimal text to Double: sign, digits, optional fraction and exponent. Up to 19 significant digits are kept,
    /// plenty for coordinates written by exporters (they print at most 17).
    static func parseDouble(_ token: UnsafeRawBufferPointer) -> Double? {
        var i = 0
        var negative = false
        if i < token.count, token[i] == UInt8(ascii: "-") || token[i] == UInt8(ascii: "+") {
            negative = token[i] == UInt8(ascii: "-")
            i += 1
        }
        var mantissa: UInt64 = 0
        var significant = 0
        var exponent = 0
        var sawDigit = false
        while i < token.count, token[i] >= UInt8(ascii: "0"), token[i] <= UInt8(ascii: "9") {
            sawDigit = true
            if significant < 19 {
                mantissa = mantissa * 10 + UInt64(token[i] - UInt8(ascii: "0"))
                if mantissa > 0 { significant += 1 }
            } else {
                exponent += 1
            }
            i += 1
        }
        if i < token.count, token[i] == UInt8(ascii: ".") {
            i += 1
            while i < token.count, token[i] >= UInt8(ascii: "0"), token[i] <= UInt8(ascii: "9") {
                sawDigit = true
                if significant < 19 {
                    mantissa = mantissa * 10 + UInt64(token[i] - UInt8(ascii: "0"))
                    if mantissa > 0 { significant += 1 }
                    exponent -= 1
                }
                i += 1
            }
        }
        guard sawDigit else { return nil }
        if i < token.count, token[i] == UInt8(ascii: "e") || token[i] == UInt8(ascii: "E") {
            i += 1
            var negativeExponent = false
            if i < token.count, token[i] == UInt8(ascii: "-") || token[i] == UInt8(ascii: "+") {
                negativeExponent = token[i] == UInt8(ascii: "-")
                i += 1
            }
            var written = 0
            var sawExponentDigit = false
            while i < token.count, token[i] >= UInt8(ascii: "0"), token[i] <= UInt8(ascii: "9") {
                sawExponentDigit = true
                written = Swift.min(written * 10 + Int(token[i] - UInt8(ascii: "0")), 10_000)
                i += 1
            }
            guard sawExponentDigit else { return nil }
            exponent += negativeExponent ? -written : written
        }
        guard i == token.count else { return nil }
        var value = Double(mantissa)
        if exponent != 0 && mantissa != 0 {
            let magnitude = Swift.min(abs(exponent), 400)
            let scale = magnitude < exactPowers.count ? exactPowers[magnitude] : pow(10, Double(magnitude))
            value = exponent < 0 ? value / scale : value * scale
        }
        return negative ? -value : value
    }
}
