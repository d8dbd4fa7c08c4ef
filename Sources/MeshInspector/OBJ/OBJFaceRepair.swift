/// How Blender 3.4's OBJ importer rebuilds a face that uses a vertex more than once.
///
/// Blender (`fixup_invalid_faces` in its OBJ importer) projects such a face onto the plane of its Newell normal (the
/// XY plane when that normal is zero), runs a constrained Delaunay triangulation of the face's edges and keeps the
/// regions they enclose as new polygons. Here the face is split at each repeated vertex into simple loops, which are
/// exactly those regions when the loops do not overlap. Checked against Blender 3.4.1:
/// - repeats next to each other, and a last corner repeating the first, vanish: `f 1 2 2 3 1` is a triangle;
/// - a loop gone round again, in either direction, is one polygon: `f 1 2 3 4 1 2 3 4` is one quad;
/// - loops meeting at a vertex are separate polygons: `f 1 2 3 1 4 5` is two triangles;
/// - loops enclosing no area make no polygon: a spur (`f 1 2 3 2`), a path walked back (`f 1 2 3 3 2 1`),
///   collinear corners, a loop seen edge-on in the projection.
/// When loops overlap, nest (a hole) or cross themselves, Blender's triangulation cuts the face differently; those
/// faces are still split into loops here but marked inexact, and the report says the counts are approximate.
enum OBJFaceRepair {
    struct Repair {
        /// Vertex indices of each polygon the face becomes.
        var loops: [[UInt32]] = []
        /// False when the loops overlap or cross (or were too many to check), where Blender's result differs.
        var isExact = true
    }

    /// Most edge pairs the overlap check tests for one face; a larger face is marked inexact without checking.
    static let maxEdgePairs = 1 << 16

    /// Most edge pairs the overlap checks of one file may test (`checkBudget`), so a file of many large repeated
    /// faces stays linear; past it faces are marked inexact without checking.
    static let fileEdgePairBudget = 1 << 22

    /// `corners` are 0-based vertex indices, each below `coordinates.count / 3`; `checkBudget` is what is left of
    /// `fileEdgePairBudget`.
    static func repair(
        _ corners: [UInt32], coordinates: UnsafeBufferPointer<Float>, checkBudget: inout Int
    ) -> Repair {
        guard corners.count >= 3 else { return Repair() }
        let plane = Projection(corners, coordinates)
        var repair = Repair()
        var seen = Set<[UInt32]>()
        for loop in simpleLoops(corners) where seen.insert(canonical(loop)).inserted {
            if plane.enclosesArea(loop) { repair.loops.append(loop) }
        }
        let edges = repair.loops.reduce(0) { $0 + $1.count }
        let pairs = edges * edges
        guard pairs <= maxEdgePairs, pairs <= checkBudget else {
            repair.isExact = false
            return repair
        }
        checkBudget -= pairs
        repair.isExact = plane.loopsAreDisjoint(repair.loops)
        return repair
    }

    /// Splits the corners into loops at every repeated vertex: repeats next to each other collapse, and a vertex met
    /// again closes the loop walked since its first visit. Loops under 3 corners vanish.
    static func simpleLoops(_ corners: [UInt32]) -> [[UInt32]] {
        var collapsed: [UInt32] = []
        collapsed.reserveCapacity(corners.count)
        for corner in corners where collapsed.last != corner { collapsed.append(corner) }
        while collapsed.count > 1, collapsed.first == collapsed.last { collapsed.removeLast() }

        var loops: [[UInt32]] = []
        var path: [UInt32] = []
        var positionOnPath: [UInt32: Int] = [:]
        for corner in collapsed {
            if let start = positionOnPath[corner] {
                if path.count - start >= 3 { loops.append(Array(path[start...])) }
                for removed in path[(start + 1)...] { positionOnPath[removed] = nil }
                path.removeSubrange((start + 1)...)
            } else {
                positionOnPath[corner] = path.count
                path.append(corner)
            }
        }
        if path.count >= 3 { loops.append(path) }
        return loops
    }

    /// The same key for a loop whichever corner it starts at and whichever way it runs: Blender's triangulation
    /// merges edges walked twice, so such loops are one region.
    static func canonical(_ loop: [UInt32]) -> [UInt32] {
        guard let low = loop.indices.min(by: { loop[$0] < loop[$1] }) else { return loop }
        let forward = Array(loop[low...] + loop[..<low])
        let backward = [forward[0]] + forward.dropFirst().reversed()
        return forward.lexicographicallyPrecedes(backward) ? forward : backward
    }

    /// The face's vertices in the 2D plane Blender triangulates it in.
    private struct Projection {
        private var points: [UInt32: SIMD2<Double>] = [:]

