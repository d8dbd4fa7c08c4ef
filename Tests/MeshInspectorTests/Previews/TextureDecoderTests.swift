import Foundation
import Testing
@testable import MeshInspector

/// The preview's PNG and JPEG decoders: every PNG colour type and depth, Adam7, baseline, progressive, greyscale
/// and restart-marker JPEGs (fixtures from scripts/make-texture-fixtures.py, colours as Pillow decodes them),
/// scaling down, and hostile images, which must answer nil and never trap.
@Suite("Preview textures")
struct TextureDecoderTests {
    /// Quadrant centres (top left, top right, bottom left, bottom right) of each fixture as Pillow reads it.
    static let expected: [(file: String, colours: [[UInt8]], tolerance: Int)] = [
        ("quadrants-rgb8.png", [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]], 0),
        ("quadrants-rgb16.png", [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]], 0),
        ("quadrants-rgba8.png", [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]], 0),
        ("quadrants-rgba16-interlaced.png", [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]], 0),
        ("quadrants-palette1.png", [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]], 0),
        ("quadrants-palette4.png", [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]], 0),
        ("quadrants-palette8.png", [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]], 0),
        ("quadrants-grey1.png", [[0, 0, 0], [0, 0, 0], [0, 0, 0], [255, 255, 255]], 0),
        ("quadrants-grey8-interlaced.png", [[85, 85, 85], [85, 85, 85], [85, 85, 85], [255, 255, 255]], 0),
        ("quadrants-greyalpha16.png", [[85, 85, 85], [85, 85, 85], [85, 85, 85], [255, 255, 255]], 0),
        ("quadrants-baseline-420.jpg", [[254, 0, 0], [1, 255, 1], [0, 0, 254], [255, 255, 255]], 4),
        ("quadrants-baseline-444.jpg", [[254, 0, 0], [0, 255, 1], [0, 0, 254], [255, 255, 255]], 4),
        ("quadrants-progressive.jpg", [[254, 0, 0], [1, 255, 1], [0, 0, 254], [255, 255, 255]], 4),
        ("quadrants-restarts.jpg", [[254, 0, 0], [0, 255, 1], [0, 0, 254], [255, 255, 255]], 4),
        ("quadrants-grey.jpg", [[76, 76, 76], [150, 150, 150], [29, 29, 29], [255, 255, 255]], 4),
        ("quadrants-grey-progressive.jpg", [[76, 76, 76], [150, 150, 150], [29, 29, 29], [255, 255, 255]], 4),
    ]

    @Test("every PNG and JPEG variant decodes to its colours, the right way up", arguments: expected.map { $0.file })
    func decodes(_ file: String) throws {
        let entry = try #require(Self.expected.first { $0.file == file })
        let texture = try #require(PreviewTextureDecoder.decode(try PreviewFixtures.data("textures/\(file)")))
        #expect(texture.width == 40 && texture.height == 30)
        for (index, point) in [(5, 5), (35, 5), (5, 25), (35, 25)].enumerated() {
            let offset = (point.1 * texture.width + point.0) * 4
            for channel in 0..<3 {
                let got = Int(texture.pixels[offset + channel]), want = Int(entry.colours[index][channel])
                #expect(abs(got - want) <= entry.tolerance, "\(file) quadrant \(index) channel \(channel): \(got) vs \(want)")
            }
            #expect(texture.pixels[offset + 3] == 255)
        }
    }

    @Test("a large image is scaled down to at most 1024 pixels a side, averaging blocks")
    func downsamples() throws {
        // 3000 × 20, left half black and right half white: scaled by 3 to 1000 × 7.
        let png = TestPNG.rgb(width: 3000, height: 20) { x, _ in x < 1500 ? (0, 0, 0) : (255, 255, 255) }
        let texture = try #require(PreviewTextureDecoder.decode(png))
        #expect(texture.width == 1000 && texture.height == 7)
        #expect(texture.pixels[0] == 0)
        #expect(texture.pixels[(3 * 1000 + 999) * 4] == 255)
        // Column 500 averages source columns 1500…1502: all white.
        #expect(texture.pixels[500 * 4] == 255 && texture.pixels[499 * 4] == 0)
    }

    @Test("oversized, bomb-like and unsupported images are refused quickly")
    func refusals() throws {
        let clock = ContinuousClock()
        let started = clock.now
        // Declared far past the pixel limit.
        #expect(PreviewTextureDecoder.decode(TestPNG.header(width: 100_000, height: 100_000, idat: [0x78, 0x9C, 0x03, 0x00])) == nil)
        // Within the limits, but the data stops short of the declared size: refused, nothing drawn from garbage.
        #expect(PreviewTextureDecoder.decode(TestPNG.header(width: 4000, height: 4000, idat: [0x78, 0x9C, 0x63, 0x00, 0x00])) == nil)
        // A zero-sized image, a PNG without IHDR, WebP, KTX2 and plain garbage.
        #expect(PreviewTextureDecoder.decode(TestPNG.header(width: 0, height: 10, idat: [])) == nil)
        #expect(PreviewTextureDecoder.decode(Data(PNGDecoder.signature)) == nil)
        #expect(PreviewTextureDecoder.decode(Data("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8)) == nil)
        #expect(PreviewTextureDecoder.decode(Data([0xAB, 0x4B, 0x54, 0x58, 0x20, 0x32, 0x30, 0xBB])) == nil)
        #expect(PreviewTextureDecoder.decode(Data([0xFF, 0xD8, 0xFF, 0xD9])) == nil)
        // A JPEG frame declaring 60000 × 60000: refused from the header, before any coefficient is allocated.
        var jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, 0xEA, 0x60, 0xEA, 0x60, 0x01, 0x01, 0x11, 0x00]
        jpeg += [0xFF, 0xD9]
        #expect(PreviewTextureDecoder.decode(Data(jpeg)) == nil)
        #expect(clock.now - started < .seconds(5))
    }

    @Test("damaged images (every truncation, thousands of byte flips) decode or answer nil, never trap")
    func hostileBytes() throws {
        var generator = SplitMix(seed: 0x5EED)
        for entry in Self.expected {
            let original = [UInt8](try PreviewFixtures.data("textures/\(entry.file)"))
            for length in stride(from: 0, to: original.count, by: Swift.max(1, original.count / 64)) {
                _ = PreviewTextureDecoder.decode(Data(original.prefix(length)))
            }
            for _ in 0..<150 {
                var mutated = original
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    let index = Int(generator.next() % UInt64(mutated.count))
                    mutated[index] = UInt8(truncatingIfNeeded: generator.next())
                }
                if let texture = PreviewTextureDecoder.decode(Data(mutated)) {
                    #expect(texture.pixels.count == texture.width * texture.height * 4)
                    #expect(texture.width <= PreviewTexture.maxSide && texture.height <= PreviewTexture.maxSide)
                }
            }
        }
    }
}

