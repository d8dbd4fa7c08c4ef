import Foundation

/// An 8-bit sRGB colour.
public struct PreviewColor: Sendable, Equatable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }
}

/// How a preview is drawn. The defaults are the ones the marketplace stores: a 1280 × 960 picture, supersampled
/// 2 × 2, from a three-quarter view above and to the right of the model's front (+Z in glTF's frame).
public struct PreviewRenderOptions: Sendable, Equatable {
    public var width = 1280
    public var height = 960
    /// Samples per pixel along each axis; the picture is drawn this many times larger and averaged down.
    public var supersampling = 2
    /// Camera direction around the vertical axis, from the front (+Z) towards the right (+X).
    public var azimuthDegrees: Float = 35
    /// Camera height above the horizon.
    public var elevationDegrees: Float = 25
    public var verticalFieldOfViewDegrees: Float = 30
    /// Share of the picture's width and height kept free on each side of the model.
    public var margin: Float = 0.08
    public var backgroundTop = PreviewColor(238, 239, 241)
    public var backgroundBottom = PreviewColor(196, 199, 204)
    /// The model's colour under full light: a neutral clay, so the shape reads without suggesting a material.
    public var surface = PreviewColor(200, 190, 176)

    public init() {}

    public static let standard = PreviewRenderOptions()
    /// Largest sample buffer (width × height × supersampling²) a render may allocate: eight bytes each.
    public static let maxSamples = 64 * 1024 * 1024
}

/// A rendered picture: `width × height` RGB pixels, rows top to bottom, three bytes each.
public struct PreviewImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public func pixel(x: Int, y: Int) -> PreviewColor {
        let index = (y * width + x) * 3
        return PreviewColor(pixels[index], pixels[index + 1], pixels[index + 2])
    }
}

/// Draws `PreviewGeometry` in software: perspective camera framed on the model, z-buffered triangles with flat
/// Lambert shading (a key light, a fill light and sky/ground ambient), both sides of every face lit alike (files
/// rarely agree on winding), on a light grey vertical gradient, supersampled and averaged down.
///
/// Single-threaded and free of any randomness, so the same geometry and options give the same bytes every time.
public enum PreviewRenderer {
    public static func render(_ geometry: PreviewGeometry, options: PreviewRenderOptions = .standard) throws -> PreviewImage {
        guard (1...8192).contains(options.width), (1...8192).contains(options.height), (1...4).contains(options.supersampling),
              options.verticalFieldOfViewDegrees > 1, options.verticalFieldOfViewDegrees < 170,
              options.margin >= 0, options.margin < 0.5 else {
            throw MeshInspectionError(.limitExceeded, "The preview size or camera settings are out of range.")
        }
        let sampleWidth = options.width * options.supersampling
        let sampleHeight = options.height * options.supersampling
        guard sampleWidth * sampleHeight <= PreviewRenderOptions.maxSamples else {
            throw MeshInspectionError(.limitExceeded, "A \(options.width) × \(options.height) preview at \(options.supersampling)× supersampling needs too much memory.")
        }
        var target = SampleBuffer(width: sampleWidth, height: sampleHeight, options: options)
        if let camera = PreviewCamera(framing: geometry, width: sampleWidth, height: sampleHeight, options: options) {
            let shader = FlatShader(camera: camera, surface: options.surface)
            try geometry.positions.withUnsafeBufferPointer { positions in
                try target.draw(positions, camera: camera, shader: shader)
            }
        }
        return target.downsampled(by: options.supersampling)
    }
}

/// Flat shading of one face from its world-space normal, in linear light, returned as packed 8-bit sRGB.
struct FlatShader {
    let key: SIMD3<Float>
    let fill: SIMD3<Float>
    let eye: SIMD3<Float>
    let surface: SIMD3<Float>

    init(camera: PreviewCamera, surface colour: PreviewColor) {
        // Lights turn with the camera, so every view is lit the same way: key from the upper left, fill from the right.
        key = simdNormalize(-0.45 * camera.right + 0.8 * camera.up + 0.55 * camera.back)
        fill = simdNormalize(0.8 * camera.right + 0.1 * camera.up + 0.4 * camera.back)
        eye = camera.eye
        surface = SIMD3(SRGB.toLinear(colour.red), SRGB.toLinear(colour.green), SRGB.toLinear(colour.blue))
    }

    /// nil for a face with no area.
    @inline(__always)
    func colour(_ a: SIMD3<Float>, _ b: SIMD3<Float>, _ c: SIMD3<Float>) -> UInt32? {
        var normal = simdCross(b - a, c - a)
        let lengthSquared = (normal * normal).sum()
        guard lengthSquared > 0, lengthSquared.isFinite else { return nil }
        normal /= lengthSquared.squareRoot()
        if (normal * (eye - a)).sum() < 0 { normal = -normal }
        let skyShare = 0.5 + 0.5 * normal.y
        let ambient = 0.2 + 0.12 * skyShare
        let light = ambient + 0.7 * Swift.max(0, (normal * key).sum()) + 0.25 * Swift.max(0, (normal * fill).sum())
        let linear = surface * light
        return SRGB.packed(linear)
    }
}

/// Linear-light ↔ sRGB conversions, through tables so a million faces cost a million lookups, not powers.
enum SRGB {
    static let encodeSteps = 4096
    private static let encodeTable: [UInt8] = (0...encodeSteps).map { step in
        let linear = Double(step) / Double(encodeSteps)
        let encoded = linear <= 0.0031308 ? 12.92 * linear : 1.055 * pow(linear, 1 / 2.4) - 0.055
        return UInt8((encoded * 255).rounded().clamped(to: 0...255))
    }

    static func toLinear(_ value: UInt8) -> Float {
        let encoded = Double(value) / 255
        return Float(encoded <= 0.04045 ? encoded / 12.92 : pow((encoded + 0.055) / 1.055, 2.4))
    }

    @inline(__always)
    static func encode(_ linear: Float) -> UInt32 {
        let step = Int((linear.clamped(to: 0...1) * Float(encodeSteps)).rounded())
        return UInt32(encodeTable[step])
    }

    @inline(__always)
    static func packed(_ linear: SIMD3<Float>) -> UInt32 {
        encode(linear.x) | encode(linear.y) << 8 | encode(linear.z) << 16
    }
}

extension Comparable {
    func clamped(to range: ClosedRange<Self>) -> Self { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}

@inline(__always)
func simdCross(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> SIMD3<Float> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

@inline(__always)
func simdNormalize(_ v: SIMD3<Float>) -> SIMD3<Float> {
    let length = (v * v).sum().squareRoot()
    return length > 0 ? v / length : v
}
