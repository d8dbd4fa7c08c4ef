import Foundation

/// Writes small .blend files from scratch — header, blocks and a self-describing SDNA — so layouts Blender 3.4
/// cannot produce (4.x names, the 5.x large block headers, 32-bit big-endian files) and damaged files can be
/// tested. Struct sizes and field offsets are computed here independently of the reader, the way makesdna
/// lays structs out (fields packed in declaration order; the structs below need no padding).
struct SyntheticBlend {
    enum Header {
        /// `BLENDER` + pointer char + endian char + 3 digits, with 20/24-byte block headers.
        case classic(version: String)
        /// `BLENDER17-01v` + 4 digits, with 32-byte block headers.
        case large(version: String)
    }

    var header: Header
    var pointerSize = 8
    var littleEndian = true
    private(set) var types: [String] = []
    private(set) var typeSizes: [Int] = []
    private(set) var structs: [(type: String, fields: [(type: String, name: String)])] = []
    private var blocks: [[UInt8]] = []

    init(header: Header, pointerSize: Int = 8, littleEndian: Bool = true) {
        self.header = header
        self.pointerSize = pointerSize
        self.littleEndian = littleEndian
        for (name, size) in [("char", 1), ("short", 2), ("int", 4), ("float", 4), ("void", 0), ("int64_t", 8), ("int8_t", 1), ("uchar", 1)] {
            types.append(name)
            typeSizes.append(size)
        }
    }

    // MARK: SDNA

    mutating func define(_ type: String, _ fields: [(String, String)]) {
        var size = 0
        for (fieldType, name) in fields {
            size += fieldSize(type: fieldType, name: name)
        }
        types.append(type)
        typeSizes.append(size)
        structs.append((type, fields.map { (type: $0.0, name: $0.1) }))
    }

    func size(of type: String) -> Int {
        typeSizes[types.firstIndex(of: type)!]
    }

    func structIndex(_ type: String) -> Int {
        structs.firstIndex { $0.type == type }!
    }

    private func fieldSize(type: String, name: String) -> Int {
        let element = name.hasPrefix("*") || name.hasPrefix("(*") ? pointerSize : typeSizes[types.firstIndex(of: type)!]
        var count = 1
        var scanner = name[...]
        while let open = scanner.firstIndex(of: "["), let close = scanner[open...].firstIndex(of: "]") {
            count *= Int(scanner[scanner.index(after: open)..<close])!
            scanner = scanner[scanner.index(after: close)...]
        }
        return element * count
    }

    func offset(of field: String, in type: String) -> Int {
        let definition = structs.first { $0.type == type }!
        var offset = 0
        for (fieldType, name) in definition.fields {
            if bareName(name) == field { return offset }
            offset += fieldSize(type: fieldType, name: name)
        }
        fatalError("no field \(field) in \(type)")
    }

    private func bareName(_ raw: String) -> String {
        String(raw.filter { $0 != "*" && $0 != "(" && $0 != ")" }.prefix { $0 != "[" })
    }

    // MARK: Records

    /// A zeroed instance of `type` whose fields are set by dotted path (`id.name`, `unit.scale_length`).
    struct Record {
        var blend: SyntheticBlend
        var type: String
        var bytes: [UInt8]

        mutating func set(_ path: String, int value: Int64) {
            let (offset, fieldType, _) = locate(path)
            let size = blend.typeSizes[blend.types.firstIndex(of: fieldType)!]
            write(value, size: size, at: offset)
        }

        mutating func set(_ path: String, pointer value: UInt64) {
            let (offset, _, _) = locate(path)
            write(Int64(bitPattern: value), size: blend.pointerSize, at: offset)
        }

        mutating func set(_ path: String, floats values: [Float]) {
            let (offset, _, _) = locate(path)
            for (i, value) in values.enumerated() {
                write(Int64(value.bitPattern), size: 4, at: offset + i * 4)
            }
        }

        mutating func set(_ path: String, string value: String) {
            let (offset, _, _) = locate(path)
            for (i, byte) in value.utf8.enumerated() { bytes[offset + i] = byte }
        }

        private func locate(_ path: String) -> (Int, String, String) {
            var type = self.type
            var offset = 0
            let parts = path.split(separator: ".").map(String.init)
            for (index, part) in parts.enumerated() {
                offset += blend.offset(of: part, in: type)
                let definition = blend.structs.first { $0.type == type }!
                let field = definition.fields.first { blend.bareName($0.name) == part }!
                if index < parts.count - 1 { type = field.type } else { return (offset, field.type, field.name) }
            }
            fatalError("empty path")
        }