/// Minimal PNG writer for tests: stored (uncompressed) deflate blocks, CRCs left zero (the decoder ignores them).
enum TestPNG {
    static func rgb(width: Int, height: Int, _ colour: (Int, Int) -> (UInt8, UInt8, UInt8)) -> Data {
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(0)
            for x in 0..<width {
                let (r, g, b) = colour(x, y)
                raw += [r, g, b]
            }
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var offset = 0
        repeat {
            let count = Swift.min(65535, raw.count - offset)
            zlib.append(offset + count == raw.count ? 1 : 0)
            zlib += [UInt8(count & 0xFF), UInt8(count >> 8), UInt8(~count & 0xFF), UInt8(~count >> 8 & 0xFF)]
            zlib += raw[offset..<(offset + count)]
            offset += count
        } while offset < raw.count
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw { a = (a + UInt32(byte)) % 65521; b = (b + a) % 65521 }
        zlib += bigEndian(b << 16 | a)
        return header(width: width, height: height, idat: zlib)
    }

    static func header(width: Int, height: Int, idat: [UInt8]) -> Data {
        var bytes = PNGDecoder.signature
        bytes += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0])
        bytes += chunk("IDAT", idat)
        bytes += chunk("IEND", [])
        return Data(bytes)
    }

    private static func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
        bigEndian(UInt32(body.count)) + Array(type.utf8) + body + [0, 0, 0, 0]
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}

/// A small deterministic generator, so hostile-input tests try the same inputs on every run.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
