import Foundation

/// What a surface looks like in a preview: a base colour, optionally multiplied by a texture, as glTF's
/// metallic-roughness material defines `baseColorFactor` × `baseColorTexture`. The other formats' diffuse colours
/// and diffuse maps are read into the same shape.
public struct PreviewMaterial: Sendable, Equatable {
    /// Linear-light red, green, blue (alpha is ignored: previews are opaque).
    public var baseColor: SIMD3<Float>
    public var texture: PreviewTexture?
    /// Applied to texture coordinates before sampling (KHR_texture_transform, FBX and MTL offsets/scales):
    /// u' = row0 · (u, v, 1), v' = row1 · (u, v, 1).
    public var textureTransform: (row0: SIMD3<Float>, row1: SIMD3<Float>)

    public init(baseColor: SIMD3<Float>, texture: PreviewTexture? = nil) {
        self.baseColor = baseColor
        self.texture = texture
        textureTransform = (SIMD3(1, 0, 0), SIMD3(0, 1, 0))
    }

    /// From an 8-bit sRGB colour.
    public init(srgb colour: PreviewColor, texture: PreviewTexture? = nil) {
        self.init(
            baseColor: SIMD3(SRGB.toLinear(colour.red), SRGB.toLinear(colour.green), SRGB.toLinear(colour.blue)),
            texture: texture)
    }

    public static func == (lhs: PreviewMaterial, rhs: PreviewMaterial) -> Bool {
        lhs.baseColor == rhs.baseColor && lhs.texture == rhs.texture
            && lhs.textureTransform.row0 == rhs.textureTransform.row0
            && lhs.textureTransform.row1 == rhs.textureTransform.row1
    }

    /// A linear colour from file values, clamped to 0…1 with anything non-finite read as the neutral default.
    static func linear(_ red: Double, _ green: Double, _ blue: Double) -> SIMD3<Float> {
        func clean(_ value: Double) -> Float { value.isFinite ? Float(value.clamped(to: 0...1)) : 0.8 }
        return SIMD3(clean(red), clean(green), clean(blue))
    }
}

/// A decoded texture image, at most `PreviewTexture.maxSide` pixels on a side: RGBA, 8-bit sRGB, rows top to
/// bottom. Textures are scaled down when decoded, since a preview never shows more detail than that.
public struct PreviewTexture: Sendable, Equatable {
    public static let maxSide = 1024
    public let width: Int
    public let height: Int
    public let pixels: [UInt8]

    /// nil unless `pixels` holds exactly `width × height` RGBA pixels within the size limit.
    public init?(width: Int, height: Int, pixels: [UInt8]) {
        guard width > 0, height > 0, width <= Self.maxSide, height <= Self.maxSide, pixels.count == width * height * 4
        else { return nil }
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}
