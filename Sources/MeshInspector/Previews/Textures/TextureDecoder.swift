import Foundation

/// Decodes the base-colour images materials refer to into `PreviewTexture`s. PNG and JPEG (baseline and
/// progressive) are read here; anything else (WebP, KTX2, damaged or oversized images) answers nil and the
/// material keeps its plain colour. Nothing here throws past this point: a texture is an embellishment, never a
/// reason to fail a preview.
public enum PreviewTextureDecoder {
    /// Bounds on what an image may cost before it is scaled down.
    struct Limits {
        /// Longest side accepted.
        var maxSide = 16_384
        /// Most pixels accepted (an 8K × 4K image).
        var maxPixels = 1 << 25
        /// Most bytes a decoder may inflate or allocate for the image's samples.
        var maxDecodedBytes = 192 << 20

        static let standard = Limits()
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, limits: Limits = .standard) -> PreviewTexture? {
        do {
            if PNGDecoder.isPNG(bytes) { return try PNGDecoder.decode(bytes, limits: limits) }
            if JPEGDecoder.isJPEG(bytes) { return try JPEGDecoder.decode(bytes, limits: limits) }
        } catch {
            // Damaged, hostile or unsupported: the caller falls back to the material's colour.
        }
        return nil
    }

    /// The image in `data` scaled down to at most `PreviewTexture.maxSide` pixels on a side, or nil when it is not
    /// a PNG or JPEG this decoder reads, is damaged, or is larger than the limits allow.
    public static func decode(_ data: Data) -> PreviewTexture? {
        data.withUnsafeBytes { decode($0, limits: .standard) }
    }

    static func decode(_ data: Data, limits: Limits) -> PreviewTexture? {
        data.withUnsafeBytes { decode($0, limits: limits) }
    }
}

/// The reasons a texture decoder stops; never shown to a creator (the preview just goes without the texture).
struct TextureDecodingError: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}

/// Scales an image down to at most `PreviewTexture.maxSide` pixels on a side while it is decoded, averaging each
/// k × k block of source pixels into one, so a full-size copy of a large texture is never held.
struct TextureDownsampler {
    let sourceWidth: Int
    let sourceHeight: Int
    let factor: Int
    let width: Int
    let height: Int
    private var sums: [UInt32]

    init(width: Int, height: Int, limits: PreviewTextureDecoder.Limits) throws {
        guard width > 0, height > 0, width <= limits.maxSide, height <= limits.maxSide,
              width * height <= limits.maxPixels else {
            throw TextureDecodingError("image of \(width) × \(height) pixels is outside the limits")
        }
        sourceWidth = width
        sourceHeight = height
        let longest = Swift.max(width, height)
        factor = (longest + PreviewTexture.maxSide - 1) / PreviewTexture.maxSide
        self.width = (width + factor - 1) / factor
        self.height = (height + factor - 1) / factor
        sums = [UInt32](repeating: 0, count: self.width * self.height * 4)
    }

    @inline(__always)
    mutating func add(_ x: Int, _ y: Int, _ red: UInt8, _ green: UInt8, _ blue: UInt8, _ alpha: UInt8) {
        guard x >= 0, y >= 0, x < sourceWidth, y < sourceHeight else { return }
        let index = ((y / factor) * width + x / factor) * 4
        sums.withUnsafeMutableBufferPointer { sums in
            sums[index] &+= UInt32(red)
            sums[index + 1] &+= UInt32(green)
            sums[index + 2] &+= UInt32(blue)
            sums[index + 3] &+= UInt32(alpha)
        }
    }

    /// Adds source row `y` from `rgb`, three bytes per pixel, alpha opaque: the fast path for decoders that
    /// produce whole rows.
    mutating func add(row y: Int, rgb: UnsafeBufferPointer<UInt8>) {
        guard y >= 0, y < sourceHeight, rgb.count >= sourceWidth * 3 else { return }
        let rowStart = (y / factor) * width * 4
        let factor = self.factor
        sums.withUnsafeMutableBufferPointer { sums in
            var x = 0
            var bin = rowStart
            while x < sourceWidth {
                let end = Swift.min(sourceWidth, x + factor)
                var red: UInt32 = 0, green: UInt32 = 0, blue: UInt32 = 0
                for column in x..<end {
                    red &+= UInt32(rgb[column * 3]); green &+= UInt32(rgb[column * 3 + 1]); blue &+= UInt32(rgb[column * 3 + 2])
                }
                sums[bin] &+= red; sums[bin + 1] &+= green; sums[bin + 2] &+= blue; sums[bin + 3] &+= UInt32(end - x) * 255
                bin += 4
                x = end
            }
        }
    }

    func texture() -> PreviewTexture? {
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        for y in 0..<height {
            let rows = Swift.min(factor, sourceHeight - y * factor)
            for x in 0..<width {
                let columns = Swift.min(factor, sourceWidth - x * factor)
                let count = UInt32(rows * columns)
                let index = (y * width + x) * 4
                for channel in 0..<4 { pixels[index + channel] = UInt8((sums[index + channel] + count / 2) / count) }
            }
        }
        return PreviewTexture(width: width, height: height, pixels: pixels)
    }
}
