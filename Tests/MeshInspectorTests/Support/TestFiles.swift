import Foundation

/// Builds small (often deliberately broken) 3D files in memory for the tests.
enum TestFiles {
    /// A GLB of the given JSON text and BIN bytes, with honest chunk lengths unless told otherwise.
    static func glb(json: String, binary: [UInt8]? = nil, jsonLengthOverride: UInt32? = nil) -> Data {
        var text = Array(json.utf8)
        while text.count % 4 != 0 { text.append(0x20) }
        var body: [UInt8] = []
        body += le32(jsonLengthOverride ?? UInt32(text.count)) + Array("JSON".utf8) + text
        if var binary {
            while binary.count % 4 != 0 { binary.append(0) }
            body += le32(UInt32(binary.count)) + [0x42, 0x49, 0x4E, 0x00] + binary
        }
        return Data(Array("glTF".utf8) + le32(2) + le32(UInt32(12 + body.count)) + body)
    }

    /// One triangle: 3 float positions then 3 uint16 indices (+2 padding bytes), 44 bytes.
    static let triangleBinary: [UInt8] = {
        var bytes: [UInt8] = []
        for value: Float in [0, 0, 0, 1, 0, 0, 0, 1, 0] { bytes += le32(value.bitPattern) }
        for index: UInt16 in [0, 1, 2] { bytes += [UInt8(index & 0xFF), UInt8(index >> 8)] }
        return bytes + [0, 0]
    }()

    /// glTF JSON for `triangleBinary`, with parts replaceable to break it.
    static func triangleJSON(
        indexAccessor: String = #"{"bufferView":1,"componentType":5123,"count":3,"type":"SCALAR"}"#,
        positionView: String = #"{"buffer":0,"byteOffset":0,"byteLength":36}"#,
        bufferLength: Int = 44,
        nodes: String = #"[{"mesh":0}]"#,
        bufferURI: String? = nil
    ) -> String {
        let uri = bufferURI.map { #","uri":"\#($0)""# } ?? ""
        return """
            {"asset":{"version":"2.0"},"nodes":\(nodes),"meshes":[{"primitives":[{"attributes":{"POSITION":0},"indices":1}]}],
            "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]},\(indexAccessor)],
            "bufferViews":[\(positionView),{"buffer":0,"byteOffset":36,"byteLength":6}],
            "buffers":[{"byteLength":\(bufferLength)\(uri)}]}
            """
    }

    static func le32(_ value: UInt32) -> [UInt8] {
        [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24)]
    }

    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
}

/// A minimal zip writer, so tests can make archives no well-behaved tool would (lying sizes, `..` paths).
struct TestZip {
    struct Entry {
        var name: String
        /// The bytes as stored in the archive (already compressed for method 8).
        var payload: [UInt8]
        var method: UInt16 = 0
        var crc: UInt32
        var uncompressedSize: UInt32
        var isSymlink = false

        static func stored(_ name: String, _ bytes: [UInt8]) -> Entry {
            Entry(name: name, payload: bytes, crc: TestZip.crc32(bytes), uncompressedSize: UInt32(bytes.count))
        }
    }

    var entries: [Entry] = []

    func data() -> Data {
        var output: [UInt8] = []
        var central: [UInt8] = []
        for entry in entries {
            let name = Array(entry.name.utf8)
            let offset = UInt32(output.count)
            let common = TestFiles.le16(20) + TestFiles.le16(0) + TestFiles.le16(entry.method) + TestFiles.le16(0)
                + TestFiles.le16(0x21) + TestFiles.le32(entry.crc) + TestFiles.le32(UInt32(entry.payload.count))
                + TestFiles.le32(entry.uncompressedSize) + TestFiles.le16(UInt16(name.count)) + TestFiles.le16(0)
            output += [0x50, 0x4B, 0x03, 0x04] + common + name + entry.payload
            let attributes: UInt32 = entry.isSymlink ? 0o120777 << 16 : 0o100644 << 16
            central += [0x50, 0x4B, 0x01, 0x02] + TestFiles.le16(0x0314) + common + TestFiles.le16(0)
                + TestFiles.le16(0) + TestFiles.le16(0) + TestFiles.le32(attributes) + TestFiles.le32(offset) + name
        }
        let centralOffset = UInt32(output.count)
        output += central
        output += [0x50, 0x4B, 0x05, 0x06] + TestFiles.le16(0) + TestFiles.le16(0)
            + TestFiles.le16(UInt16(entries.count)) + TestFiles.le16(UInt16(entries.count))
            + TestFiles.le32(UInt32(central.count)) + TestFiles.le32(centralOffset) + TestFiles.le16(0)
        return Data(output)
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    /// A raw deflate stream that inflates to `count` zero bytes, using fixed Huffman codes: one literal 0, then
    /// back-references of length 258 at distance 1 (13 bits per 258 bytes, about 1:160).
    static func deflatedZeros(_ count: Int) -> [UInt8] {
        var writer = BitWriter()
        writer.write(1, bits: 1)  // final block
        writer.write(1, bits: 2)  // fixed Huffman
        writer.writeHuffman(0b0011_0000, length: 8)  // literal 0
        var remaining = count - 1
        while remaining >= 258 {
            writer.writeHuffman(0b1100_0101, length: 8)  // length code 285 = 258
            writer.writeHuffman(0, length: 5)  // distance code 0 = 1
            remaining -= 258
        }
        while remaining > 0 {
            writer.writeHuffman(0b0011_0000, length: 8)
            remaining -= 1
        }
        writer.writeHuffman(0, length: 7)  // end of block (256)
        return writer.bytes
    }

    private struct BitWriter {
        var bytes: [UInt8] = []
        var bitCount = 0

        mutating func write(_ value: UInt32, bits: Int) {
            for bit in 0..<bits { push(value >> UInt32(bit) & 1) }
        }

        /// Huffman codes go most significant bit first.
        mutating func writeHuffman(_ code: UInt32, length: Int) {
            for bit in stride(from: length - 1, through: 0, by: -1) { push(code >> UInt32(bit) & 1) }
        }

        private mutating func push(_ bit: UInt32) {
            if bitCount % 8 == 0 { bytes.append(0) }
            if bit == 1 { bytes[bytes.count - 1] |= UInt8(1 << (bitCount % 8)) }
            bitCount += 1
        }
    }
}
