/// Little-endian reads from untrusted bytes; every read checks the remaining length and throws `.truncated`
/// instead of trapping.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func uint32() throws -> UInt32 {
        guard remaining >= 4 else { throw MeshInspectionError(.truncated, "The file ends in the middle of a field.") }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
        offset += 4
        return UInt32(littleEndian: value)
    }

    mutating func skip(_ count: Int) throws {
        guard count >= 0, count <= remaining else {
            throw MeshInspectionError(.truncated, "The file ends before a block it declares.")
        }
        offset += count
    }
}
