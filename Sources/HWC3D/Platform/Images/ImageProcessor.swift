import CVips
import Foundation
import NIOPosix

/// Image work through libvips, on the blocking thread pool. The format is decided from the bytes, never from a
/// name or a client's content type, and the pixel count is checked from the header before anything is decoded,
/// so a small file that claims to be gigapixels (a decompression bomb) is refused cheaply.
struct ImageProcessor: Sendable {
    enum Format: String, Sendable {
        case jpeg, png, webp
        var mimeType: String { "image/\(rawValue)" }
    }

    enum Failure: Error, Equatable {
        case unsupportedFormat
        case undecodable
        case tooManyPixels
    }

    static let maxPixels = 40_000_000

    let threadPool: NIOThreadPool

    private static let initialised: Bool = {
        vips_init("hwc3d") == 0
    }()

    static func detectFormat(_ bytes: some Collection<UInt8>) -> Format? {
        let head = Array(bytes.prefix(12))
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.count >= 12, head[0..<4].elementsEqual(Array("RIFF".utf8)), head[8..<12].elementsEqual(Array("WEBP".utf8)) {
            return .webp
        }
        return nil
    }

    /// A square crop of `size` pixels, centred, stripped of metadata, as WEBP.
    func squareThumbnail(_ data: Data, size: Int, allowed: Set<Format>) async throws -> Data {
        try await process(data, allowed: allowed) { buffer, length, out in
            hwc3d_vips_thumbnail_buffer_square(buffer, length, out, Int32(size))
        }
    }

    /// Scaled down (never up) to `width` pixels wide, stripped of metadata, as WEBP.
    func fitWidth(_ data: Data, width: Int, allowed: Set<Format>) async throws -> Data {
        try await process(data, allowed: allowed) { buffer, length, out in
            hwc3d_vips_thumbnail_buffer_width(buffer, length, out, Int32(width))
        }
    }

    private func process(
        _ data: Data, allowed: Set<Format>,
        _ operation: @escaping @Sendable (UnsafeMutableRawPointer, Int, UnsafeMutablePointer<UnsafeMutablePointer<VipsImage>?>) -> Int32
    ) async throws -> Data {
        guard let format = Self.detectFormat(data), allowed.contains(format) else { throw Failure.unsupportedFormat }
        guard Self.initialised else { throw Failure.undecodable }
        return try await threadPool.runIfActive {
            var bytes = [UInt8](data)
            return try bytes.withUnsafeMutableBytes { raw -> Data in
                guard let base = raw.baseAddress else { throw Failure.undecodable }
                defer { vips_error_clear() }
                guard let header = hwc3d_vips_image_new_from_buffer(base, raw.count) else { throw Failure.undecodable }
                let pixels = Int(vips_image_get_width(header)) * Int(vips_image_get_height(header))
                hwc3d_g_object_unref(header)
                guard pixels > 0 else { throw Failure.undecodable }
                guard pixels <= Self.maxPixels else { throw Failure.tooManyPixels }
                guard hwc3d_vips_decodes_cleanly(base, raw.count) == 0 else { throw Failure.undecodable }

                var image: UnsafeMutablePointer<VipsImage>?
                guard operation(base, raw.count, &image) == 0, let image else { throw Failure.undecodable }
                defer { hwc3d_g_object_unref(image) }
                var output: UnsafeMutableRawPointer?
                var length = 0
                guard hwc3d_vips_webpsave_buffer(image, &output, &length, 82) == 0, let output else {
                    throw Failure.undecodable
                }
                defer { g_free(output) }
                // libvips 8.14 copies EXIF (GPS included) into WEBP despite `strip`: cut it out ourselves.
                return try Self.webpWithoutMetadata(Data(bytes: output, count: length))
            }
        }
    }
}

