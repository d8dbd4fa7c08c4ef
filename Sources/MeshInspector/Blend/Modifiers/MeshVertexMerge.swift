import Foundation

/// Merging vertices onto others, as Blender's Mirror, Array and Weld modifiers finish their work:
///
/// - each vertex either stays (`target[v] == -1`) or moves onto a vertex that stays;
/// - edges follow their vertices; an edge whose ends meet disappears, two edges joining the same pair become one;
/// - a face walks its corners: a corner is kept when the edge to the next corner survives and its vertex is not
///   already used by the face; edges are added where dropped corners leave a gap; a face left with fewer than
///   three corners disappears;
/// - faces whose every vertex moved are treated per `policy` (Mirror drops them: the copy of a face lying in the
///   mirror plane; Array drops them only when they land exactly on an existing face; Weld drops faces that end up
///   with the same vertices as an earlier one).
enum MeshVertexMerge {
    enum Policy {
        case dropIfAllMapped
        case dropIfEqualToExisting
        case dropDuplicates
    }

    static func merge(_ mesh: ModifierMesh, target: [Int32], policy: Policy) -> ModifierMesh {
        let vertexCount = mesh.positions.count
        // Flatten chains (a → b → c) so every vertex points at one that stays, each vertex visited once (an array
        // of a million copies makes chains a million long); a loop keeps the vertex where it closes.
        var resolved = target
        var visit = [UInt8](repeating: 0, count: vertexCount)  // 0 new, 1 on the current path, 2 final
        var path: [Int32] = []
        for v in 0..<vertexCount where resolved[v] >= 0 && visit[v] == 0 {
            path.removeAll(keepingCapacity: true)
            var u = Int32(v)
            while resolved[Int(u)] >= 0, visit[Int(u)] == 0 {
                visit[Int(u)] = 1
                path.append(u)
                u = resolved[Int(u)]
            }
            let root: Int32
            if visit[Int(u)] == 1 {
                resolved[Int(u)] = -1
                root = u
            } else {
                root = resolved[Int(u)] >= 0 ? resolved[Int(u)] : u
            }
            for p in path {
                visit[Int(p)] = 2
                if p != root { resolved[Int(p)] = root }
            }
        }
        func representative(_ v: Int32) -> Int32 { resolved[Int(v)] >= 0 ? resolved[Int(v)] : v }

        var newIndex = [Int32](repeating: -1, count: vertexCount)
        var result = ModifierMesh()
        for v in 0..<vertexCount where resolved[v] < 0 {
            newIndex[v] = Int32(result.positions.count)
            result.positions.append(mesh.positions[v])
        }

        var edgeSet: [UInt64: Int32] = [:]
        edgeSet.reserveCapacity(mesh.edges.count)
        for edge in mesh.edges {
            let a = representative(edge.x), b = representative(edge.y)
            guard a != b else { continue }
            let key = ModifierMesh.edgeKey(a, b)
            if edgeSet[key] == nil {
                edgeSet[key] = Int32(result.edges.count)
                result.edges.append(SIMD2(newIndex[Int(a)], newIndex[Int(b)]))
            }
        }

        // Existing faces by vertex count and sum, for the Array policy's exact comparison.
        var facesBySignature: [SIMD2<Int64>: [Int]] = [:]
        if case .dropIfEqualToExisting = policy {
            for face in 0..<mesh.faceCount {
                facesBySignature[signature(mesh.cornerVertices[mesh.faceRange(face)]), default: []].append(face)
            }
        }
        var seenFaces = Set<[Int32]>()
        var used = Set<Int32>()
        var kept: [Int32] = []
        for face in 0..<mesh.faceCount {
            let range = mesh.faceRange(face)
            let allMapped = range.allSatisfy { resolved[Int(mesh.cornerVertices[$0])] >= 0 }
            if allMapped {
                switch policy {
                case .dropIfAllMapped:
                    continue
                case .dropIfEqualToExisting:
                    let mapped = range.map { representative(mesh.cornerVertices[$0]) }
                    // Bounded: a hostile mesh could give every face the same signature.
                    let matches = (facesBySignature[signature(mapped[...])] ?? []).prefix(64)
                    if matches.contains(where: { sameCycle(mapped, Array(mesh.cornerVertices[mesh.faceRange($0)])) }) { continue }
                case .dropDuplicates:
                    break
                }
            }
            used.removeAll(keepingCapacity: true)
            kept.removeAll(keepingCapacity: true)
            for corner in range {
                let next = corner + 1 == range.upperBound ? range.lowerBound : corner + 1
                let v = representative(mesh.cornerVertices[corner])
                let w = representative(mesh.cornerVertices[next])
                if v != w, !used.contains(v) {
                    used.insert(v)
                    kept.append(v)
                }
            }
            guard kept.count >= 3 else { continue }
            if case .dropDuplicates = policy {
                guard seenFaces.insert(kept.sorted()).inserted else { continue }
            }
            for (i, v) in kept.enumerated() {
                let w = kept[(i + 1) % kept.count]
                let key = ModifierMesh.edgeKey(v, w)
                if edgeSet[key] == nil {
                    edgeSet[key] = Int32(result.edges.count)
                    result.edges.append(SIMD2(newIndex[Int(v)], newIndex[Int(w)]))
                }
                result.cornerVertices.append(newIndex[Int(v)])
            }
            result.faceOffsets.append(Int32(result.cornerVertices.count))
        }
        return result
    }

