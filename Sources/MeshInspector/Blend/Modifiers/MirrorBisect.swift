import Foundation

/// The bisect step of the Mirror modifier (`MOD_MIR_BISECT_AXIS_*`), before each axis's copy is made: the mesh is
/// cut by the mirror plane and everything farther than `bisect_threshold` on the far side is deleted — the
/// negative side, or the positive one with `MOD_MIR_BISECT_FLIP_AXIS_*`.
///
/// As Blender's plane bisect does: vertices within the threshold count as on the plane (and stay); an edge whose
/// ends lie strictly on opposite sides gets a new vertex where it crosses; a face that crosses keeps its part on
/// the kept side (its kept vertices, plane vertices and crossing points, in order), a new edge closing the cut;
/// faces with a deleted vertex and nothing strictly on the kept side go; edges between kept vertices stay, even
/// when their faces went. Faces are clipped as single polygons, which is Blender's result for convex faces.
enum MirrorBisect {
    /// `signedDistance` is each point's distance to the plane in the direction that is kept.
    static func bisect(_ mesh: ModifierMesh, threshold: Double, signedDistance: (SIMD3<Double>) -> Double) -> ModifierMesh {
        let side: [Int8] = mesh.positions.map { p in
            let d = signedDistance(p)
            return d > threshold ? 1 : (d < -threshold ? -1 : 0)
        }
        guard side.contains(-1) else { return mesh }

        var result = ModifierMesh()
        var newIndex = [Int32](repeating: -1, count: mesh.positions.count)
        for v in 0..<mesh.positions.count where side[v] >= 0 {
            newIndex[v] = Int32(result.positions.count)
            result.positions.append(mesh.positions[v])
        }
        // Crossing points, one per edge whose ends lie strictly on opposite sides.
        var crossing: [UInt64: Int32] = [:]
        func crossingPoint(_ a: Int32, _ b: Int32) -> Int32 {
            let key = ModifierMesh.edgeKey(a, b)
            if let existing = crossing[key] { return existing }
            let p = mesh.positions[Int(a)], q = mesh.positions[Int(b)]
            let da = signedDistance(p), db = signedDistance(q)
            let t = da / (da - db)
            let index = Int32(result.positions.count)
            result.positions.append(p + (q - p) * (t.isFinite ? t : 0.5))
            crossing[key] = index
            return index
        }

        var edgeSet = Set<UInt64>()
        func addEdge(_ a: Int32, _ b: Int32) {
            guard a != b, edgeSet.insert(ModifierMesh.edgeKey(a, b)).inserted else { return }
            result.edges.append(SIMD2(a, b))
        }
        for edge in mesh.edges {
            let a = edge.x, b = edge.y
            switch (side[Int(a)], side[Int(b)]) {
            case let (sa, sb) where sa >= 0 && sb >= 0: addEdge(newIndex[Int(a)], newIndex[Int(b)])
            case (1, -1): addEdge(newIndex[Int(a)], crossingPoint(a, b))
            case (-1, 1): addEdge(crossingPoint(a, b), newIndex[Int(b)])
            default: continue
            }
        }
        var polygon: [Int32] = []
        for face in 0..<mesh.faceCount {
            let range = mesh.faceRange(face)
            let corners = mesh.cornerVertices[range]
            let hasKilled = corners.contains { side[Int($0)] < 0 }
            if hasKilled, !corners.contains(where: { side[Int($0)] > 0 }) { continue }
            polygon.removeAll(keepingCapacity: true)
            for corner in range {
                let next = corner + 1 == range.upperBound ? range.lowerBound : corner + 1
                let v = mesh.cornerVertices[corner], w = mesh.cornerVertices[next]
                if side[Int(v)] >= 0 { polygon.append(newIndex[Int(v)]) }
                if (side[Int(v)] == 1 && side[Int(w)] == -1) || (side[Int(v)] == -1 && side[Int(w)] == 1) {
                    polygon.append(crossingPoint(v, w))
                }
            }
            guard polygon.count >= 3 else { continue }
            for (i, v) in polygon.enumerated() { addEdge(v, polygon[(i + 1) % polygon.count]) }
            result.cornerVertices += polygon
            result.faceOffsets.append(Int32(result.cornerVertices.count))
        }
        return result
    }
}
