import Foundation

/// The block structure of an uncompressed .blend file.
///
/// Header, either the classic 12 bytes — `BLENDER`, pointer size (`_` 4 / `-` 8), endianness (`v` little /
/// `V` big), three version digits (`304` = 3.4) — or the 17-byte form newer Blender writes —
/// `BLENDER17-01v0500`: header size, `-`, file-format version `01`, `v`, four version digits — which always means
/// 8-byte pointers, little endian and 64-bit block headers.
///
/// Block headers: code (4 chars), length, old memory address, SDNA struct index, element count — 20 bytes with
/// 4-byte pointers, 24 with 8-byte pointers, 32 in the 64-bit "large" form (code, SDNA index, address, length,
/// count). Blocks run until `ENDB`. Every block's data range is checked to lie inside the file.
struct BlendFile {
    struct Header: Equatable {
        var pointerSize: Int
        var littleEndian: Bool
        /// e.g. 304 for 3.4, 500 for 5.0.
        var version: Int
        var size: Int
        var largeBlockHeaders: Bool
    }

    struct Block {
        var code: UInt32
        var oldPointer: UInt64
        var sdnaIndex: Int
        var count: Int
        var data: Range<Int>
    }

    /// Blocks kept in memory; past this a file is refused rather than allowed to exhaust memory with empty blocks.
    static let maxBlocks = 4_000_000

    let bytes: UnsafeRawBufferPointer
    let header: Header
    let blocks: [Block]
    /// (old pointer, block index), sorted, for resolving pointers without a hash table the size of the file.
    private let pointerIndex: [(pointer: UInt64, block: Int)]