        private mutating func write(_ value: Int64, size: Int, at offset: Int) {
            for i in 0..<size {
                let shift = blend.littleEndian ? i * 8 : (size - 1 - i) * 8
                bytes[offset + i] = UInt8(truncatingIfNeeded: value >> shift)
            }
        }
    }

    func record(_ type: String) -> Record {
        Record(blend: self, type: type, bytes: [UInt8](repeating: 0, count: size(of: type)))
    }

    // MARK: Blocks

    mutating func addBlock(code: String, struct type: String?, pointer: UInt64, count: Int = 1, data: [UInt8]) {
        var out: [UInt8] = []
        // Two-letter ID codes are an int made of the two characters: big-endian files hold "\0\0SC".
        let padding = [UInt8](repeating: 0, count: 4 - code.utf8.count)
        let codeBytes = littleEndian || code.utf8.count == 4 ? Array(code.utf8) + padding : padding + Array(code.utf8)
        let sdna = type.map { Int64(structIndex($0)) } ?? 0
        out += codeBytes
        switch header {
        case .large:
            out += encode(sdna, size: 4) + encode(Int64(bitPattern: pointer), size: 8)
            out += encode(Int64(data.count), size: 8) + encode(Int64(count), size: 8)
        case .classic:
            out += encode(Int64(data.count), size: 4) + encode(Int64(bitPattern: pointer), size: pointerSize)
            out += encode(sdna, size: 4) + encode(Int64(count), size: 4)
        }
        blocks.append(out + data)
    }

    mutating func add(_ record: Record, code: String = "DATA", pointer: UInt64) {
        addBlock(code: code, struct: record.type, pointer: pointer, data: record.bytes)
    }

    mutating func add(records: [Record], pointer: UInt64) {
        addBlock(code: "DATA", struct: records[0].type, pointer: pointer, count: records.count, data: records.flatMap(\.bytes))
    }

    func encode(_ value: Int64, size: Int) -> [UInt8] {
        (0..<size).map { i in UInt8(truncatingIfNeeded: value >> (littleEndian ? i * 8 : (size - 1 - i) * 8)) }
    }

    func floats(_ values: [Float]) -> [UInt8] {
        values.flatMap { encode(Int64($0.bitPattern), size: 4) }
    }

    func ints(_ values: [Int32]) -> [UInt8] {
        values.flatMap { encode(Int64($0), size: 4) }
    }

    /// The DNA1 payload for everything defined so far.
    func dnaPayload() -> [UInt8] {
        var names: [String] = []
        func nameIndex(_ name: String) -> Int {
            if let index = names.firstIndex(of: name) { return index }
            names.append(name)
            return names.count - 1
        }
        var structBytes: [UInt8] = []
        for definition in structs {
            structBytes += encode(Int64(types.firstIndex(of: definition.type)!), size: 2)
            structBytes += encode(Int64(definition.fields.count), size: 2)
            for field in definition.fields {
                structBytes += encode(Int64(types.firstIndex(of: field.type)!), size: 2)
                structBytes += encode(Int64(nameIndex(field.name)), size: 2)
            }
        }
        func align(_ bytes: inout [UInt8]) { while bytes.count % 4 != 0 { bytes.append(0) } }
        var out = Array("SDNA".utf8) + Array("NAME".utf8) + encode(Int64(names.count), size: 4)
        for name in names { out += Array(name.utf8) + [0] }
        align(&out)
        out += Array("TYPE".utf8) + encode(Int64(types.count), size: 4)
        for type in types { out += Array(type.utf8) + [0] }
        align(&out)
        out += Array("TLEN".utf8)
        for size in typeSizes { out += encode(Int64(size), size: 2) }
        align(&out)
        out += Array("STRC".utf8) + encode(Int64(structs.count), size: 4) + structBytes
        return out
    }

    /// The whole file: header, blocks in order, DNA1, ENDB.
    func build(dna: [UInt8]? = nil) -> [UInt8] {
        var out: [UInt8]
        switch header {
        case .classic(let version):
            out = Array("BLENDER".utf8) + [UInt8(ascii: pointerSize == 8 ? "-" : "_"), UInt8(ascii: littleEndian ? "v" : "V")]
            out += Array(version.utf8)
        case .large(let version):
            out = Array("BLENDER17-01v".utf8) + Array(version.utf8)
        }
        var copy = self
        copy.addBlock(code: "DNA1", struct: nil, pointer: 0, data: dna ?? dnaPayload())
        copy.addBlock(code: "ENDB", struct: nil, pointer: 0, data: [])
        for block in copy.blocks { out += block }
        return out
    }
}