/// What one uploaded picture becomes for a gallery: WEBP renditions by target width and one JPEG fallback, all
/// stripped of metadata (EXIF, GPS, XMP, ICC after conversion to sRGB), plus the picture's own size as displayed.
struct GalleryRenditions: Sendable {
    /// Width and height of the original after its EXIF orientation is applied.
    var width: Int
    var height: Int
    /// Keyed by the requested width; an image narrower than that is stored at its own width, never enlarged.
    var webp: [Int: Data]
    var jpeg: Data

    var totalBytes: Int { webp.values.reduce(jpeg.count) { $0 + $1.count } }
}

extension ImageProcessor {
    /// WEBP never stores more than 16383 pixels on a side; a very tall picture is fitted under that instead of
    /// failing to encode.
    static let renditionMaxHeight = 16383

    /// Checks the picture (type from the bytes, pixel count from the header before any decoding, then one full
    /// decode that fails on any truncation or corruption) and makes every rendition from a single scaled decode:
    /// the widest rendition is decoded with shrink-on-load, held in memory, and the narrower ones and the JPEG are
    /// made from it. Runs on the blocking thread pool.
    func galleryRenditions(
        _ data: Data, widths: [Int], jpegWidth: Int, jpegQuality: Int, allowed: Set<Format>
    ) async throws -> GalleryRenditions {
        guard let format = Self.detectFormat(data), allowed.contains(format) else { throw Failure.unsupportedFormat }
        guard Self.initialised, let widest = (widths + [jpegWidth]).max() else { throw Failure.undecodable }
        return try await threadPool.runIfActive {
            var bytes = [UInt8](data)
            return try bytes.withUnsafeMutableBytes { raw -> GalleryRenditions in
                guard let base = raw.baseAddress else { throw Failure.undecodable }
                defer { vips_error_clear() }
                let (width, height) = try Self.checkedSize(base, raw.count)

                var decoded: UnsafeMutablePointer<VipsImage>?
                guard hwc3d_vips_thumbnail_buffer_fit(base, raw.count, &decoded, Int32(widest), Int32(Self.renditionMaxHeight)) == 0,
                    let decoded
                else { throw Failure.undecodable }
                defer { hwc3d_g_object_unref(decoded) }
                let largest = try Self.inMemorySRGB(decoded)
                defer { hwc3d_g_object_unref(largest) }

                var webp: [Int: Data] = [:]
                for target in widths {
                    webp[target] = try Self.fitted(largest, width: target) { image in
                        try Self.webpWithoutMetadata(Self.encode { hwc3d_vips_webpsave_buffer(image, &$0, &$1, 82) })
                    }
                }
                let jpeg = try Self.fitted(largest, width: jpegWidth) { image in
                    guard vips_image_hasalpha(image) != 0 else {
                        return try Self.encode { hwc3d_vips_jpegsave_buffer(image, &$0, &$1, Int32(jpegQuality)) }
                    }
                    var flat: UnsafeMutablePointer<VipsImage>?
                    guard hwc3d_vips_flatten_white(image, &flat) == 0, let flat else { throw Failure.undecodable }
                    defer { hwc3d_g_object_unref(flat) }
                    return try Self.encode { hwc3d_vips_jpegsave_buffer(flat, &$0, &$1, Int32(jpegQuality)) }
                }
                return GalleryRenditions(width: width, height: height, webp: webp, jpeg: jpeg)
            }
        }
    }

    /// The displayed size from the header alone (nothing decoded yet), refused past `maxPixels`; then one full
    /// decode that fails on any error, because the scaled decode that follows does not notice a truncated file.
    private static func checkedSize(_ base: UnsafeMutableRawPointer, _ count: Int) throws -> (width: Int, height: Int) {
        guard let header = hwc3d_vips_image_new_from_buffer(base, count) else { throw Failure.undecodable }
        let width = Int(vips_image_get_width(header))
        let height = Int(vips_image_get_height(header))
        let swapped = vips_image_get_orientation_swap(header) != 0
        hwc3d_g_object_unref(header)
        guard width > 0, height > 0 else { throw Failure.undecodable }
        guard width * height <= maxPixels else { throw Failure.tooManyPixels }
        guard hwc3d_vips_decodes_cleanly(base, count) == 0 else { throw Failure.undecodable }
        return swapped ? (height, width) : (width, height)
    }

