import CCompression
import Foundation

/// Bounded decompression for the compressed payloads inside uploads: zlib-wrapped FBX arrays, gzip- and
/// zstd-compressed .blend files. Every entry point stops the moment its output would pass `limit`, so a bomb costs
/// at most `limit` bytes of memory and time proportional to it.
enum Decompression {
    /// Output is produced in slices of this size so the cap is checked often without a call per byte.
    static let sliceSize = 256 * 1024

    /// Inflates a zlib-wrapped deflate stream (RFC 1950), as FBX stores its compressed arrays.
    ///
    /// With `expectedSize`, the stream must inflate to exactly that many bytes: the FBX array header already
    /// declared it, and a mismatch means the record lies about its contents.
    static func inflateZlib(_ input: UnsafeRawBufferPointer, expectedSize: Int?, limit: Int) throws -> [UInt8] {
        if let expectedSize {
            guard expectedSize >= 0 else { throw MeshInspectionError(.malformed, "A compressed array declares a negative size.") }
            guard expectedSize <= limit else {
                throw MeshInspectionError(.limitExceeded, "A compressed array would inflate to \(expectedSize) bytes, more than the \(limit)-byte limit.")
            }
        }
        // One byte past the declared size is enough to prove the stream is longer than it claims.
        let cap = expectedSize.map { $0 + 1 } ?? limit
        let output = try ZlibStream.inflate(
            input, windowBits: 15, cap: cap, stopAtCap: expectedSize != nil, allowConcatenatedMembers: false, sizeHint: expectedSize)
        if let expectedSize, output.bytes.count != expectedSize {
            throw MeshInspectionError(.malformed, "A compressed array inflates to \(output.bytes.count) bytes instead of the declared \(expectedSize).")
        }
        if output.reachedCap {
            throw MeshInspectionError(.limitExceeded, "Compressed data inflates to more than the \(limit)-byte limit.")
        }
        if !output.finished {
            throw MeshInspectionError(.truncated, "A compressed array ends before its zlib stream does.")
        }
        return output.bytes
    }

    /// Decompresses a gzip file (RFC 1952), including several concatenated members as `gzip` itself accepts.
    static func gunzip(_ input: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8] {
        // gzip ends with the uncompressed size modulo 2^32: a good first guess for the output buffer.
        let trailerSize = input.count >= 18 ? Int(input.loadUnaligned(fromByteOffset: input.count - 4, as: UInt32.self).littleEndian) : nil
        let output = try ZlibStream.inflate(
            input, windowBits: 15 + 16, cap: limit, stopAtCap: false, allowConcatenatedMembers: true, sizeHint: trailerSize)
        if output.reachedCap {
            throw MeshInspectionError(.limitExceeded, "The gzip-compressed file inflates to more than the \(limit)-byte limit.")
        }
        if !output.finished {
            throw MeshInspectionError(.truncated, "The gzip-compressed file is cut off before its end.")
        }
        return output.bytes
    }

    /// Decompresses a zstd stream of any number of frames with unknown content size, skipping the skippable
    /// frames Blender appends for its seek table.
    static func zstd(_ input: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8] {
        let output = try ZstdStream.decompress(input, cap: limit, stopAtCap: false)
        if output.reachedCap {
            throw MeshInspectionError(.limitExceeded, "The zstd-compressed file decompresses to more than the \(limit)-byte limit.")
        }
        if !output.finished {
            throw MeshInspectionError(.truncated, "The zstd-compressed file is cut off before its end.")
        }
        return output.bytes
    }

    /// Sizes the output once from a hint so a large file is not copied on every doubling. The hint comes from the
    /// file and may lie, so it is bounded by the cap and by what deflate/zstd could produce from the input.
    static func reserve(_ output: inout [UInt8], hint: Int?, cap: Int, inputSize: Int) {
        guard let hint, hint > 0 else { return }
        output.reserveCapacity(Swift.min(hint, cap, inputSize.saturatingTimes(1032)))
    }

    /// First `count` decompressed bytes only (for sniffing), never more than needed.
    ///
    /// A stream that ends or is cut off before `count` bytes yields what it decoded: a sniffer only needs the
    /// header. It throws only when nothing at all could be decoded.
    static func prefix(of input: UnsafeRawBufferPointer, compression: BlendCompression, count: Int) throws -> [UInt8] {
        guard count > 0 else { return [] }
        let output: InflatedOutput
        switch compression {
        case .none:
            return Array(input.prefix(count))
        case .gzip:
            output = try ZlibStream.inflate(input, windowBits: 15 + 16, cap: count, stopAtCap: true, allowConcatenatedMembers: true)
        case .zstd:
            output = try ZstdStream.decompress(input, cap: count, stopAtCap: true)
        }
        if output.bytes.isEmpty && !output.finished {
            throw MeshInspectionError(.truncated, "The compressed stream ends before any data.")
        }
        return Array(output.bytes.prefix(count))
    }
}

