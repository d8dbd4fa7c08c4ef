import Foundation

/// One FBX node as both the binary and the ASCII encodings describe it: a name, a list of property values and
/// child nodes. Array payloads stay in the file until the scene analysis asks for them, so a file is never held
/// twice in memory and arrays nobody counts (normals, UVs, animation keys) are never decoded.
struct FBXNode {
    var name: String
    var properties: [FBXProperty]
    var children: [FBXNode]

    func child(_ name: String) -> FBXNode? {
        children.first { $0.name == name }
    }

    func children(_ name: String) -> [FBXNode] {
        children.filter { $0.name == name }
    }

    func property(_ index: Int) -> FBXProperty? {
        properties.indices.contains(index) ? properties[index] : nil
    }

    /// The first property of the first child called `name`, the FBX idiom for a named scalar (`FBXVersion: 7400`).
    func value(of name: String) -> FBXProperty? {
        child(name)?.property(0)
    }

    /// `Properties70` (7.x) or `Properties60` (older) entries, keyed by their name. Each entry is
    /// `P: "name", "type", "label", "flags", values...`; the values are what callers want.
    func propertyTable() -> [String: [FBXProperty]] {
        var table: [String: [FBXProperty]] = [:]
        for block in children where block.name == "Properties70" || block.name == "Properties60" {
            let valueStart = block.name == "Properties70" ? 4 : 3
            for entry in block.children where entry.name == "P" || entry.name == "Property" {
                guard case .string(let key)? = entry.property(0) else { continue }
                table[key] = Array(entry.properties.dropFirst(valueStart))
            }
        }
        return table
    }
}

enum FBXProperty {
    case integer(Int64)
    case number(Double)
    case string(String)
    /// Raw bytes (binary `R`, e.g. embedded textures): only their place in the file is kept.
    case raw(Range<Int>)
    case array(FBXArray)

    var doubleValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }

    /// Object ids are 64-bit integers in 7.x; a few exporters write them as strings in ASCII files, so both are
    /// normalised to one text key.
    var objectKey: String? {
        switch self {
        case .integer(let value): String(value)
        case .number(let value): value == value.rounded() && abs(value) < 9.0e15 ? String(Int64(value)) : nil
        case .string(let value): value
        default: nil
        }
    }

    var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }
}

/// Where an array's elements live and how they are encoded; decoding is `FBXArrayDecoder`'s job.
struct FBXArray {
    enum Storage {
        /// Binary: element type code (`f d l i b`), encoding (0 raw, 1 zlib) and the payload's byte range.
        case binary(type: UInt8, encoding: UInt32, payload: Range<Int>)
        /// ASCII: the byte range of the comma-separated values inside `{ a: ... }`.
        case ascii(values: Range<Int>)
    }

    var count: Int
    var storage: Storage
}

/// A parsed file: its top-level nodes and the version its header declares.
struct FBXDocument {
    var version: Int
    var roots: [FBXNode]

    func root(_ name: String) -> FBXNode? {
        roots.first { $0.name == name }
    }
}
