/// A read position in a Draco stream. Every read checks the bytes left and throws a `.malformed` error naming the
/// Draco stream, never traps; `DracoDecoder.corrupt` words the errors.
struct DracoBuffer {
    let bytes: [UInt8]
    private(set) var position: Int
    let end: Int

    init(_ bytes: [UInt8], from start: Int = 0, to end: Int? = nil) {
        self.bytes = bytes
        self.position = start
        self.end = end ?? bytes.count
    }

    var remaining: Int { end - position }

    mutating func uint8() throws -> UInt8 {
        guard position < end else { throw DracoDecoder.corrupt("it ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func int8() throws -> Int8 { Int8(bitPattern: try uint8()) }

    mutating func uint16() throws -> UInt16 {
        UInt16(try uint8()) | UInt16(try uint8()) << 8
    }

    mutating func uint32() throws -> UInt32 {
        var value: UInt32 = 0
        for shift in stride(from: 0, to: 32, by: 8) { value |= UInt32(try uint8()) << UInt32(shift) }
        return value
    }

    mutating func float32() throws -> Float { Float(bitPattern: try uint32()) }

    /// LEB128 of at most `maxBytes` bytes (5 for 32-bit values, 10 for 64-bit ones).
    mutating func varint(maxBytes: Int = 5) throws -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<maxBytes {
            let byte = try uint8()
            value |= UInt64(byte & 0x7F) << UInt64(7 * index)
            if byte & 0x80 == 0 {
                if maxBytes == 5, value > UInt64(UInt32.max) { throw DracoDecoder.corrupt("a count overflows 32 bits") }
                return value
            }
        }
        throw DracoDecoder.corrupt("a variable-length number is too long")
    }

    /// A 32-bit varint as an `Int`.
    mutating func count() throws -> Int { Int(try varint()) }

    /// A 64-bit varint byte count, refused when larger than the stream could ever hold.
    mutating func size() throws -> Int {
        let value = try varint(maxBytes: 10)
        guard value <= UInt64(Int32.max) else { throw DracoDecoder.corrupt("a block size is impossibly large") }
        return Int(value)
    }

    mutating func skip(_ count: Int) throws {
        guard count >= 0, count <= remaining else { throw DracoDecoder.corrupt("a block runs past its end") }
        position += count
    }

    /// Bits read least significant first from the current position; `finish` moves past every byte touched.
    /// Reads past the end give zeros, as the reference decoder's do, but `finish` then fails.
    mutating func startBits() -> DracoBitReader { DracoBitReader(bytes: bytes, start: position, end: end) }

    mutating func finish(_ bits: DracoBitReader) throws {
        let used = (bits.bitOffset + 7) / 8
        try skip(used)
    }
}

struct DracoBitReader {
    let bytes: [UInt8]
    let start: Int
    let end: Int
    private(set) var bitOffset = 0

    init(bytes: [UInt8], start: Int, end: Int) {
        self.bytes = bytes
        self.start = start
        self.end = end
    }

    mutating func bits(_ count: Int) throws -> UInt32 {
        guard count <= 32 else { throw DracoDecoder.corrupt("a bit field is wider than 32 bits") }
        var value: UInt32 = 0
        for bit in 0..<count {
            let byte = start + (bitOffset >> 3)
            if byte < end {
                value |= UInt32((bytes[byte] >> UInt8(bitOffset & 7)) & 1) << UInt32(bit)
                bitOffset += 1
            }
        }
        return value
    }
}
