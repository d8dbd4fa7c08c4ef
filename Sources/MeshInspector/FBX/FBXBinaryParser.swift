import Foundation

/// Reads the node tree of a binary FBX 7.x file (`Kaydara FBX Binary  \0\x1a\0` + UInt32 version).
///
/// Layout, per node record: end offset, property count, property-list length (UInt32 each before 7500, UInt64
/// from 7500), a one-byte name length, the name, the properties, then child records closed by an all-zero
/// sentinel record. Every offset is checked against both the buffer and the enclosing record, every end offset
/// must move forward, and nesting stops at `limits.maxDepth`, so a hostile file can neither read out of bounds nor
/// loop. Arrays are `f d l i b`, plus `c` (unsigned bytes) which some writers use and Blender accepts. Subtrees
/// the scene analysis never looks at are walked (to validate them and check their depth) but not kept, which
/// bounds memory by what is counted rather than by the file's size.
struct FBXBinaryParser {
    static let magic: [UInt8] = Array("Kaydara FBX Binary  ".utf8) + [0x00, 0x1a, 0x00]
    static let headerSize = 27
    /// Nodes kept in memory; past this a file is refused rather than allowed to exhaust memory with tiny records.
    static let maxRetainedNodes = 4_000_000

    private let bytes: UnsafeRawBufferPointer
    private let limits: InspectionLimits
    private let wideRecords: Bool
    private var retainedNodes = 0

    static func isBinaryFBX(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= headerSize && zip(magic, bytes).allSatisfy { $0 == $1 }
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, limits: InspectionLimits) throws -> FBXDocument {
        guard bytes.count >= headerSize else {
            throw MeshInspectionError(.truncated, "The FBX file is shorter than its 27-byte header.")
        }
        guard isBinaryFBX(bytes) else {
            throw MeshInspectionError(.unrecognized, "The file does not start with the binary FBX signature.")
        }
        let version = Int(bytes.loadUnaligned(fromByteOffset: 23, as: UInt32.self).littleEndian)
        var parser = FBXBinaryParser(bytes: bytes, limits: limits, wideRecords: version >= 7500)
        let roots = try parser.readTopLevel()
        return FBXDocument(version: version, roots: roots)
    }

    private var recordHeaderSize: Int { wideRecords ? 25 : 13 }

    private struct RecordHeader {
        var end: UInt64
        var propertyCount: UInt64
        var propertyBytes: UInt64
        var nameLength: Int
        var isSentinel: Bool { end == 0 && propertyCount == 0 && propertyBytes == 0 && nameLength == 0 }
    }

