import Foundation
import Testing
@testable import MeshInspector

/// Small shapes built from quads, so a test can triangulate them along either diagonal, subdivide them, and move,
/// scale, rotate, reorder or thin their triangles.
enum Shapes {
    struct Named: CustomTestStringConvertible, Sendable {
        var name: String
        /// Four corners per quad, in order around it; a triangle is a quad with its last corner repeated.
        var quads: [[SIMD3<Float>]]
        var testDescription: String { name }

        /// Each quad split along its 0–2 diagonal.
        var positions: [Float] { Shapes.triangulate(quads, flipped: false) }
        /// Each quad split along its 1–3 diagonal.
        var flippedDiagonals: [Float] { Shapes.triangulate(quads, flipped: true) }
        /// Each quad cut bilinearly into 24 × 24, for thinning: thousands of triangles, so that keeping every k-th one leaves stripes much narrower than the shape, as it does in the million-triangle scenes previews thin.
        var finePositions: [Float] {
            var fine: [[SIMD3<Float>]] = []
            let n = 24
            for quad in quads {
                func at(_ i: Int, _ j: Int) -> SIMD3<Float> {
                    let u = Float(i) / Float(n), v = Float(j) / Float(n)
                    let bottom = quad[0] + (quad[1] - quad[0]) * u, top = quad[3] + (quad[2] - quad[3]) * u
                    return bottom + (top - bottom) * v
                }
                for i in 0..<n { for j in 0..<n { fine.append([at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)]) } }
            }
            return Shapes.triangulate(fine, flipped: false)
        }
    }

    static let all: [Named] = [
        box([1, 1, 1]), box([2, 2, 0.2]),
        parametric("sphere", 24, 12) { u, v in
            SIMD3(cos(2 * .pi * u) * sin(.pi * v), cos(.pi * v), sin(2 * .pi * u) * sin(.pi * v))
        },
        parametric("torus", 24, 12) { u, v in
            let ring = 1 + 0.3 * cos(2 * .pi * v)
            return SIMD3(ring * cos(2 * .pi * u), 0.3 * sin(2 * .pi * v), ring * sin(2 * .pi * u))
        },
        parametric("cone", 24, 6) { u, v in SIMD3((1 - v) * cos(2 * .pi * u), 2 * v, (1 - v) * sin(2 * .pi * u)) },
        Named(name: "two boxes apart", quads: box([1, 1, 1]).quads + box([1, 1, 1]).quads.map { $0.map { $0 + [4, 0, 0] } }),
    ]

    static func box(_ size: SIMD3<Float>) -> Named {
        let h = size / 2
        var quads: [[SIMD3<Float>]] = []
        for axis in 0..<3 {
            for sign: Float in [-1, 1] {
                let u = (axis + 1) % 3, v = (axis + 2) % 3
                func corner(_ a: Float, _ b: Float) -> SIMD3<Float> {
                    var p = SIMD3<Float>()
                    p[axis] = sign * h[axis]; p[u] = a * h[u]; p[v] = b * h[v]
                    return p
                }
                quads.append([corner(-1, -1), corner(1, -1), corner(1, 1), corner(-1, 1)])
            }
        }
        return Named(name: "box \(size.x)×\(size.y)×\(size.z)", quads: quads)
    }

    static func parametric(_ name: String, _ columns: Int, _ rows: Int, _ f: (Float, Float) -> SIMD3<Float>) -> Named {
        var quads: [[SIMD3<Float>]] = []
        for i in 0..<columns {
            for j in 0..<rows {
                let u0 = Float(i) / Float(columns), u1 = Float(i + 1) / Float(columns)
                let v0 = Float(j) / Float(rows), v1 = Float(j + 1) / Float(rows)
                quads.append([f(u0, v0), f(u1, v0), f(u1, v1), f(u0, v1)])
            }
        }
        return Named(name: name, quads: quads)
    }

    static func triangulate(_ quads: [[SIMD3<Float>]], flipped: Bool) -> [Float] {
        var positions: [Float] = []
        for q in quads {
            let triangles = flipped ? [[q[1], q[2], q[3]], [q[1], q[3], q[0]]] : [[q[0], q[1], q[2]], [q[0], q[2], q[3]]]
            for triangle in triangles { for p in triangle { positions += [p.x, p.y, p.z] } }
        }
        return positions
    }

    /// Rotated by a seeded random rotation, scaled and moved.
    static func transform(_ positions: [Float], seed: UInt64, scale: Float, offset: SIMD3<Float>) -> [Float] {
        var generator = SplitMix64(seed: seed)
        func uniform() -> Double { Double(generator.next() >> 11) / Double(1 << 53) }
        // A uniformly random unit quaternion (Shoemake).
        let a = uniform(), b = 2 * Double.pi * uniform(), c = 2 * Double.pi * uniform()
        let q = SIMD4((1 - a).squareRoot() * sin(b), (1 - a).squareRoot() * cos(b), a.squareRoot() * sin(c), a.squareRoot() * cos(c))
        let (x, y, z, w) = (q.x, q.y, q.z, q.w)
        let rows = [
            SIMD3(1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)),
            SIMD3(2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)),
            SIMD3(2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)),
        ]
        var result = positions
        for index in stride(from: 0, to: positions.count, by: 3) {
            let p = SIMD3<Double>(Double(positions[index]), Double(positions[index + 1]), Double(positions[index + 2]))
            for axis in 0..<3 { result[index + axis] = Float((rows[axis] * p).sum() * Double(scale)) + offset[axis] }
        }
        return result
    }

    /// Reflected in the plane x = 0.
    static func mirror(_ positions: [Float]) -> [Float] {
        positions.enumerated().map { $0.offset % 3 == 0 ? -$0.element : $0.element }
    }

    /// Triangles shuffled, and each one's corners rotated (winding kept).
    static func reorder(_ positions: [Float], seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        var triangles = stride(from: 0, to: positions.count, by: 9).map { Array(positions[$0..<($0 + 9)]) }
        for index in triangles.indices.reversed() where index > 0 {
            triangles.swapAt(index, Int(generator.next() % UInt64(index + 1)))
        }
        return triangles.flatMap { triangle in
            let shift = Int(generator.next() % 3) * 3
            return Array(triangle[shift...] + triangle[..<shift])
        }
    }

    /// Every `every`-th triangle, as a preview of a huge scene keeps them.
    static func thin(_ positions: [Float], every: Int) -> [Float] {
        stride(from: 0, to: positions.count, by: 9 * every).flatMap { positions[$0..<($0 + 9)] }
    }
}
