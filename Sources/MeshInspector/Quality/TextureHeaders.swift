import Foundation

/// Width and height of an image from its header alone (PNG, JPEG, WebP, KTX2), never decoding a pixel: the
/// texture list only needs the resolution, and the bytes are untrusted. Other formats answer nil.
enum TextureHeaders {
    /// How far into a JPEG the frame header is looked for; EXIF thumbnails and ICC profiles come before it.
    static let maxJPEGScan = 4 << 20

    static func dimensions(_ bytes: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
        if bytes.count >= 24, bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            // IHDR is the first chunk: length, "IHDR", width, height (big-endian).
            return positive(bigEndian32(bytes, 16), bigEndian32(bytes, 20))
        }
        if bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 {
            return jpeg(bytes)
        }
        if bytes.count >= 30, bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
            return webp(bytes)
        }
        let ktx2: [UInt8] = [0xAB, 0x4B, 0x54, 0x58, 0x20, 0x32, 0x30, 0xBB, 0x0D, 0x0A, 0x1A, 0x0A]
        if bytes.count >= 28, bytes.starts(with: ktx2) {
            return positive(littleEndian32(bytes, 20), littleEndian32(bytes, 24))
        }
        return nil
    }

    static func dimensions(_ data: Data) -> (width: Int, height: Int)? {
        data.withUnsafeBytes { dimensions($0) }
    }

    /// Walks the marker segments to the first start-of-frame (SOF0–SOF15 except DHT, JPG and DAC).
    private static func jpeg(_ bytes: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
        var offset = 2
        let end = min(bytes.count, maxJPEGScan)
        while offset + 4 <= end {
            guard bytes[offset] == 0xFF else { return nil }
            let marker = bytes[offset + 1]
            if marker == 0xFF { offset += 1; continue }
            // Markers without a length: TEM, RSTn, SOI.
            if marker == 0x01 || (0xD0...0xD8).contains(marker) { offset += 2; continue }
            if marker == 0xD9 || marker == 0xDA { return nil }
            let length = Int(bigEndian16(bytes, offset + 2))
            guard length >= 2 else { return nil }
            if (0xC0...0xCF).contains(marker), marker != 0xC4, marker != 0xC8, marker != 0xCC {
                guard offset + 9 <= end else { return nil }
                return positive(Int(bigEndian16(bytes, offset + 7)), Int(bigEndian16(bytes, offset + 5)))
            }
            offset += 2 + length
        }
        return nil
    }

    private static func webp(_ bytes: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
        let chunk = Array(bytes[12..<16])
        switch chunk {
        case Array("VP8 ".utf8):
            // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height.
            guard bytes[23] == 0x9D, bytes[24] == 0x01, bytes[25] == 0x2A else { return nil }
            return positive(Int(littleEndian16(bytes, 26) & 0x3FFF), Int(littleEndian16(bytes, 28) & 0x3FFF))
        case Array("VP8L".utf8):
            guard bytes[20] == 0x2F else { return nil }
            let bits = UInt32(bytes[21]) | UInt32(bytes[22]) << 8 | UInt32(bytes[23]) << 16 | UInt32(bytes[24]) << 24
            return positive(Int(bits & 0x3FFF) + 1, Int((bits >> 14) & 0x3FFF) + 1)
        case Array("VP8X".utf8):
            let width = Int(bytes[24]) | Int(bytes[25]) << 8 | Int(bytes[26]) << 16
            let height = Int(bytes[27]) | Int(bytes[28]) << 8 | Int(bytes[29]) << 16
            return positive(width + 1, height + 1)
        default:
            return nil
        }
    }

    private static func positive(_ width: Int, _ height: Int) -> (width: Int, height: Int)? {
        width > 0 && height > 0 ? (width, height) : nil
    }

    private static func bigEndian16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 { UInt16(b[o]) << 8 | UInt16(b[o + 1]) }
    private static func littleEndian16(_ b: UnsafeRawBufferPointer, _ o: Int) -> UInt16 { UInt16(b[o + 1]) << 8 | UInt16(b[o]) }
    private static func bigEndian32(_ b: UnsafeRawBufferPointer, _ o: Int) -> Int {
        Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3])
    }
    private static func littleEndian32(_ b: UnsafeRawBufferPointer, _ o: Int) -> Int {
        Int(b[o + 3]) << 24 | Int(b[o + 2]) << 16 | Int(b[o + 1]) << 8 | Int(b[o])
    }
}
