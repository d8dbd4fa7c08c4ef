import Foundation

/// Mirror (`MirrorModifierData`): for each axis enabled in `flag` (X, Y, Z in that order) the mesh is doubled by
/// its reflection, across the object's own origin or, with `mirror_ob`, across that object (both world matrices:
/// the reflection is done in the mirror object's space). Unless `MOD_MIR_NO_MERGE` is set, a vertex whose
/// reflection lies closer than `tolerance` to it merges with it, and the copy of a face whose vertices all merged
/// (a face lying in the plane) is dropped — Blender's merge in "dump if mapped" mode (`MeshVertexMerge`).
/// With bisect on an axis, the far side is cut away first (`MirrorBisect`).
enum MirrorModifier {
    static let axisX: Int64 = 1 << 3
    static let noMerge: Int64 = 1 << 7
    static let bisectAxisX: Int64 = 1 << 8
    static let bisectFlipAxisX: Int64 = 1 << 11

    static func apply(_ mirror: BlendStruct, to state: inout ModifierMeshState, context: inout ModifierContext) throws {
        let flag = mirror.integer(["flag"]) ?? 0
        let merge = flag & noMerge == 0
        let tolerance = mirror.finiteFloat(["tolerance"]) ?? 0.001
        let axes = (0..<3).filter { flag & (axisX << Int64($0)) != 0 }
        guard !axes.isEmpty else { return }
        let bisectThreshold = Swift.max(mirror.finiteFloat(["bisect_threshold"]) ?? 0.001, 0)

        // Object space → mirror object's space (`toMirror`), flip, and back.
        var toMirror: AffineTransform?
        if let pointer = mirror.pointer(["mirror_ob"]), pointer != 0 {
            if let mirrorWorld = context.worldOf(pointer), let inverse = mirrorWorld.inverted() {
                toMirror = inverse * context.objectWorld
            } else {
                context.approximate("mirrors across an object that could not be placed")
            }
        }
        for axis in axes {
            var flip = SIMD3<Double>(1, 1, 1)
            flip[axis] = -1
            let reflect: (SIMD3<Double>) -> SIMD3<Double>
            let planeSpace: (SIMD3<Double>) -> SIMD3<Double>
            if let toMirror, let back = toMirror.inverted() {
                reflect = { back.apply(toMirror.apply($0) * flip) }
                planeSpace = { toMirror.apply($0) }
            } else {
                reflect = { $0 * flip }
                planeSpace = { $0 }
            }
            if flag & (bisectAxisX << Int64(axis)) != 0 {
                // Kept: the positive side, or the negative one with the flip flag.
                let keep: Double = flag & (bisectFlipAxisX << Int64(axis)) != 0 ? -1 : 1
                if case .geometry(let mesh) = state {
                    state = .geometry(MirrorBisect.bisect(mesh, threshold: bisectThreshold) { planeSpace($0)[axis] * keep })
                } else {
                    context.approximate("bisects a mesh known only by its counts (after Subdivision, or too dense to rebuild)")
                }
            }
            try mirrorOnce(&state, reflect: reflect, merge: merge, tolerance: tolerance, context: &context)
        }
    }

    private static func mirrorOnce(
        _ state: inout ModifierMeshState, reflect: (SIMD3<Double>) -> SIMD3<Double>, merge: Bool, tolerance: Double,
        context: inout ModifierContext
    ) throws {
        let counts = state.counts
        guard case .geometry(let mesh) = state, context.fitsGeometry(try SymbolicCount.multiply(counts.largest, 2)) else {
            if merge { context.approximate("merges vertices of a mesh known only by its counts (after Subdivision, or too dense to rebuild)") }
            let doubled = MeshCounts(vertices: try SymbolicCount.multiply(counts.vertices, 2), edges: try SymbolicCount.multiply(counts.edges, 2),
                                     faces: try SymbolicCount.multiply(counts.faces, 2), corners: try SymbolicCount.multiply(counts.corners, 2),
                                     allQuads: counts.allQuads)
            state = .counts(doubled, box: unionBox(state.box, transformedBox(state.box, reflect)))
            return
        }
        let n = Int32(mesh.positions.count)
        var result = mesh
        result.positions.append(contentsOf: mesh.positions.map(reflect))
        result.edges.append(contentsOf: mesh.edges.map { $0 &+ SIMD2(n, n) })
        for face in 0..<mesh.faceCount {
            // Reflection reverses winding; the copy keeps the first corner and walks backwards.
            let range = mesh.faceRange(face)
            result.cornerVertices.append(mesh.cornerVertices[range.lowerBound] + n)
            for corner in range.dropFirst().reversed() { result.cornerVertices.append(mesh.cornerVertices[corner] + n) }
            result.faceOffsets.append(Int32(result.cornerVertices.count))
        }
        guard merge else {
            state = .geometry(result)
            return
        }
        var target = [Int32](repeating: -1, count: result.positions.count)
        var merged = 0
        let limit = tolerance * tolerance
        for i in 0..<Int(n) {
            let d = result.positions[i] - result.positions[i + Int(n)]
            if (d * d).sum() < limit {
                target[i + Int(n)] = Int32(i)
                merged += 1
            }
        }
        state = .geometry(merged == 0 ? result : MeshVertexMerge.merge(result, target: target, policy: .dropIfAllMapped))
    }
}

extension AffineTransform {
    /// The inverse of an invertible affine transform; nil for a singular one (a zero scale).
    func inverted() -> AffineTransform? {
        let a = rows[0], b = rows[1], c = rows[2]
        let m = [[a[0], a[1], a[2]], [b[0], b[1], b[2]], [c[0], c[1], c[2]]]
        let det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        guard det.isFinite, abs(det) > 1e-12 else { return nil }
        var inv = [[Double]](repeating: [0, 0, 0], count: 3)
        for r in 0..<3 {
            for col in 0..<3 {
                // Cofactor transpose: inv[r][col] = cofactor(col, r) / det.
                let r1 = (col + 1) % 3, r2 = (col + 2) % 3, c1 = (r + 1) % 3, c2 = (r + 2) % 3
                inv[r][col] = (m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]) / det
            }
        }
        let t = SIMD3(a[3], b[3], c[3])
        let rowsOut = (0..<3).map { r -> SIMD4<Double> in
            let translation = -(inv[r][0] * t.x + inv[r][1] * t.y + inv[r][2] * t.z)
            return SIMD4(inv[r][0], inv[r][1], inv[r][2], translation)
        }
        return AffineTransform(rows: rowsOut)
    }
}
