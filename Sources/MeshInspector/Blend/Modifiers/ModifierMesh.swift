import Foundation

/// A mesh as the modifier evaluator rebuilds it: object-space positions, faces as offsets into their corners'
/// vertex indices, and every edge (face edges and loose ones) once, as Blender stores them. Edges matter because
/// Subdivision Surface counts depend on them.
struct ModifierMesh {
    var positions: [SIMD3<Double>] = []
    /// `faceOffsets[f]..<faceOffsets[f + 1]` are face `f`'s corners; always `faces + 1` entries.
    var faceOffsets: [Int32] = [0]
    var cornerVertices: [Int32] = []
    var edges: [SIMD2<Int32>] = []
    /// Edges marked sharp in the file (`edgeKey`s), for Edge Split; only the base mesh carries them.
    var sharpEdges: Set<UInt64> = []

    var counts: MeshCounts {
        MeshCounts(vertices: positions.count, edges: edges.count, faces: faceOffsets.count - 1, corners: cornerVertices.count,
                   allQuads: faceSizesAreAllQuads)
    }

    var faceCount: Int { faceOffsets.count - 1 }

    func faceRange(_ face: Int) -> Range<Int> { Int(faceOffsets[face])..<Int(faceOffsets[face + 1]) }

    private var faceSizesAreAllQuads: Bool {
        guard faceCount > 0 else { return false }
        for face in 0..<faceCount where faceOffsets[face + 1] - faceOffsets[face] != 4 { return false }
        return true
    }

    var bounds: (low: SIMD3<Double>, high: SIMD3<Double>)? {
        var accumulator = BoundsAccumulator()
        for p in positions { accumulator.add(p) }
        return accumulator.extremes
    }

    /// Order-independent key of an edge, for hashing.
    static func edgeKey(_ a: Int32, _ b: Int32) -> UInt64 {
        let low = UInt32(bitPattern: Swift.min(a, b)), high = UInt32(bitPattern: Swift.max(a, b))
        return UInt64(low) << 32 | UInt64(high)
    }

    /// Faces using each edge, keyed by `edgeKey` (edges no face uses are absent).
    func edgeFaceUsers() -> [UInt64: Int] {
        var users: [UInt64: Int] = [:]
        users.reserveCapacity(edges.count)
        for face in 0..<faceCount {
            let range = faceRange(face)
            for corner in range {
                let next = corner + 1 == range.upperBound ? range.lowerBound : corner + 1
                users[Self.edgeKey(cornerVertices[corner], cornerVertices[next]), default: 0] += 1
            }
        }
        return users
    }
}

/// Element counts of an evaluated mesh, all Blender's statistics need: triangles are `corners − 2 · faces`, the
/// figure `poly_to_tri_count` gives for valid faces.
struct MeshCounts: Equatable {
    var vertices: Int
    var edges: Int
    var faces: Int
    var corners: Int
    /// Every face has four corners (what subdivision leaves), which lets Triangulate stay exact without geometry.
    var allQuads: Bool = false

    var triangles: Int { Swift.max(corners - 2 * faces, 0) }

    var largest: Int { Swift.max(vertices, edges, faces, corners) }
}

/// Where the evaluator stands after each modifier: real geometry while it is small enough to build, otherwise
/// counts kept symbolically with the object-space box they fit in.
enum ModifierMeshState {
    case geometry(ModifierMesh)
    case counts(MeshCounts, box: (low: SIMD3<Double>, high: SIMD3<Double>)?)

    var counts: MeshCounts {
        switch self {
        case .geometry(let mesh): mesh.counts
        case .counts(let counts, _): counts
        }
    }

    var box: (low: SIMD3<Double>, high: SIMD3<Double>)? {
        switch self {
        case .geometry(let mesh): mesh.bounds
        case .counts(_, let box): box
        }
    }
}

/// Overflow-checked arithmetic for symbolic counts: a hostile modifier stack (Subdivision level 11 on a huge mesh,
/// a thousand-copy array of it) must fail with a reason rather than trap.
enum SymbolicCount {
    static func multiply(_ a: Int, _ b: Int) throws -> Int {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        guard !overflow, value >= 0 else { throw tooLarge }
        return value
    }

    static func add(_ values: Int...) throws -> Int {
        var total = 0
        for value in values {
            let (sum, overflow) = total.addingReportingOverflow(value)
            guard !overflow else { throw tooLarge }
            total = sum
        }
        return total
    }

    static let tooLarge = MeshInspectionError(
        .limitExceeded, "A modifier stack in the .blend file would generate more geometry than can be counted.")
}
