import Foundation

/// Reads the node tree of an ASCII FBX 7.x file: lines of `Name: value, value, ... { children }`, `;` comments,
/// quoted strings, bare words (`T`, `Y`), numbers and arrays written `*N { a: v, v, ... }`. A value list may run
/// over several lines as long as each line ends with a comma.
///
/// The tokenizer is a single forward pass with explicit bounds checks; nesting stops at `limits.maxDepth`, and
/// array contents are only located here (their text range), parsed later by `FBXASCIINumbers` when counted.
struct FBXASCIIParser {
    /// Values a retained node may carry outside `*N {}` arrays; 7.x nodes have a handful. Old 6.x files list whole
    /// arrays as plain values, and are refused before that matters.
    static let maxValuesPerNode = 4096

    private let bytes: UnsafeRawBufferPointer
    private let limits: InspectionLimits
    private var offset = 0
    private var retainedNodes = 0

    static func parse(_ bytes: UnsafeRawBufferPointer, limits: InspectionLimits) throws -> FBXDocument {
        var parser = FBXASCIIParser(bytes: bytes, limits: limits)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.offset = 3 }
        let roots = try parser.parseList(depth: 1, closedByBrace: false, retention: .root)
        guard let version = Self.declaredVersion(roots: roots, bytes: bytes) else {
            throw MeshInspectionError(.malformed, "The ASCII FBX file declares no FBXVersion.")
        }
        return FBXDocument(version: version, roots: roots)
    }

    /// `FBXHeaderExtension { FBXVersion: 7400 }`, or failing that the `; FBX 7.4.0 project file` banner.
    private static func declaredVersion(roots: [FBXNode], bytes: UnsafeRawBufferPointer) -> Int? {
        if let value = roots.first(where: { $0.name == "FBXHeaderExtension" })?.value(of: "FBXVersion")?.doubleValue,
           let version = Int(exactly: value.rounded()) {
            return version
        }
        let banner = String(decoding: UnsafeRawBufferPointer(rebasing: bytes.prefix(64)), as: UTF8.self)
        guard let range = banner.range(of: #"FBX (\d+)\.(\d+)\.(\d+)"#, options: .regularExpression) else { return nil }
        let parts = banner[range].dropFirst(4).split(separator: ".").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        return parts[0] * 1000 + parts[1] * 100 + parts[2] * 10
    }

    // MARK: Structure

    private mutating func parseList(depth: Int, closedByBrace: Bool, retention: FBXRetention) throws -> [FBXNode] {
        var nodes: [FBXNode] = []
        while true {
            skipWhitespaceAndComments()
            guard offset < bytes.count else {
                if closedByBrace {
                    throw MeshInspectionError(.truncated, "The ASCII FBX file ends before a closing brace (line \(lineNumber())).")
                }
                return nodes
            }
            if bytes[offset] == UInt8(ascii: "}") {
                guard closedByBrace else {
                    throw MeshInspectionError(.malformed, "Unexpected '}' at line \(lineNumber()) of the ASCII FBX file.")
                }
                offset += 1
                return nodes
            }
            if let node = try parseNode(depth: depth, retention: retention) {
                nodes.append(node)
                if depth == 1, node.name == "FBXHeaderExtension",
                   let version = node.value(of: "FBXVersion")?.doubleValue, version.isFinite, version < 7100 {
                    throw MeshInspectionError(.unsupported, "ASCII FBX version \(Int(version)) is too old; FBX 7.1 or later is needed (re-export as FBX 2011 or newer).")
                }
            }
        }
    }

    private mutating func parseNode(depth: Int, retention: FBXRetention) throws -> FBXNode? {
        let nameStart = offset
        while offset < bytes.count, Self.isNameByte(bytes[offset]) { offset += 1 }
        guard offset > nameStart else {
            throw MeshInspectionError(.malformed, "Expected a node name at line \(lineNumber()) of the ASCII FBX file.")
        }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<offset]), as: UTF8.self)
        skipInlineSpace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else {
            throw MeshInspectionError(.malformed, "Expected ':' after \"\(name)\" at line \(lineNumber()) of the ASCII FBX file.")
        }
        offset += 1

        let keep = retention != .discard
        if keep {
            retainedNodes += 1
            guard retainedNodes <= FBXBinaryParser.maxRetainedNodes else {
                throw MeshInspectionError(.limitExceeded, "The FBX file has more than \(FBXBinaryParser.maxRetainedNodes) nodes.")
            }
        }
        var properties: [FBXProperty] = []
        skipInlineSpace()
        valueLoop: while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: ";"), UInt8(ascii: "{"), UInt8(ascii: "}"):
                break valueLoop
            case UInt8(ascii: ","):
                // An empty value, or a list continuing on the next line.
                offset += 1
                skipWhitespaceAndComments()
                continue valueLoop
            default:
                let value = try parseValue()
                if keep {
                    guard properties.count < Self.maxValuesPerNode else {
                        throw MeshInspectionError(.limitExceeded, "FBX node \"\(name)\" at line \(lineNumber()) has more than \(Self.maxValuesPerNode) values.")
                    }
                    properties.append(value)
                }
                skipInlineSpace()
                if offset < bytes.count, bytes[offset] == UInt8(ascii: ",") {
                    offset += 1
                    skipWhitespaceAndComments()
                } else if offset < bytes.count, !Self.endsValues(bytes[offset]) {
                    throw MeshInspectionError(.malformed, "Expected ',' between values at line \(lineNumber()) of the ASCII FBX file.")
                }
            }
        }

        var children: [FBXNode] = []
        skipInlineSpace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "{") {
            guard depth < limits.maxDepth else {
                throw MeshInspectionError(.limitExceeded, "FBX nodes are nested more than \(limits.maxDepth) levels deep.")
            }
            offset += 1
            children = try parseList(depth: depth + 1, closedByBrace: true, retention: retention.forChildren(of: name))
        }
        return keep ? FBXNode(name: name, properties: properties, children: children) : nil
    }

    // MARK: Values

    private mutating func parseValue() throws -> FBXProperty {
        let first = bytes[offset]
        switch first {
        case UInt8(ascii: "\""):
            let start = offset + 1
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += 1 }
            guard end < bytes.count else {
                throw MeshInspectionError(.truncated, "A string at line \(lineNumber()) of the ASCII FBX file is never closed.")
            }
            offset = end + 1
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
            return .string(text.contains("&quot;") ? text.replacingOccurrences(of: "&quot;", with: "\"") : text)
        case UInt8(ascii: "*"):
            return try parseArray()
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."):
            let start = offset
            while offset < bytes.count, Self.isNumberByte(bytes[offset]) { offset += 1 }
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
            if let integer = Int64(text) { return .integer(integer) }
            if let number = Double(text) { return .number(number) }
            throw MeshInspectionError(.malformed, "\"\(text.prefix(40))\" at line \(lineNumber()) is not a number.")
        default:
            let start = offset
            while offset < bytes.count, Self.isNameByte(bytes[offset]) { offset += 1 }
            guard offset > start else {
                throw MeshInspectionError(.malformed, "Unexpected character at line \(lineNumber()) of the ASCII FBX file.")
            }
            return .string(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self))
        }
    }

    /// `*N { a: v, v, ... }`: only the element count and the text range are kept.
    private mutating func parseArray() throws -> FBXProperty {
        offset += 1
        var count = 0
        let digitsStart = offset
        while offset < bytes.count, let digit = Self.digit(bytes[offset]) {
            guard count <= limits.maxElements else {
                throw MeshInspectionError(.limitExceeded, "An FBX array at line \(lineNumber()) declares more than \(limits.maxElements) elements.")
            }
            count = count * 10 + digit
            offset += 1
        }
        guard offset > digitsStart else {
            throw MeshInspectionError(.malformed, "An array at line \(lineNumber()) has no element count after '*'.")
        }
        guard count <= limits.maxElements else {
            throw MeshInspectionError(.limitExceeded, "An FBX array at line \(lineNumber()) declares \(count) elements, more than the \(limits.maxElements) allowed.")
        }
        skipWhitespaceAndComments()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "{") else {
            throw MeshInspectionError(.malformed, "Expected '{' after an array count at line \(lineNumber()).")
        }
        offset += 1
        skipWhitespaceAndComments()
        var valuesStart = offset
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "a") {
            offset += 1
            skipInlineSpace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else {
                throw MeshInspectionError(.malformed, "Expected 'a:' inside an array at line \(lineNumber()).")
            }
            offset += 1
            valuesStart = offset
        }
        while offset < bytes.count, bytes[offset] != UInt8(ascii: "}") {
            guard bytes[offset] != UInt8(ascii: "{") else {
                throw MeshInspectionError(.malformed, "An array at line \(lineNumber()) contains a '{'.")
            }
            offset += 1
        }
        guard offset < bytes.count else {
            throw MeshInspectionError(.truncated, "The ASCII FBX file ends inside an array.")
        }
        let values = valuesStart..<offset
        offset += 1
        return .array(FBXArray(count: count, storage: .ascii(values: values)))
    }

    // MARK: Scanning

    private mutating func skipInlineSpace() {
        while offset < bytes.count, bytes[offset] == UInt8(ascii: " ") || bytes[offset] == UInt8(ascii: "\t") {
            offset += 1
        }
    }

    private mutating func skipWhitespaceAndComments() {
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                offset += 1
            } else if byte == UInt8(ascii: ";") {
                while offset < bytes.count, bytes[offset] != UInt8(ascii: "\n") { offset += 1 }
            } else {
                return
            }
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "|"), UInt8(ascii: "-"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }

    private static func isNumberByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
             UInt8(ascii: "e"), UInt8(ascii: "E"):
            true
        default:
            false
        }
    }

    private static func endsValues(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: ";")
            || byte == UInt8(ascii: "{") || byte == UInt8(ascii: "}")
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }

    /// Only computed for error messages.
    private func lineNumber() -> Int {
        1 + bytes[0..<Swift.min(offset, bytes.count)].reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }
}
