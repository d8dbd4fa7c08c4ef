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
    /// The colour of triangles without a material under full light: a neutral clay, so the shape reads without
    /// suggesting a material.
    public var surface = PreviewColor(200, 190, 176)
    /// Which picture to draw: the shaded cover, the wireframe, or the four-view sheet.
    public var view = PreviewView.cover
    /// Faces meeting at a vertex at less than this angle are shaded smooth across it, sharper creases stay hard
    /// (Blender's auto smooth, default 30°); 0 shades every face flat. Only for triangles without file normals.
    public var autoSmoothDegrees: Float = 30
    /// Colour of the wireframe view's lines.
    public var wireColor = PreviewColor(38, 44, 56)

    public init() {}

    public static let standard = PreviewRenderOptions()
    /// Largest sample buffer (width × height × supersampling²) a render may allocate: eight bytes each.
    public static let maxSamples = 64 * 1024 * 1024
}

/// The pictures a preview can be.
public enum PreviewView: String, Sendable, Equatable, CaseIterable {
    /// The model in its materials' colours and textures, smooth-shaded, from the options' three-quarter view.
    case cover
    /// The same view, every triangle's edges drawn dark over a light neutral surface (hidden edges stay hidden).
    case wireframe
    /// Four views in a 2 × 2 grid: front and side (top row), top and the cover's perspective (bottom row). The
    /// three axis views are orthographic and share one scale, so their sizes can be compared.
    case sheet
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

/// Draws `PreviewGeometry` in software: a camera framed on the model, z-buffered triangles into a supersampled
/// visibility buffer, then one shading per pixel (per triangle and pixel along edges) with the materials'
/// colours and textures, smooth or flat normals and a studio light rig (see `SurfaceShader`), on a light grey
/// vertical gradient.
///
/// Single-threaded and free of any randomness, so the same geometry and options give the same bytes every time.
public enum PreviewRenderer {
    public static func render(_ geometry: PreviewGeometry, options: PreviewRenderOptions = .standard) throws -> PreviewImage {
        guard (1...8192).contains(options.width), (1...8192).contains(options.height), (1...4).contains(options.supersampling),
              options.verticalFieldOfViewDegrees > 1, options.verticalFieldOfViewDegrees < 170,
              options.margin >= 0, options.margin < 0.5, options.autoSmoothDegrees.isFinite,
              options.azimuthDegrees.isFinite, options.elevationDegrees.isFinite else {
            throw MeshInspectionError(.limitExceeded, "The preview size or camera settings are out of range.")
        }
        let sampleWidth = options.width * options.supersampling
        let sampleHeight = options.height * options.supersampling
        guard sampleWidth * sampleHeight <= PreviewRenderOptions.maxSamples else {
            throw MeshInspectionError(.limitExceeded, "A \(options.width) × \(options.height) preview at \(options.supersampling)× supersampling needs too much memory.")
        }
        let scene = PreviewScene(geometry, autoSmoothDegrees: options.autoSmoothDegrees)
        let orbit = PreviewViewpoint.orbit(azimuthDegrees: options.azimuthDegrees, elevationDegrees: options.elevationDegrees)
        switch options.view {
        case .cover, .wireframe:
            let camera = camera(scene, viewpoint: orbit, width: options.width, height: options.height, options: options)
            return try draw(scene, camera: camera, width: options.width, height: options.height, options: options, wireframe: options.view == .wireframe)
        case .sheet:
            return try sheet(scene, orbit: orbit, options: options)
        }
    }

    private static func camera(
        _ scene: PreviewScene, viewpoint: PreviewViewpoint, width: Int, height: Int, options: PreviewRenderOptions
    ) -> PreviewCamera? {
        PreviewCamera(
            framing: scene.positions, bounds: scene.bounds, width: width * options.supersampling,
            height: height * options.supersampling, viewpoint: viewpoint,
            verticalFieldOfViewDegrees: options.verticalFieldOfViewDegrees, margin: options.margin)
    }

    private static func draw(
        _ scene: PreviewScene, camera: PreviewCamera?, width: Int, height: Int, options: PreviewRenderOptions, wireframe: Bool
    ) throws -> PreviewImage {
        var target = SampleBuffer(width: width * options.supersampling, height: height * options.supersampling)
        var shader: SurfaceShader?
        if let camera {
            let normals = try scene.positions.withUnsafeBufferPointer { positions in
                try target.draw(positions, camera: camera)
                return SmoothNormals(
                    positions: positions, fileNormals: scene.fileNormals, maxAngleDegrees: scene.autoSmoothDegrees,
                    triangles: target.visibleTriangles(count: positions.count / 9))
            }
            shader = SurfaceShader(scene: scene, camera: camera, normals: normals, options: options, wireframe: wireframe)
        }
        return PreviewResolve.image(target, factor: options.supersampling, shader: shader, options: options)
    }

    /// Front, side, top and perspective in the four quarters of the picture, separated by a one-pixel line.
    private static func sheet(_ scene: PreviewScene, orbit: PreviewViewpoint, options: PreviewRenderOptions) throws -> PreviewImage {
        let cellWidth = Swift.max(1, (options.width - 1) / 2), cellHeight = Swift.max(1, (options.height - 1) / 2)
        let axes: [PreviewViewpoint] = [.front, .side, .top]
        var cameras = axes.map { camera(scene, viewpoint: $0, width: cellWidth, height: cellHeight, options: options) }
        if let shared = cameras.compactMap({ $0?.scale }).min() {
            cameras = cameras.map { $0?.scaled(to: shared) }
        }
        cameras.append(camera(scene, viewpoint: orbit, width: cellWidth, height: cellHeight, options: options))
        var pixels = [UInt8](repeating: 0, count: options.width * options.height * 3)
        let line = options.backgroundBottom
        for index in 0..<(options.width * options.height) {
            pixels[index * 3] = line.red &- Swift.min(line.red, 24)
            pixels[index * 3 + 1] = line.green &- Swift.min(line.green, 24)
            pixels[index * 3 + 2] = line.blue &- Swift.min(line.blue, 24)
        }
        for (index, camera) in cameras.enumerated() {
            let cell = try draw(scene, camera: camera, width: cellWidth, height: cellHeight, options: options, wireframe: false)
            let left = index % 2 == 0 ? 0 : options.width - cellWidth
            let top = index < 2 ? 0 : options.height - cellHeight
            for row in 0..<cellHeight {
                let from = row * cellWidth * 3
                let to = ((top + row) * options.width + left) * 3
                pixels.replaceSubrange(to..<(to + cellWidth * 3), with: cell.pixels[from..<(from + cellWidth * 3)])
            }
        }
        return PreviewImage(width: options.width, height: options.height, pixels: pixels)
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

    /// `toLinear` of every byte.
    static let linearTable: [Float] = (0...255).map { toLinear(UInt8($0)) }

    static func toLinear(_ value: UInt8) -> Float {
        let encoded = Double(value) / 255
        return Float(encoded <= 0.04045 ? encoded / 12.92 : pow((encoded + 0.055) / 1.055, 2.4))
    }

    @inline(__always)
    static func encode(_ linear: Float) -> UInt32 {
        // Clamped first, so adding ½ and truncating rounds (and a NaN, failing both comparisons, reads as 0).
        let clamped = linear > 0 ? (linear < 1 ? linear : 1) : 0
        let step = Int(clamped * Float(encodeSteps) + 0.5)
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
