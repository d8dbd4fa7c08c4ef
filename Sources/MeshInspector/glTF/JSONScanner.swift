import Foundation

/// A JSON value from an untrusted document.
///
/// String values keep only their location in the source: a glTF's embedded buffers are base64 strings of up to the
/// whole file, and copying them into `String`s would double the memory a read costs. Object keys are short and are
/// decoded at once.
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(JSONText)
    case array([JSONValue])
    /// Members in document order; a repeated key resolves to its last occurrence, as most parsers do.
    case object([(key: String, value: JSONValue)])

    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    var numberValue: Double? {
        if case .number(let number) = self { return number }
        return nil
    }

    /// The value as an exact, non-negative integer that fits in an `Int`; fractions and huge values are rejected.
    var indexValue: Int? {
        guard case .number(let number) = self, number >= 0, number < 9.0e15, number.rounded(.towardZero) == number
        else { return nil }
        return Int(number)
    }

    var textValue: JSONText? {
        if case .string(let text) = self { return text }
        return nil
    }
}

/// Where a string value sits in the source bytes (between, not including, its quotes).
struct JSONText: Sendable, Equatable {
    var start: Int
    var end: Int
    /// Whether it contains backslash escapes; without them the source bytes are the value.
    var hasEscapes: Bool
    var byteCount: Int { end - start }
}

/// A depth- and size-limited JSON parser for untrusted documents.
///
/// Foundation's `JSONSerialization` (swift-foundation, Swift 6.3) does refuse nesting past 512 levels (checked:
/// 10^5 and 10^6 nested arrays fail cleanly), but it copies every string, base64 buffers included, and has no
/// limit on how many values it builds. This parser nests at most `maxDepth` levels (recursion is therefore
/// bounded), caps the number of values, and leaves string values in place.
struct JSONScanner {
    /// Most values (of any kind) one document may hold. Real glTF scenes stay far below; the cap keeps a document
    /// made of millions of tiny objects from costing gigabytes as a tree.
    static let maxValues = 4_000_000

    private let bytes: UnsafeRawBufferPointer
    private let maxDepth: Int
    private var position = 0
    private var valueCount = 0

    /// Parses one JSON document that fills `bytes` (surrounding whitespace and a UTF-8 byte-order mark allowed).
    static func parse(_ bytes: UnsafeRawBufferPointer, maxDepth: Int) throws -> JSONValue {
        var scanner = JSONScanner(bytes: bytes, maxDepth: maxDepth)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { scanner.position = 3 }
        let value = try scanner.parseValue(depth: 0)
        scanner.skipWhitespace()
        guard scanner.position == bytes.count else {
            throw scanner.error("unexpected data after the end of the JSON document")
        }
        return value
    }

    /// Decodes a string value found by `parse` in the same bytes.
    static func string(_ text: JSONText, in bytes: UnsafeRawBufferPointer) throws -> String {
        guard text.start >= 0, text.start <= text.end, text.end <= bytes.count else {
            throw MeshInspectionError(.malformed, "A JSON string lies outside its document.")
        }
        let slice = UnsafeRawBufferPointer(rebasing: bytes[text.start..<text.end])
        if !text.hasEscapes {
            return String(decoding: slice, as: UTF8.self)
        }
        var scanner = JSONScanner(bytes: bytes, maxDepth: 1)
        scanner.position = text.start
        var utf8: [UInt8] = []
        utf8.reserveCapacity(text.byteCount)
        try scanner.decodeEscapedString(until: text.end, into: &utf8)
        return String(decoding: utf8, as: UTF8.self)
    }

    private init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private func error(_ what: String) -> MeshInspectionError {
        MeshInspectionError(.malformed, "The JSON is invalid: \(what) (at byte \(position)).")
    }

