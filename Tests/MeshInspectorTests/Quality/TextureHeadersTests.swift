import Foundation
import Testing
@testable import MeshInspector

@Suite("Texture sizes from image headers")
struct TextureHeadersTests {
    static func be32(_ v: Int) -> [UInt8] { [UInt8(v >> 24 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func le32(_ v: Int) -> [UInt8] { be32(v).reversed() }

    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + be32(13) + Array("IHDR".utf8) + be32(2048) + be32(1024) + [8, 6, 0, 0, 0]

    static func dimensions(_ bytes: [UInt8]) -> [Int]? {
        bytes.withUnsafeBytes { TextureHeaders.dimensions($0) }.map { [$0.width, $0.height] }
    }

    @Test("PNG, JPEG, WebP and KTX2 headers")
    func formats() throws {
        #expect(Self.dimensions(Self.png) == [2048, 1024])
        // JPEG: SOI, an APP0 segment, then SOF0 with height 480 and width 640.
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x4A, 0x46, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x03]
        #expect(Self.dimensions(jpeg) == [640, 480])
        // A progressive JPEG (SOF2) after a DHT segment, which is not a frame header.
        let progressive: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC4, 0x00, 0x02, 0xFF, 0xC2, 0x00, 0x11, 0x08, 0x00, 0x10, 0x00, 0x20, 0x03]
        #expect(Self.dimensions(progressive) == [32, 16])
        let riff = Array("RIFF".utf8) + Self.le32(100) + Array("WEBP".utf8)
        let lossy = riff + Array("VP8 ".utf8) + Self.le32(30) + [0, 0, 0, 0x9D, 0x01, 0x2A, 0x00, 0x02, 0x00, 0x01]
        #expect(Self.dimensions(lossy) == [512, 256])
        // VP8L: signature 0x2F, then 14 bits width−1 and 14 bits height−1.
        let bits = (300 - 1) | (200 - 1) << 14
        let lossless = riff + Array("VP8L".utf8) + Self.le32(10) + [0x2F] + Self.le32(bits) + [0, 0, 0, 0, 0]
        #expect(Self.dimensions(lossless) == [300, 200])
        let extended = riff + Array("VP8X".utf8) + Self.le32(10) + [0, 0, 0, 0] + [0xFF, 0x0F, 0x00] + [0xFF, 0x07, 0x00]
        #expect(Self.dimensions(extended) == [4096, 2048])
        let ktx2: [UInt8] = [0xAB, 0x4B, 0x54, 0x58, 0x20, 0x32, 0x30, 0xBB, 0x0D, 0x0A, 0x1A, 0x0A] + Self.le32(0) + Self.le32(1) + Self.le32(1024) + Self.le32(512) + Self.le32(0)
        #expect(Self.dimensions(ktx2) == [1024, 512])
        // The fixture texture of the bundles.
        #expect(TextureHeaders.dimensions(try MeshFixtures.data("misc/checker.png")).map { [$0.width, $0.height] } == [16, 16])
    }

    @Test("unknown, truncated and hostile headers answer nil without reading past the bytes")
    func hostile() {
        #expect(Self.dimensions([]) == nil)
        #expect(Self.dimensions(Array("GIF89a".utf8) + [1, 0, 1, 0]) == nil)
        for length in 0..<Self.png.count { _ = Self.dimensions(Array(Self.png.prefix(length))) }
        #expect(Self.dimensions(Array(Self.png.prefix(20))) == nil)
        // A JPEG whose segment lengths run off the end, or are zero.
        #expect(Self.dimensions([0xFF, 0xD8, 0xFF, 0xE0, 0xFF, 0xFF]) == nil)
        #expect(Self.dimensions([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x00, 0xFF, 0xC0]) == nil)
        #expect(Self.dimensions([0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08]) == nil)
        // Zero sizes are not sizes.
        var zero = Self.png
        zero.replaceSubrange(16..<20, with: Self.be32(0))
        #expect(Self.dimensions(zero) == nil)
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var bytes = (0..<Int.random(in: 0..<40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if bytes.count >= 2, Bool.random(using: &generator) { bytes[0] = 0xFF; bytes[1] = 0xD8 }
            _ = Self.dimensions(bytes)
        }
    }
}
