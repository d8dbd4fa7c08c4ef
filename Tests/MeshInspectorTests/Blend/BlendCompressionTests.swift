import CCompression
import Foundation
import Testing
@testable import MeshInspector

/// `Decompression`: the zlib, gzip and zstd paths .blend and FBX files use, their caps and their failures.
@Suite struct BlendCompressionTests {
    static func deflate(_ input: [UInt8], windowBits: Int32) -> [UInt8] {
        var stream = z_stream()
        _ = deflateInit2_(&stream, 9, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        var input = input
        let produced = input.withUnsafeMutableBytes { source in
            output.withUnsafeMutableBytes { target in
                stream.next_in = source.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress?.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = UInt32(target.count)
                _ = CCompression.deflate(&stream, Z_FINISH)
                return target.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }

    static func gzip(_ input: [UInt8]) -> [UInt8] { deflate(input, windowBits: 31) }
    static func zlib(_ input: [UInt8]) -> [UInt8] { deflate(input, windowBits: 15) }

    static func zstd(_ input: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
        let size = output.withUnsafeMutableBytes { target in
            input.withUnsafeBytes { ZSTD_compress(target.baseAddress, target.count, $0.baseAddress, $0.count, 3) }
        }
        return Array(output.prefix(size))
    }

    static func cut(_ stream: [UInt8]) -> [UInt8] { Array(stream.prefix(stream.count / 2)) }

    static let sample: [UInt8] = Array("BLENDER-v304".utf8) + (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 >> 3) }

    @Test func roundTrips() throws {
        #expect(try Self.gzip(Self.sample).withUnsafeBytes { try Decompression.gunzip($0, limit: 1 << 20) } == Self.sample)
        #expect(try Self.zstd(Self.sample).withUnsafeBytes { try Decompression.zstd($0, limit: 1 << 20) } == Self.sample)
        #expect(try Self.zlib(Self.sample).withUnsafeBytes {
            try Decompression.inflateZlib($0, expectedSize: Self.sample.count, limit: 1 << 20)
        } == Self.sample)
    }

    @Test func multiMemberAndMultiFrameStreams() throws {
        let half = Array(Self.sample.prefix(50_000)), rest = Array(Self.sample.dropFirst(50_000))
        let gzipped = Self.gzip(half) + Self.gzip(rest)
        #expect(try gzipped.withUnsafeBytes { try Decompression.gunzip($0, limit: 1 << 20) } == Self.sample)
        // Blender 3.0+ writes several frames and ends with a skippable frame holding its seek table.
        let skippable: [UInt8] = [0x5E, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4]
        let framed = Self.zstd(half) + Self.zstd(rest) + skippable
        #expect(try framed.withUnsafeBytes { try Decompression.zstd($0, limit: 1 << 20) } == Self.sample)
    }

    @Test func prefixDecodesOnlyTheHead() throws {
        for (stream, kind) in [(Self.gzip(Self.sample), BlendCompression.gzip), (Self.zstd(Self.sample), .zstd)] {
            let head = try stream.withUnsafeBytes { try Decompression.prefix(of: $0, compression: kind, count: 12) }
            #expect(head == Array("BLENDER-v304".utf8))
        }
        // A stream cut short still yields its head once a whole block of it arrived: gzip decodes as it goes;
        // zstd needs complete blocks, which Blender's multi-frame files provide.
        let gzipCut = Self.cut(Self.gzip(Self.sample))
        #expect(try gzipCut.withUnsafeBytes { try Decompression.prefix(of: $0, compression: .gzip, count: 12) } == Array("BLENDER-v304".utf8))
        let frames = Self.zstd(Array(Self.sample.prefix(1000))) + Self.cut(Self.zstd(Self.sample))
        #expect(try frames.withUnsafeBytes { try Decompression.prefix(of: $0, compression: .zstd, count: 12) } == Array("BLENDER-v304".utf8))
        let fixture = try FBXBlendExpectation.data(directory: "blend", name: "cube-zstd.blend")
        let head = try fixture.withUnsafeBytes { try Decompression.prefix(of: $0, compression: .zstd, count: 12) }
        #expect(head == Array("BLENDER-v304".utf8))
    }

    @Test func bombsStopAtTheLimit() throws {
        let zeros = [UInt8](repeating: 0, count: 8 << 20)
        for (stream, unzip) in [
            (Self.gzip(zeros), { (b: UnsafeRawBufferPointer) in try Decompression.gunzip(b, limit: 1 << 20) }),
            (Self.zstd(zeros), { (b: UnsafeRawBufferPointer) in try Decompression.zstd(b, limit: 1 << 20) }),
            (Self.zlib(zeros), { (b: UnsafeRawBufferPointer) in try Decompression.inflateZlib(b, expectedSize: nil, limit: 1 << 20) }),
        ] {
            #expect(stream.count < 64 << 10)
            let error = try #require(throws: MeshInspectionError.self) { try stream.withUnsafeBytes { try unzip($0) } }
            #expect(error.kind == .limitExceeded)
        }
        // An FBX array declaring more than the limit is refused before inflating anything.
        let declared = try #require(throws: MeshInspectionError.self) {
            try Self.zlib(zeros).withUnsafeBytes { try Decompression.inflateZlib($0, expectedSize: 8 << 20, limit: 1 << 20) }
        }
        #expect(declared.kind == .limitExceeded)
    }

    @Test func damagedStreamsFailWithAReason() throws {
        let small = Array(Self.sample.prefix(1000))
        let cases: [(String, [UInt8], BlendCompression?, MeshInspectionError.Kind)] = [
            ("truncated gzip", Self.cut(Self.gzip(Self.sample)), .gzip, .truncated),
            ("truncated zstd", Self.cut(Self.zstd(Self.sample)), .zstd, .truncated),
            ("garbage gzip", [0x1f, 0x8b] + [UInt8](repeating: 0xAB, count: 64), .gzip, .malformed),
            ("garbage zstd", [0x28, 0xb5, 0x2f, 0xfd] + [UInt8](repeating: 0xFF, count: 64), .zstd, .malformed),
            ("empty", [], .gzip, .truncated),
            ("zlib longer than declared", Self.zlib(small), nil, .malformed),
        ]
        for (label, bytes, kind, expected) in cases {
            let error = try #require(throws: MeshInspectionError.self, "\(label)") {
                try bytes.withUnsafeBytes { buffer in
                    switch kind {
                    case .gzip: _ = try Decompression.gunzip(buffer, limit: 1 << 20)
                    case .zstd: _ = try Decompression.zstd(buffer, limit: 1 << 20)
                    default: _ = try Decompression.inflateZlib(buffer, expectedSize: 999, limit: 1 << 20)
                    }
                }
            }
            #expect(error.kind == expected, "\(label): \(error.reason)")
            #expect(!error.reason.isEmpty)
        }
    }
}