/// What a decompressor produced and why it stopped.
private struct InflatedOutput {
    var bytes: [UInt8]
    /// The stream reached its proper end marker (and, for gzip, checksum).
    var finished: Bool
    /// Output stopped because it reached `cap`, possibly with more data left in the stream.
    var reachedCap: Bool
}

private enum ZlibStream {
    /// Runs zlib's inflate until the stream ends, the input runs out, or `cap` bytes are out.
    /// `windowBits` 15 = zlib wrapper, 31 = gzip wrapper.
    static func inflate(
        _ input: UnsafeRawBufferPointer, windowBits: Int32, cap: Int, stopAtCap: Bool, allowConcatenatedMembers: Bool,
        sizeHint: Int? = nil
    ) throws -> InflatedOutput {
        guard let inputBase = input.baseAddress, !input.isEmpty else {
            throw MeshInspectionError(.truncated, "The compressed data is empty.")
        }
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw MeshInspectionError(.malformed, "The decompressor could not start.")
        }
        defer { inflateEnd(&stream) }

        var output: [UInt8] = []
        Decompression.reserve(&output, hint: sizeHint, cap: cap, inputSize: input.count)
        var slice = [UInt8](repeating: 0, count: Swift.min(Decompression.sliceSize, Swift.max(cap, 1)))
        var consumed = 0
        var finished = false

        while true {
            // zlib counts input in 32 bits; uploads are far smaller, but feed it in pieces anyway so that holds.
            if stream.avail_in == 0 && consumed < input.count {
                let piece = Swift.min(input.count - consumed, Int(UInt32.max))
                stream.next_in = UnsafeMutablePointer(mutating: (inputBase + consumed).assumingMemoryBound(to: Bytef.self))
                stream.avail_in = UInt32(piece)
                consumed += piece
            }
            let room = Swift.min(slice.count, cap - output.count + (stopAtCap ? 0 : 1))
            if room <= 0 { return InflatedOutput(bytes: output, finished: false, reachedCap: true) }
            let (status, produced) = slice.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                stream.next_out = buffer.baseAddress
                stream.avail_out = UInt32(room)
                let status = CCompression.inflate(&stream, Z_NO_FLUSH)
                return (status, room - Int(stream.avail_out))
            }
            output.append(contentsOf: slice[0..<produced])
            if output.count > cap || (stopAtCap && output.count >= cap) {
                if output.count > cap { output.removeLast(output.count - cap) }
                return InflatedOutput(bytes: output, finished: status == Z_STREAM_END, reachedCap: true)
            }
            switch status {
            case Z_OK:
                continue
            case Z_STREAM_END:
                let remaining = Int(stream.avail_in) + (input.count - consumed)
                if allowConcatenatedMembers, remaining >= 2, startsNewGzipMember(inputBase, at: input.count - remaining, total: input.count) {
                    guard inflateReset(&stream) == Z_OK else {
                        throw MeshInspectionError(.malformed, "The decompressor could not continue with the next gzip member.")
                    }
                    continue
                }
                finished = true
            case Z_BUF_ERROR:
                // No progress possible: with output room left, that means the input ran out mid-stream.
                finished = false
            case Z_NEED_DICT:
                throw MeshInspectionError(.malformed, "The compressed data needs a preset dictionary, which uploads never carry.")
            case Z_MEM_ERROR:
                throw MeshInspectionError(.limitExceeded, "The decompressor ran out of memory.")
            default:
                throw MeshInspectionError(.malformed, "The compressed data is corrupt (zlib error \(status)).")
            }
            return InflatedOutput(bytes: output, finished: finished, reachedCap: false)
        }
    }

    /// gzip tolerates trailing bytes after the last member; only a new 1f 8b header starts another member.
    private static func startsNewGzipMember(_ base: UnsafeRawPointer, at offset: Int, total: Int) -> Bool {
        guard offset >= 0, offset + 2 <= total else { return false }
        return base.load(fromByteOffset: offset, as: UInt8.self) == 0x1f
            && base.load(fromByteOffset: offset + 1, as: UInt8.self) == 0x8b
    }
}