        init(_ corners: [UInt32], _ coordinates: UnsafeBufferPointer<Float>) {
            func point(_ vertex: UInt32) -> SIMD3<Double> {
                let base = Int(vertex) * 3
                return SIMD3(Double(coordinates[base]), Double(coordinates[base + 1]), Double(coordinates[base + 2]))
            }
            // Newell's normal over every corner, repeats included, as Blender computes it.
            var normal = SIMD3<Double>(repeating: 0)
            var previous = point(corners[corners.count - 1])
            for corner in corners {
                let current = point(corner)
                normal.x += (previous.y - current.y) * (previous.z + current.z)
                normal.y += (previous.z - current.z) * (previous.x + current.x)
                normal.z += (previous.x - current.x) * (previous.y + current.y)
                previous = current
            }
            let length = (normal * normal).sum().squareRoot()
            normal = length > 0 && length.isFinite ? normal / length : SIMD3(0, 0, 1)
            // Any orthonormal pair spanning the plane: areas and insideness do not depend on which.
            let helper: SIMD3<Double> = abs(normal.x) < 0.9 ? SIMD3(1, 0, 0) : SIMD3(0, 1, 0)
            var u = helper - normal * (helper * normal).sum()
            u /= (u * u).sum().squareRoot()
            let v = SIMD3(normal.y * u.z - normal.z * u.y, normal.z * u.x - normal.x * u.z, normal.x * u.y - normal.y * u.x)
            for corner in corners where points[corner] == nil {
                let p = point(corner)
                points[corner] = SIMD2((p * u).sum(), (p * v).sum())
            }
        }

        private func at(_ vertex: UInt32) -> SIMD2<Double> { points[vertex] ?? .zero }

        /// Whether the loop's projection has an area beyond rounding (collinear or edge-on loops do not).
        func enclosesArea(_ loop: [UInt32]) -> Bool {
            var low = SIMD2<Double>(repeating: .infinity)
            var high = SIMD2<Double>(repeating: -.infinity)
            var twiceArea = 0.0
            for (index, vertex) in loop.enumerated() {
                let a = at(vertex)
                let b = at(loop[(index + 1) % loop.count])
                twiceArea += a.x * b.y - b.x * a.y
                low = pointwiseMin(low, a)
                high = pointwiseMax(high, a)
            }
            let extent = (high - low).max()
            return abs(twiceArea) > extent * extent * 1e-9
        }

        /// True when no two edges cross and no loop reaches inside another. Costs about (edges)² steps.
        func loopsAreDisjoint(_ loops: [[UInt32]]) -> Bool {
            var edges: [(UInt32, UInt32)] = []
            for loop in loops {
                for (index, vertex) in loop.enumerated() { edges.append((vertex, loop[(index + 1) % loop.count])) }
            }
            for i in edges.indices {
                for j in (i + 1)..<edges.count {
                    let (a, b) = edges[i]
                    let (c, d) = edges[j]
                    if a == c || a == d || b == c || b == d { continue }
                    if properlyCross(at(a), at(b), at(c), at(d)) { return false }
                }
            }
            for (i, outer) in loops.enumerated() {
                let members = Set(outer)
                for (j, inner) in loops.enumerated() where i != j {
                    for (index, vertex) in inner.enumerated() {
                        let next = inner[(index + 1) % inner.count]
                        if !members.contains(vertex), strictlyInside(at(vertex), outer) { return false }
                        // Both ends on the other loop: the edge may still cut through it (a diagonal).
                        if members.contains(vertex), members.contains(next),
                           strictlyInside((at(vertex) + at(next)) / 2, outer) { return false }
                    }
                }
            }
            return true
        }

        private func properlyCross(_ a: SIMD2<Double>, _ b: SIMD2<Double>, _ c: SIMD2<Double>, _ d: SIMD2<Double>) -> Bool {
            func side(_ p: SIMD2<Double>, _ q: SIMD2<Double>, _ r: SIMD2<Double>) -> Double {
                (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x)
            }
            let d1 = side(a, b, c), d2 = side(a, b, d), d3 = side(c, d, a), d4 = side(c, d, b)
            return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))
        }

        /// Even-odd test; a point on (or within rounding of) the boundary is not inside.
        private func strictlyInside(_ point: SIMD2<Double>, _ loop: [UInt32]) -> Bool {
            var inside = false
            for (index, vertex) in loop.enumerated() {
                let a = at(vertex)
                let b = at(loop[(index + 1) % loop.count])
                let edge = b - a
                let length = (edge * edge).sum().squareRoot()
                let cross = edge.x * (point.y - a.y) - edge.y * (point.x - a.x)
                let along = ((point - a) * edge).sum()
                if abs(cross) <= 1e-9 * max(length * length, 1e-300), along >= 0, along <= length * length { return false }
                if (a.y > point.y) != (b.y > point.y),
                   point.x < a.x + (point.y - a.y) / (b.y - a.y) * (b.x - a.x) {
                    inside.toggle()
                }
            }
            return inside
        }
    }
}
