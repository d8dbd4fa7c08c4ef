import Foundation

/// The triangles of a scene in world space, flattened for drawing a preview: every instance placed by its own
/// transform, Y up and metres-or-file-units as the format has them (only the shape matters to a picture).
public struct PreviewGeometry: Sendable, Equatable {
    /// Nine floats per triangle: x, y, z of its three corners. Y is up, as in glTF; files in Blender's Z-up frame
    /// (FBX and BLEND, as their readers report them) are turned so their up is Y too.
    public var positions: [Float]
    /// Triangles the scene holds, every instance counted, before decimation (as declared, for primitives whose
    /// data cannot be read here).
    public var sourceTriangleCount: Int

    /// Nine floats per triangle when present: the x, y, z of each corner's unit normal, in the same frame as
    /// `positions`. A triangle whose first value is NaN has none of its own; the renderer then smooths or flattens
    /// it by the angle between neighbouring faces (see `SmoothNormals`).
    public var normals: [Float]?
    /// Six floats per triangle when present: u, v of each corner, glTF's convention (v down the image). NaN for a
    /// triangle without coordinates, which then shows its material's colour alone.
    public var textureCoordinates: [Float]?
    /// One entry per triangle when present: its index in `materials`; out of range means "no material" (clay).
    public var materialIndices: [UInt32]?
    /// The surfaces the triangles use, each a colour and optionally a texture.
    public var materials: [PreviewMaterial]
    /// One entry per triangle when present: which of its edges lie inside the polygon it was split from (bit 0:
    /// corner 0→1, bit 1: 1→2, bit 2: 2→0). The wireframe leaves those out, so quads and n-gons show as drawn.
    public var interiorEdges: [UInt8]?

    public init(positions: [Float], sourceTriangleCount: Int) {
        self.positions = positions
        self.sourceTriangleCount = sourceTriangleCount
        normals = nil
        textureCoordinates = nil
        materialIndices = nil
        materials = []
        interiorEdges = nil
    }

    /// Triangles with optional per-corner normals and texture coordinates, and per-triangle materials. Arrays
    /// whose length does not match the triangle count are dropped rather than trusted.
    public init(
        positions: [Float], sourceTriangleCount: Int, normals: [Float]?, textureCoordinates: [Float]?,
        materialIndices: [UInt32]?, materials: [PreviewMaterial]
    ) {
        self.init(positions: positions, sourceTriangleCount: sourceTriangleCount)
        let count = positions.count / 9
        self.normals = normals?.count == count * 9 ? normals : nil
        self.textureCoordinates = textureCoordinates?.count == count * 6 ? textureCoordinates : nil
        self.materialIndices = materialIndices?.count == count ? materialIndices : nil
        self.materials = materials
    }

    public var triangleCount: Int { positions.count / 9 }

    /// Axis-aligned box of the kept triangles; nil when there are none.
    public var bounds: (min: SIMD3<Float>, max: SIMD3<Float>)? {
        guard positions.count >= 9 else { return nil }
        var low = SIMD3<Float>(repeating: .infinity)
        var high = SIMD3<Float>(repeating: -.infinity)
        positions.withUnsafeBufferPointer { values in
            var index = 0
            while index + 2 < values.count {
                let point = SIMD3(values[index], values[index + 1], values[index + 2])
                low = pointwiseMin(low, point)
                high = pointwiseMax(high, point)
                index += 3
            }
        }
        return (low, high)
    }
}

extension MeshInspector {
    /// Enough triangles for a 1280-pixel picture to look like the model, few enough to draw in well under a second.
    public static let defaultPreviewTriangles = 1_000_000

    /// The world-space triangles of a 3D file, for drawing a preview. Formats: GLB, glTF (embedded data URIs),
    /// zip bundles of a glTF or OBJ, OBJ, FBX (binary and ASCII 7.x) and BLEND (2.80–4.x).
    ///
    /// A scene with more than `maxTriangles` triangles keeps an evenly spread, deterministic subset of about that
    /// many (every k-th), so time and memory stay bounded however large the file is. Fails with
    /// `MeshInspectionError` like `inspect`, and with `.unsupported` when there is nothing to draw (only points or
    /// lines, Draco primitives this decoder does not support, no mesh at all).
    public static func geometry(
        fileAt path: String, limits: InspectionLimits = .standard, maxTriangles: Int = defaultPreviewTriangles
    ) throws -> PreviewGeometry {
        let bytes = try MappedFile(path: path, limits: limits)
        let detected = try MeshFileSniffer.detect(bytes.data, limits: limits)
        return try geometry(bytes.data, as: detected, limits: limits, maxTriangles: maxTriangles)
    }