private enum ZstdStream {
    /// Blender 3.0+ ends its zstd files with a seek table (a skippable frame listing each frame's compressed and
    /// decompressed size, footer: frame count, descriptor, magic 0x8F92EAB1); their sum is the output size.
    static func seekTableSize(_ input: UnsafeRawBufferPointer) -> Int? {
        guard input.count >= 17 else { return nil }
        func u32(_ offset: Int) -> UInt32 { input.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian }
        guard u32(input.count - 4) == 0x8F92_EAB1 else { return nil }
        let frames = Int(u32(input.count - 9))
        let entrySize = input[input.count - 5] & 0x80 != 0 ? 12 : 8
        let (tableSize, overflow) = frames.multipliedReportingOverflow(by: entrySize)
        guard !overflow, tableSize + 9 <= input.count - 8 else { return nil }
        var total = 0
        var offset = input.count - 9 - tableSize
        for _ in 0..<frames {
            total += Int(u32(offset + 4))
            offset += entrySize
        }
        return total
    }

    /// Runs zstd's streaming decoder over all frames until the input ends or `cap` bytes are out.
    static func decompress(_ input: UnsafeRawBufferPointer, cap: Int, stopAtCap: Bool) throws -> InflatedOutput {
        guard let inputBase = input.baseAddress, !input.isEmpty else {
            throw MeshInspectionError(.truncated, "The compressed data is empty.")
        }
        guard let context = ZSTD_createDCtx() else {
            throw MeshInspectionError(.limitExceeded, "The zstd decompressor could not start.")
        }
        defer { ZSTD_freeDCtx(context) }
        // A frame may ask for a window of up to 2 GB; Blender writes far smaller ones, so refuse anything larger
        // than 128 MB instead of letting a hostile header reserve that memory.
        _ = ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, 27)

        var inBuffer = ZSTD_inBuffer(src: inputBase, size: input.count, pos: 0)
        var output: [UInt8] = []
        if !stopAtCap { Decompression.reserve(&output, hint: seekTableSize(input), cap: cap, inputSize: input.count) }
        var slice = [UInt8](repeating: 0, count: Swift.min(Decompression.sliceSize, Swift.max(cap, 1)))
        // zstd returns 0 exactly when a frame has been fully decoded and flushed.
        var lastHint = 1

        while true {
            let room = Swift.min(slice.count, cap - output.count + (stopAtCap ? 0 : 1))
            if room <= 0 { return InflatedOutput(bytes: output, finished: false, reachedCap: true) }
            let readBefore = inBuffer.pos
            let (hint, produced) = slice.withUnsafeMutableBufferPointer { buffer -> (Int, Int) in
                var outBuffer = ZSTD_outBuffer(dst: buffer.baseAddress, size: room, pos: 0)
                let hint = ZSTD_decompressStream(context, &outBuffer, &inBuffer)
                return (hint, outBuffer.pos)
            }
            if ZSTD_isError(hint) != 0 {
                let name = ZSTD_getErrorName(hint).map { String(cString: $0) } ?? "unknown error"
                // zstd_errors.h is not part of the shim, so the window refusal is recognised by its message.
                if name.contains("too much memory") {
                    throw MeshInspectionError(.limitExceeded, "The zstd stream asks for a decoding window larger than allowed.")
                }
                throw MeshInspectionError(.malformed, "The zstd-compressed data is corrupt (\(name)).")
            }
            lastHint = hint
            output.append(contentsOf: slice[0..<produced])
            if output.count > cap || (stopAtCap && output.count >= cap) {
                if output.count > cap { output.removeLast(output.count - cap) }
                return InflatedOutput(bytes: output, finished: false, reachedCap: true)
            }
            let inputLeft = inBuffer.pos < inBuffer.size
            // The decoder holds back output only when it filled the slice; otherwise, with no input left, it is done.
            if !inputLeft && produced < room {
                return InflatedOutput(bytes: output, finished: lastHint == 0, reachedCap: false)
            }
            if inputLeft && produced == 0 && inBuffer.pos == readBefore {
                // Defensive: a decoder that neither reads nor writes would otherwise spin forever.
                throw MeshInspectionError(.malformed, "The zstd-compressed data makes no progress.")
            }
        }
    }
}

private extension Int {
    func saturatingTimes(_ other: Int) -> Int {
        let (result, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : result
    }
}