    static func code(_ text: String) -> UInt32 {
        var bytes = Array(text.utf8.prefix(4))
        while bytes.count < 4 { bytes.append(0) }
        return bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func parseHeader(_ bytes: UnsafeRawBufferPointer) throws -> Header {
        guard bytes.count >= 12, bytes.starts(with: Array("BLENDER".utf8)) else {
            throw MeshInspectionError(.unrecognized, "The file does not start with the BLENDER signature.")
        }
        func digits(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for i in range {
                guard bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(bytes[i] - UInt8(ascii: "0"))
            }
            return value
        }
        let pointerByte = bytes[7]
        if pointerByte == UInt8(ascii: "_") || pointerByte == UInt8(ascii: "-") {
            guard bytes[8] == UInt8(ascii: "v") || bytes[8] == UInt8(ascii: "V"), let version = digits(9..<12) else {
                throw MeshInspectionError(.malformed, "The .blend header is damaged.")
            }
            return Header(pointerSize: pointerByte == UInt8(ascii: "_") ? 4 : 8, littleEndian: bytes[8] == UInt8(ascii: "v"),
                          version: version, size: 12, largeBlockHeaders: false)
        }
        // BLENDER + header size (2 digits) + '-' + format version (2 digits) + 'v' + version (4 digits).
        guard let headerSize = digits(7..<9), headerSize == 17, bytes.count >= 17,
              bytes[9] == UInt8(ascii: "-"), let formatVersion = digits(10..<12),
              bytes[12] == UInt8(ascii: "v"), let version = digits(13..<17) else {
            throw MeshInspectionError(.malformed, "The .blend header is damaged or of an unknown kind.")
        }
        guard formatVersion == 1 else {
            throw MeshInspectionError(.unsupported, "This .blend file uses file-format version \(formatVersion), newer than this reader knows.")
        }
        return Header(pointerSize: 8, littleEndian: true, version: version, size: 17, largeBlockHeaders: true)
    }

    init(bytes: UnsafeRawBufferPointer, limits: InspectionLimits) throws {
        self.bytes = bytes
        let header = try Self.parseHeader(bytes)
        self.header = header
        let headerLength = header.largeBlockHeaders ? 32 : (header.pointerSize == 8 ? 24 : 20)
        let endCode = Self.code("ENDB")

        var blocks: [Block] = []
        var offset = header.size
        var sawEnd = false
        while offset + 4 <= bytes.count {
            // ENDB may be written with a short header at the very end.
            if Self.rawCode(bytes, offset) == endCode { sawEnd = true; break }
            guard offset + headerLength <= bytes.count else {
                throw MeshInspectionError(.truncated, "The .blend file ends inside a block header (byte \(offset)).")
            }
            let read = BlendPrimitiveReader(bytes: bytes, littleEndian: header.littleEndian, pointerSize: header.pointerSize)
            var length: Int64, oldPointer: UInt64, sdna: Int64, count: Int64
            if header.largeBlockHeaders {
                sdna = Int64(read.int32(offset + 4) ?? -1)
                oldPointer = read.uint64(offset + 8) ?? 0
                length = read.int64(offset + 16) ?? -1
                count = read.int64(offset + 24) ?? -1
            } else {
                length = Int64(read.int32(offset + 4) ?? -1)
                oldPointer = read.pointer(offset + 8) ?? 0
                let after = offset + 8 + header.pointerSize
                sdna = Int64(read.int32(after) ?? -1)
                count = Int64(read.int32(after + 4) ?? -1)
            }
            let dataStart = offset + headerLength
            guard length >= 0, sdna >= 0, count >= 0 else {
                throw MeshInspectionError(.malformed, "A .blend block at byte \(offset) has a negative length, type or count.")
            }
            guard length <= Int64(bytes.count - dataStart) else {
                throw MeshInspectionError(.truncated, "A .blend block at byte \(offset) claims \(length) bytes, past the end of the file.")
            }
            guard blocks.count < Self.maxBlocks else {
                throw MeshInspectionError(.limitExceeded, "The .blend file has more than \(Self.maxBlocks) blocks.")
            }
            let end = dataStart + Int(length)
            blocks.append(Block(code: Self.rawCode(bytes, offset), oldPointer: oldPointer, sdnaIndex: Int(sdna),
                                count: Int(clamping: count), data: dataStart..<end))
            offset = end
        }
        if !sawEnd {
            throw MeshInspectionError(.truncated, "The .blend file is cut off: its closing ENDB block is missing.")
        }
        self.blocks = blocks
        self.pointerIndex = blocks.enumerated()
            .filter { $0.element.oldPointer != 0 }
            .map { (pointer: $0.element.oldPointer, block: $0.offset) }
            .sorted { $0.pointer != $1.pointer ? $0.pointer < $1.pointer : $0.block < $1.block }
    }

    /// Two-letter ID codes are stored as an int built from the two characters, so big-endian files hold them as
    /// `\0\0SC` where little-endian ones hold `SC\0\0`; both become the latter. Four-letter codes read the same.
    private static func rawCode(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        let code = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[offset + $1]) }
        return code & 0xFFFF_0000 == 0 && code != 0 ? code << 16 : code
    }

    var read: BlendPrimitiveReader {
        BlendPrimitiveReader(bytes: bytes, littleEndian: header.littleEndian, pointerSize: header.pointerSize)
    }

    /// The block whose old address is `pointer` (the first one if a damaged file repeats an address).
    func block(at pointer: UInt64) -> Block? {
        guard pointer != 0 else { return nil }
        var low = 0, high = pointerIndex.count
        while low < high {
            let middle = (low + high) / 2
            if pointerIndex[middle].pointer < pointer { low = middle + 1 } else { high = middle }
        }
        guard low < pointerIndex.count, pointerIndex[low].pointer == pointer else { return nil }
        return blocks[pointerIndex[low].block]
    }

    func blocks(withCode code: String) -> [Block] {
        let wanted = Self.code(code)
        return blocks.filter { $0.code == wanted }
    }
}

/// Bounds-checked, endian-aware loads: every read returns nil instead of touching memory outside the buffer.
struct BlendPrimitiveReader {
    let bytes: UnsafeRawBufferPointer
    let littleEndian: Bool
    let pointerSize: Int

    private func load<T: FixedWidthInteger>(_ offset: Int, as type: T.Type) -> T? {
        guard offset >= 0, offset <= bytes.count - MemoryLayout<T>.size else { return nil }
        let raw = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        return littleEndian ? T(littleEndian: raw) : T(bigEndian: raw)
    }

    func uint8(_ offset: Int) -> UInt8? { load(offset, as: UInt8.self) }
    func int16(_ offset: Int) -> Int16? { load(offset, as: Int16.self) }
    func uint16(_ offset: Int) -> UInt16? { load(offset, as: UInt16.self) }
    func int32(_ offset: Int) -> Int32? { load(offset, as: Int32.self) }
    func uint32(_ offset: Int) -> UInt32? { load(offset, as: UInt32.self) }
    func int64(_ offset: Int) -> Int64? { load(offset, as: Int64.self) }
    func uint64(_ offset: Int) -> UInt64? { load(offset, as: UInt64.self) }

    func float(_ offset: Int) -> Float? {
        uint32(offset).map { Float(bitPattern: $0) }
    }

    func pointer(_ offset: Int) -> UInt64? {
        pointerSize == 8 ? uint64(offset) : uint32(offset).map { UInt64($0) }
    }
}