    private func recordHeader(at offset: Int) -> RecordHeader {
        if wideRecords {
            return RecordHeader(
                end: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian,
                propertyCount: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self).littleEndian,
                propertyBytes: bytes.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self).littleEndian,
                nameLength: Int(bytes[offset + 24]))
        }
        return RecordHeader(
            end: UInt64(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian),
            propertyCount: UInt64(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian),
            propertyBytes: UInt64(bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self).littleEndian),
            nameLength: Int(bytes[offset + 12]))
    }

    private mutating func readTopLevel() throws -> [FBXNode] {
        var offset = Self.headerSize
        var roots: [FBXNode] = []
        // The top-level list ends with a sentinel record (then a footer nobody needs); a file without it was cut
        // short, possibly right between two nodes.
        while true {
            guard offset + recordHeaderSize <= bytes.count else {
                throw MeshInspectionError(.truncated, "The FBX file is cut off before the end of its node list.")
            }
            let header = recordHeader(at: offset)
            if header.isSentinel { break }
            let (node, end) = try readNode(at: offset, header: header, limit: bytes.count, depth: 1, retention: .root)
            if let node { roots.append(node) }
            offset = end
        }
        if roots.isEmpty {
            throw MeshInspectionError(.malformed, "The FBX file holds no nodes after its header.")
        }
        return roots
    }

    /// Returns the node (nil when not retained) and the offset just past it.
    private mutating func readNode(
        at start: Int, header: RecordHeader, limit: Int, depth: Int, retention: FBXRetention
    ) throws -> (FBXNode?, Int) {
        guard depth <= limits.maxDepth else {
            throw MeshInspectionError(.limitExceeded, "FBX nodes are nested more than \(limits.maxDepth) levels deep.")
        }
        guard header.end <= UInt64(limit) else {
            throw MeshInspectionError(.truncated, "An FBX node at byte \(start) ends past the end of its parent or the file.")
        }
        let end = Int(header.end)
        let nameStart = start + recordHeaderSize
        let propertiesStart = nameStart + header.nameLength
        guard end > start, propertiesStart <= end else {
            throw MeshInspectionError(.malformed, "An FBX node at byte \(start) has an end offset that does not move forward.")
        }
        guard header.propertyBytes <= UInt64(end - propertiesStart), header.propertyCount <= header.propertyBytes else {
            throw MeshInspectionError(.malformed, "An FBX node at byte \(start) declares more property data than it holds.")
        }
        let propertiesEnd = propertiesStart + Int(header.propertyBytes)
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[nameStart..<propertiesStart]), as: UTF8.self)

        let keep = retention != .discard
        var properties: [FBXProperty] = []
        if keep {
            retainedNodes += 1
            guard retainedNodes <= Self.maxRetainedNodes else {
                throw MeshInspectionError(.limitExceeded, "The FBX file has more than \(Self.maxRetainedNodes) nodes.")
            }
            properties = try readProperties(from: propertiesStart, to: propertiesEnd, count: Int(header.propertyCount))
        }

        var children: [FBXNode] = []
        let childRetention = retention.forChildren(of: name)
        var offset = propertiesEnd
        while offset < end {
            guard offset + recordHeaderSize <= end else {
                throw MeshInspectionError(.malformed, "FBX node \"\(name)\" has trailing bytes that are not a node.")
            }
            let childHeader = recordHeader(at: offset)
            if childHeader.isSentinel {
                offset += recordHeaderSize
                break
            }
            let (child, childEnd) = try readNode(
                at: offset, header: childHeader, limit: end, depth: depth + 1, retention: childRetention)
            if keep, let child { children.append(child) }
            offset = childEnd
        }
        guard keep else { return (nil, end) }
        return (FBXNode(name: name, properties: properties, children: children), end)
    }

    private func readProperties(from start: Int, to end: Int, count: Int) throws -> [FBXProperty] {
        var properties: [FBXProperty] = []
        properties.reserveCapacity(Swift.min(count, 16))
        var offset = start
        func need(_ size: Int) throws {
            guard size >= 0, offset <= end, size <= end - offset else {
                throw MeshInspectionError(.truncated, "An FBX property at byte \(offset) runs past its node.")
            }
        }
        for _ in 0..<count {
            try need(1)
            let type = bytes[offset]
            offset += 1
            switch type {
            case UInt8(ascii: "Y"):
                try need(2)
                properties.append(.integer(Int64(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self)))))
                offset += 2
            case UInt8(ascii: "C"):
                try need(1)
                properties.append(.integer(bytes[offset] == 0 ? 0 : 1))
                offset += 1
            case UInt8(ascii: "I"):
                try need(4)
                properties.append(.integer(Int64(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)))))
                offset += 4
            case UInt8(ascii: "F"):
                try need(4)
                let bits = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                properties.append(.number(Double(Float(bitPattern: bits))))
                offset += 4
            case UInt8(ascii: "D"):
                try need(8)
                let bits = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                properties.append(.number(Double(bitPattern: bits)))
                offset += 8
            case UInt8(ascii: "L"):
                try need(8)
                properties.append(.integer(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))))
                offset += 8
            case UInt8(ascii: "S"), UInt8(ascii: "R"):
                try need(4)
                let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                offset += 4
                try need(length)
                let range = offset..<(offset + length)
                if type == UInt8(ascii: "S") {
                    properties.append(.string(Self.displayName(UnsafeRawBufferPointer(rebasing: bytes[range]))))
                } else {
                    properties.append(.raw(range))
                }
                offset += length
            case UInt8(ascii: "f"), UInt8(ascii: "d"), UInt8(ascii: "l"), UInt8(ascii: "i"), UInt8(ascii: "b"), UInt8(ascii: "c"):
                try need(12)
                let count = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
                let encoding = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
                let stored = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)))
                offset += 12
                try need(stored)
                try FBXArrayDecoder.checkDeclaredArray(type: type, count: count, encoding: encoding, storedBytes: stored, limits: limits)
                properties.append(.array(FBXArray(count: count, storage: .binary(type: type, encoding: encoding, payload: offset..<(offset + stored)))))
                offset += stored
            default:
                throw MeshInspectionError(.malformed, "Unknown FBX property type 0x\(String(type, radix: 16)) at byte \(offset - 1).")
            }
        }
        return properties
    }

    /// Binary FBX writes object names as `name \0\x01 class`; ASCII writes `class::name`. Both become the latter.
    static func displayName(_ raw: UnsafeRawBufferPointer) -> String {
        if let separator = (0..<Swift.max(raw.count - 1, 0)).first(where: { raw[$0] == 0 && raw[$0 + 1] == 1 }) {
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<separator]), as: UTF8.self)
            let type = String(decoding: UnsafeRawBufferPointer(rebasing: raw[(separator + 2)...]), as: UTF8.self)
            return "\(type)::\(name)"
        }
        return String(decoding: raw, as: UTF8.self)
    }
}

/// Which parts of the tree the scene analysis reads, so only those are kept in memory. Both parsers use it: a
/// node is kept unless its retention is `.discard`, and its children get `forChildren(of:)` of it.
enum FBXRetention: Equatable {
    /// Top-level nodes: all kept; only the sections the analysis reads keep their children.
    case root
    /// Inside a small settings section (`FBXHeaderExtension`, `GlobalSettings`, `Definitions`): everything.
    case all
    /// Directly inside `Objects`/`Connections`: the objects and connections themselves.
    case objects
    /// Direct children of an object (`Vertices`, `PolygonVertexIndex`, `Properties70`, `FileName`...), kept with
    /// their properties; below them only property tables and the material and UV layers survive (not the other
    /// layer elements or animation keys).
    case objectBody
    /// Walked for validation and depth only.
    case discard

    func forChildren(of name: String) -> FBXRetention {
        switch self {
        case .root:
            switch name {
            case "FBXHeaderExtension", "GlobalSettings", "Definitions": .all
            case "Objects", "Connections": .objects
            default: .discard
            }
        case .all: .all
        case .objects: .objectBody
        // The material and UV layers colour previews and the quality check reads the UVs; their arrays stay in the
        // file until read.
        case .objectBody:
            name == "Properties70" || name == "Properties60" || name == "LayerElementMaterial" || name == "LayerElementUV"
                ? .all : .discard
        case .discard: .discard
        }
    }
}
