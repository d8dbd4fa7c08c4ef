import Foundation

/// A 3×4 affine transform (rotation/scale/shear plus translation), enough to place vertices in world space for a
/// bounding box. Shared by the FBX reader (node transforms) and the BLEND reader (object matrices).
struct AffineTransform: Equatable {
    /// Row-major: `rows[r]` = (m[r][0], m[r][1], m[r][2], translation[r]).
    var rows: [SIMD4<Double>]

    static let identity = AffineTransform(rows: [SIMD4(1, 0, 0, 0), SIMD4(0, 1, 0, 0), SIMD4(0, 0, 1, 0)])

    static func translation(_ t: SIMD3<Double>) -> AffineTransform {
        AffineTransform(rows: [SIMD4(1, 0, 0, t.x), SIMD4(0, 1, 0, t.y), SIMD4(0, 0, 1, t.z)])
    }

    static func scale(_ s: SIMD3<Double>) -> AffineTransform {
        AffineTransform(rows: [SIMD4(s.x, 0, 0, 0), SIMD4(0, s.y, 0, 0), SIMD4(0, 0, s.z, 0)])
    }

    /// From a column-major 4×4 float matrix as Blender stores `obmat` (`mat[col][row]`).
    static func blenderMatrix(_ values: [Float]) -> AffineTransform? {
        guard values.count == 16, values.allSatisfy({ $0.isFinite }) else { return nil }
        func at(_ column: Int, _ row: Int) -> Double { Double(values[column * 4 + row]) }
        return AffineTransform(rows: (0..<3).map { row in
            SIMD4(at(0, row), at(1, row), at(2, row), at(3, row))
        })
    }

    static func rotationX(_ radians: Double) -> AffineTransform {
        let c = cos(radians), s = sin(radians)
        return AffineTransform(rows: [SIMD4(1, 0, 0, 0), SIMD4(0, c, -s, 0), SIMD4(0, s, c, 0)])
    }

    static func rotationY(_ radians: Double) -> AffineTransform {
        let c = cos(radians), s = sin(radians)
        return AffineTransform(rows: [SIMD4(c, 0, s, 0), SIMD4(0, 1, 0, 0), SIMD4(-s, 0, c, 0)])
    }

    static func rotationZ(_ radians: Double) -> AffineTransform {
        let c = cos(radians), s = sin(radians)
        return AffineTransform(rows: [SIMD4(c, -s, 0, 0), SIMD4(s, c, 0, 0), SIMD4(0, 0, 1, 0)])
    }

    /// Euler angles applied in `order` (e.g. "XYZ": X first), the convention of both FBX and Blender.
    static func euler(_ radians: SIMD3<Double>, order: String = "XYZ") -> AffineTransform {
        var result = AffineTransform.identity
        for axis in order {
            switch axis {
            case "X": result = rotationX(radians.x) * result
            case "Y": result = rotationY(radians.y) * result
            case "Z": result = rotationZ(radians.z) * result
            default: break
            }
        }
        return result
    }

    /// Unit quaternion (w, x, y, z) as Blender stores `quat`.
    static func quaternion(_ q: SIMD4<Double>) -> AffineTransform {
        let length = (q * q).sum().squareRoot()
        guard length > 1e-12, length.isFinite else { return .identity }
        let w = q[0] / length, x = q[1] / length, y = q[2] / length, z = q[3] / length
        return AffineTransform(rows: [
            SIMD4(1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y), 0),
            SIMD4(2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x), 0),
            SIMD4(2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y), 0),
        ])
    }

    /// Rotation by `angle` around `axis`, Blender's axis-angle rotation mode.
    static func axisAngle(_ axis: SIMD3<Double>, _ angle: Double) -> AffineTransform {
        let length = (axis * axis).sum().squareRoot()
        guard length > 1e-12, length.isFinite else { return .identity }
        let half = angle / 2, s = sin(half) / length
        return quaternion(SIMD4(cos(half), axis.x * s, axis.y * s, axis.z * s))
    }

    static func * (a: AffineTransform, b: AffineTransform) -> AffineTransform {
        var rows: [SIMD4<Double>] = []
        rows.reserveCapacity(3)
        for r in 0..<3 {
            let row = a.rows[r]
            var out = SIMD4<Double>(0, 0, 0, row[3])
            for k in 0..<3 {
                out += row[k] * b.rows[k]
            }
            rows.append(out)
        }
        return AffineTransform(rows: rows)
    }

    func apply(_ p: SIMD3<Double>) -> SIMD3<Double> {
        let v = SIMD4(p.x, p.y, p.z, 1)
        return SIMD3((rows[0] * v).sum(), (rows[1] * v).sum(), (rows[2] * v).sum())
    }

    /// The inverse for pure rotations (orthonormal, no translation): its transpose.
    var rotationInverse: AffineTransform {
        AffineTransform(rows: (0..<3).map { r in SIMD4(rows[0][r], rows[1][r], rows[2][r], 0) })
    }
}

/// Running axis-aligned bounds over any number of points; non-finite points are ignored.
struct BoundsAccumulator {
    private var low = SIMD3<Double>(repeating: .infinity)
    private var high = SIMD3<Double>(repeating: -.infinity)
    private(set) var isEmpty = true
    var lowCorner: SIMD3<Double> { low }
    var highCorner: SIMD3<Double> { high }

    mutating func add(_ p: SIMD3<Double>) {
        guard p.x.isFinite, p.y.isFinite, p.z.isFinite else { return }
        low = pointwiseMin(low, p)
        high = pointwiseMax(high, p)
        isEmpty = false
    }

    /// Rounded to the micrometre so float noise from the file's 32-bit storage doesn't leak into reports.
    func box(scale: Double = 1) -> BoundingBox? {
        guard !isEmpty else { return nil }
        func tidy(_ v: SIMD3<Double>) -> [Double] {
            [v.x, v.y, v.z].map { value in
                let scaled = (value * scale * 1e6).rounded() / 1e6
                return scaled == 0 ? 0 : scaled
            }
        }
        let a = tidy(low), b = tidy(high)
        return BoundingBox(min: zip(a, b).map { Swift.min($0, $1) }, max: zip(a, b).map { Swift.max($0, $1) })
    }
}

/// Places instanced geometry in a bounding box within bounded time: a hostile file can make one big mesh appear
/// under a million transforms. Points are transformed one by one while `remaining` lasts; after that each instance
/// contributes the eight corners of its mesh's own box, transformed — a box that may be slightly larger than the
/// exact one, never smaller.
struct InstanceBoundsBudget {
    var remaining: Int
    private(set) var approximated = false

    init(points: Int = 50_000_000) {
        remaining = points
    }

    mutating func add(
        count: Int, transform: AffineTransform, localBox: () -> (low: SIMD3<Double>, high: SIMD3<Double>)?,
        points: ((SIMD3<Double>) -> Void) -> Void, to bounds: inout BoundsAccumulator
    ) {
        if count <= remaining {
            remaining -= count
            points { bounds.add(transform.apply($0)) }
            return
        }
        approximated = true
        guard let box = localBox() else { return }
        for corner in 0..<8 {
            let p = SIMD3(corner & 1 == 0 ? box.low.x : box.high.x,
                          corner & 2 == 0 ? box.low.y : box.high.y,
                          corner & 4 == 0 ? box.low.z : box.high.z)
            bounds.add(transform.apply(p))
        }
    }
}

extension BoundsAccumulator {
    /// The raw extremes, for reuse as a mesh's local box.
    var extremes: (low: SIMD3<Double>, high: SIMD3<Double>)? {
        isEmpty ? nil : (lowCorner, highCorner)
    }
}
