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
                return Data(bytes: output, count: length)
            }
        }
    }
}
