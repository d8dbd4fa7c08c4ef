import Foundation

/// One struct instance inside a block, read through its SDNA layout. Every accessor takes a list of field names
/// (newest spelling first, e.g. `["verts_num", "totvert"]`) because Blender renames fields between versions, and
/// returns nil when the field is absent or would be read outside the block.
struct BlendStruct {
    let file: BlendFile
    let layout: BlendSDNA.Layout
    /// Absolute offset of the struct in the file buffer.
    let start: Int
    /// End of the block holding it: no field may be read past this.
    let limit: Int

    /// The struct at the start of the block `pointer` refers to, read as `type` (the block must be big enough).
    static func at(_ pointer: UInt64, as type: String, in file: BlendFile, dna: BlendSDNA) -> BlendStruct? {
        guard let block = file.block(at: pointer) else { return nil }
        return first(in: block, as: type, file: file, dna: dna)
    }

    static func first(in block: BlendFile.Block, as type: String, file: BlendFile, dna: BlendSDNA) -> BlendStruct? {
        guard let layout = dna.layout(named: type), block.data.count >= layout.size else { return nil }
        return BlendStruct(file: file, layout: layout, start: block.data.lowerBound, limit: block.data.upperBound)
    }

    /// Element `index` of an array of `type` structs filling a block.
    static func element(_ index: Int, in block: BlendFile.Block, as layout: BlendSDNA.Layout, file: BlendFile) -> BlendStruct? {
        guard layout.size > 0, index >= 0 else { return nil }
        let (offset, overflow) = index.multipliedReportingOverflow(by: layout.size)
        guard !overflow, offset <= block.data.count - layout.size else { return nil }
        return BlendStruct(file: file, layout: layout, start: block.data.lowerBound + offset, limit: block.data.upperBound)
    }

    func has(_ names: [String]) -> Bool { layout.field(names) != nil }

    private func located(_ names: [String]) -> (BlendSDNA.Field, Int)? {
        guard let field = layout.field(names) else { return nil }
        let offset = start + field.offset
        guard offset >= start, offset + field.size <= limit else { return nil }
        return (field, offset)
    }

    /// Integer fields of any width SDNA uses (char, short, int, int64 and unsigned variants).
    func integer(_ names: [String]) -> Int64? {
        guard let (field, offset) = located(names), !field.isPointer else { return nil }
        let read = file.read
        switch (field.typeName, field.elementSize) {
        case ("char", 1), ("int8_t", 1): return read.uint8(offset).map { Int64(Int8(bitPattern: $0)) }
        case (_, 1): return read.uint8(offset).map { Int64($0) }
        case ("ushort", 2), ("uint16_t", 2): return read.uint16(offset).map { Int64($0) }
        case (_, 2): return read.int16(offset).map { Int64($0) }
        case ("uint", 4), ("uint32_t", 4): return read.uint32(offset).map { Int64($0) }
        case ("float", 4): return nil
        case (_, 4): return read.int32(offset).map { Int64($0) }
        case ("double", 8): return nil
        case (_, 8): return read.int64(offset)
        default: return nil
        }
    }

    func int(_ names: [String]) -> Int? { integer(names).map { Int($0) } }

    func pointer(_ names: [String]) -> UInt64? {
        guard let (field, offset) = located(names), field.isPointer else { return nil }
        return file.read.pointer(offset)
    }

    func floats(_ names: [String]) -> [Float]? {
        guard let (field, offset) = located(names), !field.isPointer, field.typeName == "float" else { return nil }
        var values: [Float] = []
        values.reserveCapacity(field.arrayCount)
        for i in 0..<field.arrayCount {
            guard let value = file.read.float(offset + i * 4) else { return nil }
            values.append(value)
        }
        return values
    }

    func string(_ names: [String]) -> String? {
        guard let (field, offset) = located(names), !field.isPointer, field.elementSize == 1 else { return nil }
        var end = offset
        while end < offset + field.size, file.bytes[end] != 0 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: file.bytes[offset..<end]), as: UTF8.self)
    }

    /// An embedded struct field (e.g. `Object.id`, `Scene.unit`, `Mesh.vdata`).
    func nested(_ names: [String], dna: BlendSDNA) -> BlendStruct? {
        guard let (field, offset) = located(names), !field.isPointer,
              let layout = dna.layout(named: field.typeName), layout.size <= field.size else { return nil }
        return BlendStruct(file: file, layout: layout, start: offset, limit: limit)
    }

    /// Follows a `ListBase` field (`first`, then each item's `next`). A list that comes back to an item it already
    /// passed, or runs past `maxItems`, is refused: Blender never writes either.
    func list(_ names: [String], itemType: String, dna: BlendSDNA, maxItems: Int) throws -> [BlendStruct] {
        guard let listBase = nested(names, dna: dna), var pointer = listBase.pointer(["first"]) else { return [] }
        var items: [BlendStruct] = []
        var visited = Set<UInt64>()
        while pointer != 0, let item = BlendStruct.at(pointer, as: itemType, in: file, dna: dna) {
            guard visited.insert(pointer).inserted else {
                throw MeshInspectionError(.malformed, "A list of \(itemType) records in the .blend file loops back on itself.")
            }
            guard items.count < maxItems else {
                throw MeshInspectionError(.limitExceeded, "A list of \(itemType) records in the .blend file has more than \(maxItems) entries.")
            }
            items.append(item)
            pointer = item.pointer(["next"]) ?? 0
        }
        return items
    }
}