    private mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        valueCount += 1
        guard valueCount <= Self.maxValues else {
            throw MeshInspectionError(.limitExceeded, "The JSON holds more than \(Self.maxValues) values.")
        }
        skipWhitespace()
        guard position < bytes.count else {
            throw MeshInspectionError(.truncated, "The JSON ends before its last value is complete.")
        }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try scanString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw error("unexpected character")
        }
    }

    private mutating func checkDepth(_ depth: Int) throws {
        guard depth <= maxDepth else {
            throw MeshInspectionError(.limitExceeded, "The JSON nests deeper than \(maxDepth) levels.")
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        try checkDepth(depth)
        position += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard position < bytes.count else { throw MeshInspectionError(.truncated, "The JSON ends inside an object.") }
            guard bytes[position] == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let key = try Self.string(try scanString(), in: bytes)
            skipWhitespace()
            guard position < bytes.count else { throw MeshInspectionError(.truncated, "The JSON ends inside an object.") }
            guard bytes[position] == UInt8(ascii: ":") else { throw error("expected ':' after a member name") }
            position += 1
            members.append((key, try parseValue(depth: depth)))
            skipWhitespace()
            guard position < bytes.count else { throw MeshInspectionError(.truncated, "The JSON ends inside an object.") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            throw error("expected ',' or '}' in an object")
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONValue {
        try checkDepth(depth)
        position += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard position < bytes.count else { throw MeshInspectionError(.truncated, "The JSON ends inside an array.") }
            if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
            if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
            throw error("expected ',' or ']' in an array")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws {
        let count = literal.utf8CodeUnitCount
        guard bytes.count - position >= count else { throw MeshInspectionError(.truncated, "The JSON ends inside a literal.") }
        for offset in 0..<count where bytes[position + offset] != literal.utf8Start[offset] {
            throw error("unknown literal")
        }
        position += count
    }

    /// Finds the end of a string starting at the opening quote, validating escapes but not decoding them.
    private mutating func scanString() throws -> JSONText {
        position += 1
        let start = position
        var hasEscapes = false
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = JSONText(start: start, end: position, hasEscapes: hasEscapes)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                position += 2
                continue
            }
            guard byte >= 0x20 else { throw error("control character inside a string") }
            position += 1
        }
        throw MeshInspectionError(.truncated, "The JSON ends inside a string.")
    }

    private mutating func decodeEscapedString(until end: Int, into utf8: inout [UInt8]) throws {
        while position < end {
            let byte = bytes[position]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                position += 1
                continue
            }
            guard position + 1 < end else { throw error("incomplete escape") }
            let escaped = bytes[position + 1]
            position += 2
            switch escaped {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escaped)
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4(end: end)
                if (0xD800..<0xDC00).contains(scalar), position + 6 <= end,
                   bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") {
                    position += 2
                    let low = try readHex4(end: end)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                }
                let character = Unicode.Scalar(scalar) ?? "\u{FFFD}"
                utf8.append(contentsOf: String(character).utf8)
            default:
                throw error("unknown escape")
            }
        }
    }

    private mutating func readHex4(end: Int) throws -> UInt32 {
        guard end - position >= 4 else { throw error("incomplete \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("bad hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    private mutating func parseNumber() throws -> Double {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var isPlainInteger = true
        while position < bytes.count, case let byte = bytes[position], byte >= 0x30, byte <= 0x39 {
            if digits < 18 { mantissa = mantissa * 10 + UInt64(byte - 0x30) }
            digits += 1
            position += 1
        }
        guard digits > 0 else { throw error("a number needs digits") }
        if position < bytes.count,
           bytes[position] == UInt8(ascii: ".") || bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            isPlainInteger = false
            while position < bytes.count, Self.isNumberByte(bytes[position]) { position += 1 }
        }
        let negative = bytes[start] == UInt8(ascii: "-")
        if isPlainInteger, digits <= 15 {
            return negative ? -Double(mantissa) : Double(mantissa)
        }
        guard position - start <= 400 else { throw error("number too long") }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw error("invalid number '\(text)'") }
        return value
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"),
             UInt8(ascii: "+"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