    private static func signature(_ vertices: ArraySlice<Int32>) -> SIMD2<Int64> {
        SIMD2(Int64(vertices.count), vertices.reduce(Int64(0)) { $0 + Int64($1) })
    }

    /// Same vertices in the same cyclic order, either direction.
    private static func sameCycle(_ a: [Int32], _ b: [Int32]) -> Bool {
        guard a.count == b.count, let start = b.firstIndex(of: a[0]) else { return false }
        let n = a.count
        let forward = (0..<n).allSatisfy { a[$0] == b[(start + $0) % n] }
        let backward = (0..<n).allSatisfy { a[$0] == b[(start - $0 + n) % n] }
        return forward || backward
    }
}

/// Finds, for points of one set, a point of another within a distance: a uniform grid with cells the size of
/// the distance, so each query looks at 27 cells.
///
/// Queries share a budget of points examined: a hostile merge distance can put every point in one cell, which
/// would make the search quadratic. Once spent, queries find nothing and `exhausted` is set.
struct PointGrid {
    private var cells: [SIMD3<Int64>: [Int32]] = [:]
    private let cellSize: Double
    let points: [SIMD3<Double>]
    private(set) var remainingWork: Int
    private(set) var exhausted = false
    /// What one modifier may spend on searches, shared by all the grids it builds.
    static let workBudget = 50_000_000

    init(points: [SIMD3<Double>], indices: some Sequence<Int>, cellSize: Double, work: Int = PointGrid.workBudget) {
        self.points = points
        self.remainingWork = work
        self.exhausted = work <= 0
        self.cellSize = Swift.max(cellSize, 1e-9)
        for index in indices {
            cells[cell(points[index]), default: []].append(Int32(index))
        }
    }

    private func cell(_ p: SIMD3<Double>) -> SIMD3<Int64> {
        func c(_ x: Double) -> Int64 {
            let scaled = (x / cellSize).rounded(.down)
            return scaled.isFinite ? Int64(Swift.max(Swift.min(scaled, 1e15), -1e15)) : 0
        }
        return SIMD3(c(p.x), c(p.y), c(p.z))
    }

    /// Indices within `distance` of `p` (squared distance `<=`), in ascending order.
    mutating func neighbours(of p: SIMD3<Double>, within distance: Double) -> [Int32] {
        let center = cell(p)
        let limit = distance * distance
        var found: [Int32] = []
        for dz in -1...1 { for dy in -1...1 { for dx in -1...1 {
            guard let bucket = cells[center &+ SIMD3(Int64(dx), Int64(dy), Int64(dz))] else { continue }
            guard remainingWork >= bucket.count else {
                exhausted = true
                return []
            }
            remainingWork -= bucket.count
            for index in bucket {
                let d = points[Int(index)] - p
                if (d * d).sum() <= limit { found.append(index) }
            }
        } } }
        return found.sorted()
    }

    /// The closest index within `distance` of `p`, the lowest index on ties.
    mutating func nearest(to p: SIMD3<Double>, within distance: Double) -> Int32? {
        var best: (index: Int32, distance: Double)?
        for index in neighbours(of: p, within: distance) {
            let d = points[Int(index)] - p
            let squared = (d * d).sum()
            if best == nil || squared < best!.distance { best = (index, squared) }
        }
        return best?.index
    }
}