    /// In-memory form of `geometry(fileAt:limits:maxTriangles:)`.
    public static func geometry(
        _ data: Data, limits: InspectionLimits = .standard, maxTriangles: Int = defaultPreviewTriangles
    ) throws -> PreviewGeometry {
        try geometry(data, as: detect(data, limits: limits), limits: limits, maxTriangles: maxTriangles)
    }

    /// `detected` must come from `detect`.
    public static func geometry(
        _ data: Data, as detected: DetectedMeshFile, limits: InspectionLimits = .standard,
        maxTriangles: Int = defaultPreviewTriangles
    ) throws -> PreviewGeometry {
        guard data.count <= limits.maxFileBytes else {
            throw MeshInspectionError(
                .limitExceeded, "The file is \(data.count) bytes; the limit is \(limits.maxFileBytes) bytes.")
        }
        guard maxTriangles > 0 else {
            throw MeshInspectionError(.limitExceeded, "A preview needs room for at least one triangle.")
        }
        let geometry: PreviewGeometry = switch detected {
        case .glb: try GLTFGeometry.fromGLB(data, limits: limits, maxTriangles: maxTriangles)
        case .gltf: try GLTFGeometry.fromJSON(data, resources: .none, limits: limits, maxTriangles: maxTriangles)
        case .obj: try OBJGeometry.extract(data, limits: limits, maxTriangles: maxTriangles)
        case .fbxBinary: try FBXGeometry.extract(data, ascii: false, limits: limits, maxTriangles: maxTriangles)
        case .fbxASCII: try FBXGeometry.extract(data, ascii: true, limits: limits, maxTriangles: maxTriangles)
        case .blend(let compression):
            try BlendGeometry.extract(data, compression: compression, limits: limits, maxTriangles: maxTriangles)
        case .zipBundle: try bundleGeometry(data, limits: limits, maxTriangles: maxTriangles)
        }
        guard geometry.triangleCount > 0 else {
            throw MeshInspectionError(.unsupported, "The file has no faces a preview could be drawn from.")
        }
        return geometry
    }

    private static func bundleGeometry(_ data: Data, limits: InspectionLimits, maxTriangles: Int) throws -> PreviewGeometry {
        let bundle = try ZipBundle(data, limits: limits)
        let scene = try bundle.contents(of: bundle.scenePath)
        switch bundle.sceneFormat {
        case .gltf:
            let directory = bundle.scenePath.split(separator: "/").dropLast().joined(separator: "/")
            let resources = SceneResources(baseDirectory: directory) { path in try bundle.contents(ofReference: path) }
            return try GLTFGeometry.fromJSON(scene, resources: resources, limits: limits, maxTriangles: maxTriangles)
        default:
            // The OBJ's material libraries and textures colour the preview.
            let directory = bundle.scenePath.split(separator: "/").dropLast().joined(separator: "/")
            let resources = SceneResources(baseDirectory: directory) { path in try bundle.contents(ofReference: path) }
            return try OBJGeometry.extract(scene, resources: resources, limits: limits, maxTriangles: maxTriangles)
        }
    }
}

/// Keeps a deterministic, evenly spread subset of a stream of triangles, at most `budget` of them: every
/// `stride`-th triangle offered. When the total is known up front the stride is set once; otherwise it starts at 1
/// and doubles whenever the kept set outgrows the budget, which then drops every other kept triangle.
///
/// A triangle is `width` scalars (nine coordinates, or three vertex indices resolved later). Producers are asked
/// only for the triangles kept, so skipped ones cost nothing, not even a read of the file.
struct TriangleSubset<Scalar> {
    let budget: Int
    let width: Int
    private(set) var values: [Scalar] = []
    private(set) var stride: Int
    /// Triangles offered so far, kept or not, saturating: a hostile scene may place a huge mesh a million times.
    private(set) var offered = 0

    init(budget: Int, width: Int, expectedTotal: Int = 0) {
        // Far above any useful picture, low enough that `budget * width` cannot overflow.
        self.budget = Swift.min(Swift.max(1, budget), 1 << 40)
        self.width = width
        let total = Swift.max(0, expectedTotal)
        stride = Swift.max(1, total / self.budget + (total % self.budget == 0 ? 0 : 1))
        // The total may be a declaration the file does not back up: reserve no more than a typical picture needs.
        values.reserveCapacity(Swift.min(self.budget, total, 1 << 20) * width)
    }

