import Foundation

/// Writes binary FBX node trees for tests, including deliberately wrong ones.
struct FBXTestWriter {
    enum Property {
        case int32(Int32)
        case int64(Int64)
        case double(Double)
        case string(String)
        /// A typed array; `declaredCount`/`encoding` may lie about `payload`.
        case array(type: Character, declaredCount: UInt32, encoding: UInt32, payload: [UInt8])
        /// Any type code with raw bytes after it.
        case raw(type: Character, bytes: [UInt8])

        static func doubles(_ values: [Double]) -> Property {
            .array(type: "d", declaredCount: UInt32(values.count), encoding: 0,
                   payload: values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) })
        }

        static func ints(_ values: [Int32]) -> Property {
            .array(type: "i", declaredCount: UInt32(values.count), encoding: 0,
                   payload: values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) })
        }
    }

    struct Node {
        var name: String
        var properties: [Property] = []
        var children: [Node] = []
    }

    var version: UInt32 = 7400
    var wide: Bool { version >= 7500 }
    var recordHeaderSize: Int { wide ? 25 : 13 }

    func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }

    func encode(_ property: Property) -> [UInt8] {
        switch property {
        case .int32(let value): [UInt8(ascii: "I")] + le(value)
        case .int64(let value): [UInt8(ascii: "L")] + le(value)
        case .double(let value): [UInt8(ascii: "D")] + le(value.bitPattern)
        case .string(let value): [UInt8(ascii: "S")] + le(UInt32(value.utf8.count)) + Array(value.utf8)
        case .array(let type, let count, let encoding, let payload):
            [type.asciiValue!] + le(count) + le(encoding) + le(UInt32(payload.count)) + payload
        case .raw(let type, let bytes): [type.asciiValue!] + bytes
        }
    }

    func recordHeader(end: Int, propertyCount: Int, propertyBytes: Int, nameLength: Int) -> [UInt8] {
        if wide {
            return le(UInt64(end)) + le(UInt64(propertyCount)) + le(UInt64(propertyBytes)) + [UInt8(nameLength)]
        }
        return le(UInt32(end)) + le(UInt32(propertyCount)) + le(UInt32(propertyBytes)) + [UInt8(nameLength)]
    }

    func encode(_ node: Node, at start: Int) -> [UInt8] {
        let name = Array(node.name.utf8)
        let properties = node.properties.flatMap(encode)
        var body: [UInt8] = []
        let bodyStart = start + recordHeaderSize + name.count + properties.count
        for child in node.children {
            body += encode(child, at: bodyStart + body.count)
        }
        if !node.children.isEmpty { body += [UInt8](repeating: 0, count: recordHeaderSize) }
        let end = bodyStart + body.count
        return recordHeader(end: end, propertyCount: node.properties.count, propertyBytes: properties.count, nameLength: name.count)
            + name + properties + body
    }

    static let magic: [UInt8] = Array("Kaydara FBX Binary  ".utf8) + [0, 0x1a, 0]

    func file(_ roots: [Node]) -> [UInt8] {
        var out = Self.magic + le(version)
        for root in roots { out += encode(root, at: out.count) }
        out += [UInt8](repeating: 0, count: recordHeaderSize)
        return out + [UInt8](repeating: 0, count: 160)
    }

    /// A one-triangle scene whose geometry arrays can be swapped for hostile ones.
    func triangleScene(vertices: Property = .doubles([0, 0, 0, 1, 0, 0, 0, 1, 0]),
                       polygons: Property = .ints([0, 1, -3]), extraConnections: [Node] = []) -> [UInt8] {
        file([
            Node(name: "GlobalSettings", children: [Node(name: "Properties70", children: [
                Node(name: "P", properties: [.string("UnitScaleFactor"), .string("double"), .string("Number"), .string(""), .double(100)]),
            ])]),
            Node(name: "Objects", children: [
                Node(name: "Geometry", properties: [.int64(10), .string("Tri\0\u{1}Geometry"), .string("Mesh")], children: [
                    Node(name: "Vertices", properties: [vertices]),
                    Node(name: "PolygonVertexIndex", properties: [polygons]),
                ]),
                Node(name: "Model", properties: [.int64(20), .string("Tri\0\u{1}Model"), .string("Mesh")]),
                Node(name: "Model", properties: [.int64(30), .string("Other\0\u{1}Model"), .string("Null")]),
            ]),
            Node(name: "Connections", children: [
                Node(name: "C", properties: [.string("OO"), .int64(20), .int64(0)]),
                Node(name: "C", properties: [.string("OO"), .int64(10), .int64(20)]),
            ] + extraConnections),
        ])
    }
}
