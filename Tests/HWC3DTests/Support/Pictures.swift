import CVips
import Foundation

/// Test pictures made here with libvips (nothing binary in the repository), and libvips reading back what was stored.
enum Pictures {
    enum Format { case jpeg, png, webp }

    static let ready: Bool = vips_init("hwc3d-tests") == 0
    static let secret = "HWC3D-SECRET-LOCATION-42"

    static func gradient(width: Int, height: Int, bands: Int) -> [UInt8] {
        var pixels = [UInt8]()
        pixels.reserveCapacity(width * height * bands)
        for y in 0..<height {
            for x in 0..<width {
                for band in 0..<bands {
                    pixels.append(UInt8(truncatingIfNeeded: band == 0 ? x * 255 / max(1, width - 1) : band == 1 ? y * 255 / max(1, height - 1) : (x ^ y)))
                }
            }
        }
        return pixels
    }

    /// Incompressible RGB, so its encodings are large.
    static func noise(width: Int, height: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<(width * height * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func png(width: Int, height: Int) -> [UInt8] {
        encode(gradient(width: width, height: height, bands: 3), width: width, height: height, bands: 3, as: .png) ?? []
    }

    static func encode(_ pixels: [UInt8], width: Int, height: Int, bands: Int, as format: Format) -> [UInt8]? {
        guard ready else { return nil }
        return pixels.withUnsafeBytes { raw -> [UInt8]? in
            defer { vips_error_clear() }
            guard let image = vips_image_new_from_memory_copy(raw.baseAddress, raw.count, Int32(width), Int32(height), Int32(bands), VIPS_FORMAT_UCHAR)
            else { return nil }
            defer { hwc3d_g_object_unref(image) }
            var buffer: UnsafeMutableRawPointer?
            var length = 0
            let status = switch format {
            case .jpeg: hwc3d_vips_jpegsave_buffer(image, &buffer, &length, 90)
            case .png: hwc3d_vips_pngsave_buffer(image, &buffer, &length)
            case .webp: hwc3d_vips_webpsave_buffer(image, &buffer, &length, 80)
            }
            guard status == 0, let buffer else { return nil }
            defer { g_free(buffer) }
            return [UInt8](UnsafeRawBufferPointer(start: buffer, count: length))
        }
    }

    struct Header {
        let width: Int
        let height: Int
        let bands: Int
        let hasEXIF: Bool
        let orientation: Int?
    }

    /// What the header says, without decoding pixels.
    static func metadata(_ bytes: [UInt8]) -> Header? {
        guard ready else { return nil }
        var copy = bytes
        return copy.withUnsafeMutableBytes { raw -> Header? in
            defer { vips_error_clear() }
            guard let image = hwc3d_vips_image_new_from_buffer(raw.baseAddress, raw.count) else { return nil }
            defer { hwc3d_g_object_unref(image) }
            var orientation: Int32 = 0
            let hasOrientation = vips_image_get_typeof(image, "orientation") != 0 && vips_image_get_int(image, "orientation", &orientation) == 0
            return Header(
                width: Int(vips_image_get_width(image)), height: Int(vips_image_get_height(image)), bands: Int(vips_image_get_bands(image)),
                hasEXIF: vips_image_get_typeof(image, "exif-data") != 0, orientation: hasOrientation ? Int(orientation) : nil)
        }
    }

    static func decode(_ bytes: [UInt8]) -> Header? {
        guard let pixels = pixels(bytes) else { return nil }
        return Header(width: pixels.width, height: pixels.height, bands: pixels.bands, hasEXIF: false, orientation: nil)
    }

    /// Every pixel, decoded (which also proves the file is complete).
    static func pixels(_ bytes: [UInt8]) -> (width: Int, height: Int, bands: Int, bytes: [UInt8])? {
        guard ready else { return nil }
        var copy = bytes
        return copy.withUnsafeMutableBytes { raw -> (Int, Int, Int, [UInt8])? in
            defer { vips_error_clear() }
            guard let image = hwc3d_vips_image_new_from_buffer(raw.baseAddress, raw.count) else { return nil }
            defer { hwc3d_g_object_unref(image) }
            var size = 0
            guard let memory = vips_image_write_to_memory(image, &size) else { return nil }
            defer { g_free(memory) }
            return (Int(vips_image_get_width(image)), Int(vips_image_get_height(image)), Int(vips_image_get_bands(image)),
                    [UInt8](UnsafeRawBufferPointer(start: memory, count: size)))
        }
    }

    static func contains(_ bytes: [UInt8], _ text: String) -> Bool {
        let needle = Array(text.utf8)
        guard bytes.count >= needle.count else { return false }
        return (0...(bytes.count - needle.count)).contains { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    /// The JPEG with an EXIF APP1 segment after its JFIF header: orientation, an image description and a GPS
    /// latitude, in a big-endian TIFF structure as cameras write it.
    static func withEXIF(_ jpeg: [UInt8], orientation: UInt16, description: String) -> [UInt8] {
        func be16(_ value: Int) -> [UInt8] { [UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }
        func be32(_ value: Int) -> [UInt8] { be16(value >> 16) + be16(value & 0xFFFF) }
        func entry(_ tag: Int, _ type: Int, _ count: Int, _ value: [UInt8]) -> [UInt8] { be16(tag) + be16(type) + be32(count) + value }
        let text = Array(description.utf8) + [0]
        // Layout: header (8), IFD0 with 3 entries (42), GPS IFD with 2 entries (30), 3 rationals (24), text.
        let gpsOffset = 8 + 42, rationalsOffset = gpsOffset + 30, textOffset = rationalsOffset + 24
        var tiff: [UInt8] = Array("MM".utf8) + be16(42) + be32(8)
        tiff += be16(3)
        tiff += entry(0x010E, 2, text.count, be32(textOffset))  // ImageDescription, ASCII
        tiff += entry(0x0112, 3, 1, be16(Int(orientation)) + [0, 0])  // Orientation, SHORT
        tiff += entry(0x8825, 4, 1, be32(gpsOffset))  // GPS IFD pointer, LONG
        tiff += be32(0)
        tiff += be16(2)
        tiff += entry(0x0001, 2, 2, Array("N".utf8) + [0, 0, 0])  // GPSLatitudeRef
        tiff += entry(0x0002, 5, 3, be32(rationalsOffset))  // GPSLatitude, 3 RATIONALs
        tiff += be32(0)
        for degrees in [48, 51, 30] { tiff += be32(degrees) + be32(1) }
        tiff += text
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let segment: [UInt8] = [0xFF, 0xE1] + be16(payload.count + 2) + payload
        var insertAt = 2
        if jpeg.count > 6, jpeg[2] == 0xFF, jpeg[3] == 0xE0 { insertAt = 4 + (Int(jpeg[4]) << 8 | Int(jpeg[5])) }
        return Array(jpeg[..<insertAt]) + segment + Array(jpeg[insertAt...])
    }

    /// The PNG with its IHDR rewritten to claim another size (and a matching CRC, so the header is believed).
    static func claimingPNG(_ png: [UInt8], width: Int, height: Int) -> [UInt8]? {
        guard png.count > 33, Array(png[12..<16]) == Array("IHDR".utf8) else { return nil }
        var bytes = png
        for (offset, value) in [(16, width), (20, height)] {
            for i in 0..<4 { bytes[offset + i] = UInt8(value >> (8 * (3 - i)) & 0xFF) }
        }
        let crc = crc32(Array(bytes[12..<29]))
        for i in 0..<4 { bytes[29 + i] = UInt8(crc >> (8 * UInt32(3 - i)) & 0xFF) }
        return bytes
    }

    /// The JPEG with its start-of-frame rewritten to claim another size.
    static func claimingJPEG(_ jpeg: [UInt8], width: Int, height: Int) -> [UInt8]? {
        var index = 2
        while index + 9 < jpeg.count, jpeg[index] == 0xFF {
            let marker = jpeg[index + 1]
            if [0xC0, 0xC1, 0xC2].contains(marker) {
                var bytes = jpeg
                bytes[index + 5] = UInt8(height >> 8); bytes[index + 6] = UInt8(height & 0xFF)
                bytes[index + 7] = UInt8(width >> 8); bytes[index + 8] = UInt8(width & 0xFF)
                return bytes
            }
            index += 2 + (Int(jpeg[index + 2]) << 8 | Int(jpeg[index + 3]))
        }
        return nil
    }

    /// The lossy WEBP with its frame header (and extended header, when there is one) rewritten to claim another
    /// size: 14 bits each in the `VP8 ` frame, 24 bits (minus one) each on the `VP8X` canvas.
    static func claimingWEBP(_ webp: [UInt8], width: Int, height: Int) -> [UInt8]? {
        guard webp.count > 20, Array(webp[8..<12]) == Array("WEBP".utf8) else { return nil }
        var bytes = webp
        var offset = 12
        var patchedFrame = false
        while offset + 8 <= bytes.count {
            let fourcc = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            let payload = offset + 8
            if fourcc == "VP8X" {
                for (at, value) in [(payload + 4, width - 1), (payload + 7, height - 1)] {
                    for i in 0..<3 { bytes[at + i] = UInt8(value >> (8 * i) & 0xFF) }
                }
            } else if fourcc == "VP8 " {
                guard Array(bytes[payload + 3..<payload + 6]) == [0x9D, 0x01, 0x2A] else { return nil }
                bytes[payload + 6] = UInt8(width & 0xFF); bytes[payload + 7] = UInt8(width >> 8 & 0x3F)
                bytes[payload + 8] = UInt8(height & 0xFF); bytes[payload + 9] = UInt8(height >> 8 & 0x3F)
                patchedFrame = true
            }
            offset = payload + size + (size & 1)
        }
        return patchedFrame ? bytes : nil
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