    var count: Int { values.count / width }

    /// Offers the next `count` triangles. `write(i, &values)` is called for each kept one, `i` counting from 0
    /// within this batch, and appends its `width` scalars, or nothing to leave it out (a degenerate or non-finite
    /// triangle).
    @inline(__always)
    mutating func offer(_ count: Int, _ write: (Int, inout [Scalar]) throws -> Void) rethrows {
        guard count > 0, offered < Int.max else { return }
        let start = offered
        var index = firstKept(atOrAfter: start) &- start
        while index >= 0, index < count {
            try write(index, &values)
            if values.count > budget * width { thin() }
            let next = firstKept(atOrAfter: start &+ index &+ 1) &- start
            guard next > index else { break }
            index = next
        }
        let (sum, overflow) = offered.addingReportingOverflow(count)
        offered = overflow ? Int.max : sum
    }

    private func firstKept(atOrAfter position: Int) -> Int {
        let remainder = position % stride
        guard remainder != 0 else { return position }
        let (next, overflow) = position.addingReportingOverflow(stride - remainder)
        return overflow ? Int.max : next
    }

    /// Halves the kept set in place and doubles the stride for what comes next.
    private mutating func thin() {
        let kept = values.count / width
        var write = 0
        values.withUnsafeMutableBufferPointer { buffer in
            var triangle = 0
            while triangle < kept {
                let from = triangle * width
                if write != from {
                    for offset in 0..<width { buffer[write + offset] = buffer[from + offset] }
                }
                write += width
                triangle += 2
            }
        }
        values.removeLast(values.count - write)
        let (doubled, overflow) = stride.multipliedReportingOverflow(by: 2)
        stride = overflow ? Int.max : doubled
    }
}

extension TriangleSubset where Scalar == Float {
    /// Appends a triangle unless a coordinate is NaN or infinite (nothing sensible can be drawn from it).
    @inline(__always)
    static func append(_ a: SIMD3<Float>, _ b: SIMD3<Float>, _ c: SIMD3<Float>, to values: inout [Float]) {
        // x · 0 is 0 for every finite x and NaN for the rest: one vector test for all nine coordinates.
        var probe: SIMD3<Float> = a * Float(0)
        probe += b * Float(0)
        probe += c * Float(0)
        guard probe == SIMD3<Float>() else { return }
        values.append(a.x); values.append(a.y); values.append(a.z)
        values.append(b.x); values.append(b.y); values.append(b.z)
        values.append(c.x); values.append(c.y); values.append(c.z)
    }

    func geometry() -> PreviewGeometry {
        PreviewGeometry(positions: values, sourceTriangleCount: offered)
    }
}

/// A 3×4 affine transform in single precision, for placing many vertices quickly.
struct PreviewTransform {
    var row0: SIMD4<Float>
    var row1: SIMD4<Float>
    var row2: SIMD4<Float>

    init(_ affine: AffineTransform) {
        row0 = SIMD4<Float>(affine.rows[0])
        row1 = SIMD4<Float>(affine.rows[1])
        row2 = SIMD4<Float>(affine.rows[2])
    }

    /// From a glTF column-major 4×4 matrix.
    init(columnMajor m: [Double]) {
        row0 = SIMD4(Float(m[0]), Float(m[4]), Float(m[8]), Float(m[12]))
        row1 = SIMD4(Float(m[1]), Float(m[5]), Float(m[9]), Float(m[13]))
        row2 = SIMD4(Float(m[2]), Float(m[6]), Float(m[10]), Float(m[14]))
    }

    @inline(__always)
    func apply(_ x: Float, _ y: Float, _ z: Float) -> SIMD3<Float> {
        let p = SIMD4(x, y, z, 1)
        return SIMD3((row0 * p).sum(), (row1 * p).sum(), (row2 * p).sum())
    }

    /// Blender's Z-up frame (−Y forward) to glTF's Y-up frame (+Z forward), as Blender's glTF exporter turns it:
    /// (x, y, z) → (x, z, −y).
    static let blenderToYUp = AffineTransform(rows: [SIMD4(1, 0, 0, 0), SIMD4(0, 0, 1, 0), SIMD4(0, -1, 0, 0)])
}
