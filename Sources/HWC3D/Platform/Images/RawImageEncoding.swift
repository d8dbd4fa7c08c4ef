import CVips
import Foundation
import NIOPosix

extension ImageProcessor {
    enum RawPixelsFailure: Error, Equatable {
        case wrongSize
        case encodingFailed
    }

    /// libvips allows `vips_init` to be called again; this one covers a process whose first image work is a
    /// rendered preview rather than an upload.
    private static let vipsReadyForRawPixels: Bool = vips_init("hwc3d") == 0

    /// Packs `width × height` 8-bit RGB pixels (rows top to bottom, no padding) into a PNG, on the blocking
    /// thread pool. The PNG is what `galleryRenditions` takes, so software-rendered pictures go through exactly
    /// the checks and renditions an upload does.
    func png(rgb pixels: [UInt8], width: Int, height: Int) async throws -> Data {
        guard width > 0, height > 0, width * height <= Self.maxPixels, pixels.count == width * height * 3 else {
            throw RawPixelsFailure.wrongSize
        }
        guard Self.vipsReadyForRawPixels else { throw RawPixelsFailure.encodingFailed }
        return try await threadPool.runIfActive {
            try pixels.withUnsafeBytes { raw -> Data in
                defer { vips_error_clear() }
                guard let base = raw.baseAddress,
                      let image = hwc3d_vips_image_new_from_rgb(base, raw.count, Int32(width), Int32(height))
                else { throw RawPixelsFailure.encodingFailed }
                defer { hwc3d_g_object_unref(image) }
                var output: UnsafeMutableRawPointer?
                var length = 0
                guard hwc3d_vips_pngsave_buffer_fast(image, &output, &length) == 0, let output else {
                    throw RawPixelsFailure.encodingFailed
                }
                defer { g_free(output) }
                return Data(bytes: output, count: length)
            }
        }
    }
}
