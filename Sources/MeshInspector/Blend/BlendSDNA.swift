import Foundation

/// The file's own description of its structs (the `DNA1` block): `SDNA`, then `NAME` (field names such as `*next`,
/// `mat[4][4]`, `(*func)()`), `TYPE` (type names), `TLEN` (type sizes) and `STRC` (per struct: its type and its
/// (type, name) fields), each section 4-byte aligned. Field offsets are computed from these, never hard-coded,
/// which is what lets one reader follow Blender's layouts from 2.80 to 4.x. Every index is range-checked.
struct BlendSDNA {
    struct Field {
        var name: String
        var typeName: String
        var offset: Int
        /// Total bytes, all array elements included.
        var size: Int
        var isPointer: Bool
        var arrayCount: Int
        var elementSize: Int
    }

    struct Layout {
        var typeName: String
        var size: Int
        var fields: [String: Field]

        func field(_ names: [String]) -> Field? {
            for name in names { if let field = fields[name] { return field } }
            return nil
        }
    }

    private(set) var layouts: [Layout] = []
    private var layoutByType: [String: Int] = [:]

    func layout(named type: String) -> Layout? {
        layoutByType[type].map { layouts[$0] }
    }

    func layout(atIndex index: Int) -> Layout? {
        layouts.indices.contains(index) ? layouts[index] : nil
    }

    init(block: BlendFile.Block, file: BlendFile) throws {
        let read = file.read
        var offset = block.data.lowerBound
        let end = block.data.upperBound
        func fail(_ what: String) -> MeshInspectionError {
            MeshInspectionError(.malformed, "The .blend file's struct description (SDNA) is damaged: \(what).")
        }
        let base = block.data.lowerBound
        func expect(_ tag: String) throws {
            // Sections are aligned relative to the block, not the file: the 17-byte header of newer files shifts
            // every block off 4-byte alignment.
            offset = base + ((offset - base + 3) & ~3)
            guard offset + 4 <= end, Array(file.bytes[offset..<(offset + 4)]) == Array(tag.utf8) else {
                throw fail("missing \(tag) section")
            }
            offset += 4
        }
        func count() throws -> Int {
            guard offset + 4 <= end, let value = read.int32(offset), value >= 0 else { throw fail("bad count") }
            offset += 4
            // Every entry takes at least one byte, which bounds any honest count by the block size.
            guard Int(value) <= end - offset else { throw fail("a count larger than the block") }
            return Int(value)
        }
        func strings(_ n: Int) throws -> [String] {
            var out: [String] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                var stop = offset
                while stop < end, file.bytes[stop] != 0 { stop += 1 }
                guard stop < end else { throw fail("an unterminated name") }
                out.append(String(decoding: UnsafeRawBufferPointer(rebasing: file.bytes[offset..<stop]), as: UTF8.self))
                offset = stop + 1
            }
            return out
        }

        guard block.data.count >= 8, Array(file.bytes[offset..<(offset + 4)]) == Array("SDNA".utf8) else {
            throw fail("missing SDNA signature")
        }
        offset += 4
        try expect("NAME")
        let names = try strings(try count())
        try expect("TYPE")
        let types = try strings(try count())
        try expect("TLEN")
        var typeSizes: [Int] = []
        typeSizes.reserveCapacity(types.count)
        for _ in types {
            guard let size = read.int16(offset), offset + 2 <= end else { throw fail("type sizes cut short") }
            typeSizes.append(Int(UInt16(bitPattern: size)))
            offset += 2
        }
        try expect("STRC")
        let structCount = try count()
        let parsedNames = names.map(ParsedName.init)

        for _ in 0..<structCount {
            guard offset + 4 <= end, let type = read.int16(offset), let fieldCount = read.int16(offset + 2) else {
                throw fail("struct list cut short")
            }
            offset += 4
            guard type >= 0, Int(type) < types.count, fieldCount >= 0 else { throw fail("a struct with an out-of-range type") }
            guard Int(fieldCount) * 4 <= end - offset else { throw fail("struct fields cut short") }
            var fields: [String: Field] = [:]
            var fieldOffset = 0
            for _ in 0..<Int(fieldCount) {
                guard let fieldType = read.int16(offset), let fieldName = read.int16(offset + 2),
                      fieldType >= 0, Int(fieldType) < types.count, fieldName >= 0, Int(fieldName) < names.count else {
                    throw fail("a field with an out-of-range type or name")
                }
                offset += 4
                let name = parsedNames[Int(fieldName)]
                let elementSize = name.isPointer ? file.header.pointerSize : typeSizes[Int(fieldType)]
                let (size, overflow) = elementSize.multipliedReportingOverflow(by: name.arrayCount)
                guard !overflow, size <= 1 << 24 else { throw fail("a field of impossible size") }
                if fields[name.bare] == nil {
                    fields[name.bare] = Field(name: name.bare, typeName: types[Int(fieldType)], offset: fieldOffset,
                                              size: size, isPointer: name.isPointer, arrayCount: name.arrayCount,
                                              elementSize: elementSize)
                }
                fieldOffset += size
                guard fieldOffset <= 1 << 26 else { throw fail("a struct of impossible size") }
            }
            let typeName = types[Int(type)]
            layouts.append(Layout(typeName: typeName, size: typeSizes[Int(type)], fields: fields))
            if layoutByType[typeName] == nil { layoutByType[typeName] = layouts.count - 1 }
        }
    }

    /// A field name as SDNA spells it: `*next` → `next` (pointer), `mat[4][4]` → `mat` × 16, `(*func)()` → `func`.
    struct ParsedName {
        var bare: String
        var isPointer: Bool
        var arrayCount: Int

        init(_ raw: String) {
            isPointer = raw.hasPrefix("*") || raw.hasPrefix("(*")
            var bare = ""
            var count = 1
            var dimension = 0
            var inBrackets = false
            var afterBrackets = false
            for character in raw {
                switch character {
                case "[":
                    inBrackets = true
                    dimension = 0
                case "]":
                    inBrackets = false
                    afterBrackets = true
                    count = count.multipliedReportingOverflow(by: Swift.max(dimension, 1)).overflow ? Int.max / 2 : count * Swift.max(dimension, 1)
                case _ where inBrackets:
                    if let digit = character.wholeNumberValue, dimension < 1 << 24 { dimension = dimension * 10 + digit }
                case "*", "(", ")":
                    continue
                default:
                    if !afterBrackets { bare.append(character) }
                }
            }
            // Function pointers `(*func)()` keep only the part before the argument list.
            self.bare = bare
            self.arrayCount = Swift.min(count, 1 << 24)
        }
    }
}
