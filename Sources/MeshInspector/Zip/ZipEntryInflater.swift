import CCompression
import Foundation

/// Inflates one zip entry from its exact byte range, with zlib, into memory.
///
/// Output stops the moment it would pass `cap` (the entry's declared size, itself within the limits), so a bomb
/// costs at most that much memory and time; a stream that ends early, runs on, or fails its CRC-32 is an error.
enum ZipEntryInflater {
    static func contents(
        of item: ZipLayout.Item, in archive: UnsafeRawBufferPointer, name: String, cap: Int
    ) throws -> Data {
        let input = UnsafeRawBufferPointer(rebasing: archive[item.dataOffset..<(item.dataOffset + item.compressedSize)])
        let output: Data
        switch item.method {
        case 0:
            guard input.count <= cap else { throw bomb(name) }
            output = Data(input)
        case 8:
            output = try inflateRaw(input, cap: cap, name: name)
        default:
            throw MeshInspectionError(
                .unsupported, "The zip entry '\(name)' uses compression method \(item.method); only stored and deflate are supported.")
        }
        guard output.count == item.uncompressedSize else {
            throw MeshInspectionError(.malformed, "The zip entry '\(name)' is not the size its header declares.")
        }
        let checksum = output.withUnsafeBytes { bytes in
            UInt32(crc32(0, bytes.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(bytes.count)))
        }
        guard checksum == item.crc32 else {
            throw MeshInspectionError(.malformed, "The zip entry '\(name)' is damaged (its checksum does not match).")
        }
        return output
    }

    private static func bomb(_ name: String) -> MeshInspectionError {
        MeshInspectionError(
            .limitExceeded,
            "The zip entry '\(name)' inflates to more than it declares or than the limit allows; the archive looks like a zip bomb.")
    }

    private static func inflateRaw(_ input: UnsafeRawBufferPointer, cap: Int, name: String) throws -> Data {
        var stream = z_stream()
        // Negative window bits: raw deflate, as zip stores it (no zlib header).
        guard inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw MeshInspectionError(.malformed, "The decompressor could not start.")
        }
        defer { inflateEnd(&stream) }
        // Room grows with what actually comes out, from a guess the compressed size supports, never from the
        // declared size alone; one byte past the cap proves a stream longer than allowed.
        let initialGuess = max(64 * 1024, min(input.count, Int.max / 8) * 4)
        var output = [UInt8](repeating: 0, count: min(cap, initialGuess) + 1)
        var produced = 0
        var consumed = 0
        while true {
            if produced == output.count {
                guard output.count <= cap else { throw bomb(name) }
                output += [UInt8](repeating: 0, count: min(output.count, cap + 1 - output.count))
            }
            let chunkIn = min(input.count - consumed, Int(UInt32.max))
            let chunkOut = min(output.count - produced, Int(UInt32.max))
            let status: Int32 = output.withUnsafeMutableBytes { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?
                    .advanced(by: consumed).assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(chunkIn)
                stream.next_out = out.baseAddress?.advanced(by: produced).assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(chunkOut)
                return inflate(&stream, Z_NO_FLUSH)
            }
            consumed += chunkIn - Int(stream.avail_in)
            produced += chunkOut - Int(stream.avail_out)
            if produced > cap { throw bomb(name) }
            switch status {
            case Z_STREAM_END:
                return Data(output[0..<produced])
            case Z_OK:
                continue
            case Z_BUF_ERROR where consumed == input.count && stream.avail_out > 0:
                throw MeshInspectionError(.truncated, "The zip entry '\(name)' ends before its compressed data does.")
            case Z_BUF_ERROR:
                continue
            default:
                throw MeshInspectionError(.malformed, "The zip entry '\(name)' cannot be inflated: its data is damaged.")
            }
        }
    }
}
