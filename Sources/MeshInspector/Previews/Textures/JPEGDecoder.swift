import Foundation

enum JPEGDecoder {
    static func isJPEG(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, limits: PreviewTextureDecoder.Limits) throws -> PreviewTexture? {
        throw TextureDecodingError("JPEG not yet supported")
    }
}
