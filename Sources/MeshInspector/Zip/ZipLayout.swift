/// Checks a zip archive's structure before ZIPFoundation lists it, and finds where each entry's data lies.
///
/// ZIPFoundation trusts the offsets it reads. Fuzzing found that on an in-memory archive a seek past the end makes
/// its reader trap, that an end record it cannot parse leaks its memory file, and that a deflate stream cut short
/// makes its extractor loop for ever; with no end record at all it also scans the whole file four bytes at a time.
/// So every offset it would follow (end record, central directory, local headers, data, data descriptors) is
/// checked here to lie inside the bytes, the end record must sit where the format puts it (in the last 64 KiB),
/// ZIP64 structures (pointless for bundles far below 4 GB) are refused, and entries are inflated by
/// `ZipEntryInflater` from the ranges found here rather than by ZIPFoundation.
enum ZipLayout {
    /// Where one entry's bytes are, in central-directory order (the order ZIPFoundation lists entries in).
    struct Item {
        var dataOffset: Int
        var compressedSize: Int
        var uncompressedSize: Int
        var method: UInt16
        var crc32: UInt32
    }

    private static let endRecordSignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let centralHeaderSignature: UInt32 = 0x0201_4B50
    private static let localHeaderSignature: UInt32 = 0x0403_4B50

    static func validate(_ bytes: UnsafeRawBufferPointer, limits: InspectionLimits) throws -> [Item] {
        let endRecord = try findEndRecord(bytes)
        if endRecord >= 20, u32(bytes, endRecord - 20) == zip64LocatorSignature {
            throw MeshInspectionError(.unsupported, "ZIP64 archives are not supported; bundles must be ordinary zip files.")
        }
        let entryCount = Int(u16(bytes, endRecord + 10))
        let directorySize = Int(u32(bytes, endRecord + 12))
        let directoryOffset = Int(u32(bytes, endRecord + 16))
        // ZIPFoundation gives up on a record whose comment runs past the end, and on that path (in memory) it
        // leaks its file handle: such archives never reach it.
        guard Int(u16(bytes, endRecord + 20)) <= bytes.count - endRecord - 22 else {
            throw damaged("its end record's comment runs past the end of the file")
        }
        guard entryCount <= limits.maxZipEntries else {
            throw MeshInspectionError(.limitExceeded, "The zip archive holds more than \(limits.maxZipEntries) entries.")
        }
        guard directoryOffset <= endRecord, directorySize <= endRecord - directoryOffset else {
            throw damaged("its central directory lies outside the file")
        }
        var position = directoryOffset
        var items: [Item] = []
        for _ in 0..<entryCount {
            guard position + 46 <= endRecord, u32(bytes, position) == centralHeaderSignature else {
                throw damaged("its central directory is cut short")
            }
            let flags = u16(bytes, position + 8)
            let method = u16(bytes, position + 10)
            let crc32 = u32(bytes, position + 16)
            let compressedSize = Int(u32(bytes, position + 20))
            let uncompressedSize = u32(bytes, position + 24)
            let nameLength = Int(u16(bytes, position + 28))
            let extraLength = Int(u16(bytes, position + 30))
            let commentLength = Int(u16(bytes, position + 32))
            let localOffset = Int(u32(bytes, position + 42))
            if compressedSize == 0xFFFF_FFFF || uncompressedSize == 0xFFFF_FFFF || localOffset == 0xFFFF_FFFF {
                throw MeshInspectionError(.unsupported, "ZIP64 archives are not supported; bundles must be ordinary zip files.")
            }
            // ZIPFoundation reads a stored entry by its uncompressed size: the two must agree.
            if method == 0, UInt32(compressedSize) != uncompressedSize {
                throw damaged("a stored entry declares two different sizes")
            }
            position += 46 + nameLength + extraLength + commentLength
            guard position <= endRecord else { throw damaged("an entry of its central directory is cut short") }

            guard localOffset + 30 <= bytes.count, u32(bytes, localOffset) == localHeaderSignature else {
                throw damaged("an entry's local header is missing")
            }
            let dataOffset = localOffset + 30 + Int(u16(bytes, localOffset + 26)) + Int(u16(bytes, localOffset + 28))
            guard dataOffset <= bytes.count, compressedSize <= bytes.count - dataOffset else {
                throw damaged("an entry's data runs past the end of the file")
            }
            // Bit 3: sizes follow the data in a descriptor, which ZIPFoundation reads from there.
            if flags & 0x8 != 0, dataOffset + compressedSize + 16 > bytes.count {
                throw damaged("an entry's data descriptor is missing")
            }
            items.append(Item(
                dataOffset: dataOffset, compressedSize: compressedSize, uncompressedSize: Int(uncompressedSize),
                method: method, crc32: crc32))
        }
        return items
    }

    /// The end-of-central-directory record closest to the end, searched only where it can be: a 22-byte record
    /// followed by at most a 65,535-byte comment.
    private static func findEndRecord(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        guard bytes.count >= 22 else { throw damaged("it is too short to be a zip file") }
        let lowest = max(0, bytes.count - 22 - 0xFFFF)
        var candidate = bytes.count - 22
        while candidate >= lowest {
            if u32(bytes, candidate) == endRecordSignature { return candidate }
            candidate -= 1
        }
        throw damaged("it has no end-of-central-directory record")
    }

    private static func damaged(_ why: String) -> MeshInspectionError {
        MeshInspectionError(.malformed, "The zip archive is damaged: \(why).")
    }

    /// Callers have checked `offset + 4 <= bytes.count`.
    private static func u32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    private static func u16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
}