    /// 8-bit sRGB (or 8-bit grey), computed once into memory so every rendition reads finished pixels.
    private static func inMemorySRGB(_ image: UnsafeMutablePointer<VipsImage>) throws -> UnsafeMutablePointer<VipsImage> {
        let interpretation = vips_image_get_interpretation(image)
        var converted = image
        var owned: UnsafeMutablePointer<VipsImage>?
        if interpretation != VIPS_INTERPRETATION_sRGB && interpretation != VIPS_INTERPRETATION_B_W {
            guard hwc3d_vips_colourspace_srgb(image, &owned) == 0, let owned else { throw Failure.undecodable }
            converted = owned
        }
        defer { if let owned { hwc3d_g_object_unref(owned) } }
        guard let memory = vips_image_copy_memory(converted) else { throw Failure.undecodable }
        return memory
    }

    /// Runs `body` on `image` scaled down to `width` (or on `image` itself when it is no wider).
    private static func fitted<T>(
        _ image: UnsafeMutablePointer<VipsImage>, width: Int, _ body: (UnsafeMutablePointer<VipsImage>) throws -> T
    ) throws -> T {
        guard Int(vips_image_get_width(image)) > width else { return try body(image) }
        var scaled: UnsafeMutablePointer<VipsImage>?
        guard hwc3d_vips_thumbnail_image_fit(image, &scaled, Int32(width), Int32(renditionMaxHeight)) == 0, let scaled else {
            throw Failure.undecodable
        }
        defer { hwc3d_g_object_unref(scaled) }
        return try body(scaled)
    }

    /// The WEBP without its EXIF, XMP and ICC chunks. libvips 8.14 ignores `strip` when saving WEBP and copies the
    /// source's EXIF (GPS position included) and XMP into the container, so they are cut out here, whatever the
    /// library does. The pixels are already sRGB, which is what a WEBP without a profile means.
    static func webpWithoutMetadata(_ data: Data) throws -> Data {
        let bytes = [UInt8](data)
        func le32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        guard bytes.count >= 20, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WEBP".utf8) else {
            throw Failure.undecodable
        }
        let end = min(bytes.count, 8 + le32(4))
        var chunks: [UInt8] = []
        var offset = 12
        while offset + 8 <= end {
            let size = le32(offset + 4)
            guard offset + 8 + size <= end else { throw Failure.undecodable }
            let next = min(end, offset + 8 + size + (size & 1))
            switch String(decoding: bytes[offset..<offset + 4], as: UTF8.self) {
            case "EXIF", "XMP ", "ICCP":
                break
            case "VP8X":
                var chunk = Array(bytes[offset..<next])
                // Flags: ICC profile (0x20), EXIF (0x08) and XMP (0x04) are no longer there.
                if chunk.count > 8 { chunk[8] &= ~UInt8(0x20 | 0x08 | 0x04) }
                chunks += chunk
            default:
                chunks += bytes[offset..<next]
            }
            offset = next
        }
        let riffSize = UInt32(4 + chunks.count)
        let sizeBytes = (0..<4).map { UInt8(truncatingIfNeeded: riffSize >> (8 * $0)) }
        return Data(Array("RIFF".utf8) + sizeBytes + Array("WEBP".utf8) + chunks)
    }

    private static func encode(_ save: (inout UnsafeMutableRawPointer?, inout Int) -> Int32) throws -> Data {
        var output: UnsafeMutableRawPointer?
        var length = 0
        guard save(&output, &length) == 0, let output else { throw Failure.undecodable }
        defer { g_free(output) }
        return Data(bytes: output, count: length)
    }
}
