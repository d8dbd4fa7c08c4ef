import Foundation

/// Weld (`WeldModifierData`): `mode` 0 ("All") merges every vertex within `merge_dist` of an earlier unmerged
/// vertex into it; `mode` 1 ("Connected") merges only the ends of edges no longer than `merge_dist`, in chains.
/// The mesh then collapses as Blender's weld does: edges and face corners that meet vanish, faces left with fewer
/// than three corners go, and faces that end up on the same vertices as an earlier face are removed
/// (`MeshVertexMerge`). A vertex group limiting the weld and "only loose edges" are not reproduced (approximate).
enum WeldModifier {
    static let modeConnected: Int64 = 1
    static let flagLooseEdges: Int64 = 1 << 1

    static func apply(_ weld: BlendStruct, to state: inout ModifierMeshState, context: inout ModifierContext) throws {
        let distance = Swift.max(weld.finiteFloat(["merge_dist"]) ?? 0.001, 0)
        let connected = weld.integer(["mode"]) == modeConnected
        if let group = weld.string(["defgrp_name"]), !group.isEmpty {
            context.approximate("welds only the vertex group \"\(group)\", which is not read")
        }
        if connected, (weld.integer(["flag"]) ?? 0) & flagLooseEdges != 0 {
            context.approximate("collapses loose edges only, which is not reproduced")
        }
        guard case .geometry(let mesh) = state else {
            context.approximate("runs on a mesh known only by its counts (after Subdivision, or too dense to rebuild), so nothing is welded")
            return
        }
        let n = mesh.positions.count
        var target = [Int32](repeating: -1, count: n)
        var merged = 0
        if connected {
            // Union-find over short edges; each group keeps its lowest vertex.
            var parent = Array(0..<Int32(n))
            func root(_ v: Int32) -> Int32 {
                var r = v
                while parent[Int(r)] != r { r = parent[Int(r)] }
                var c = v
                while parent[Int(c)] != r { let next = parent[Int(c)]; parent[Int(c)] = r; c = next }
                return r
            }
            let limit = distance * distance
            for edge in mesh.edges {
                let d = mesh.positions[Int(edge.x)] - mesh.positions[Int(edge.y)]
                guard (d * d).sum() <= limit else { continue }
                let a = root(edge.x), b = root(edge.y)
                if a != b { parent[Int(Swift.max(a, b))] = Swift.min(a, b) }
            }
            for v in 0..<n {
                let r = root(Int32(v))
                if r != Int32(v) { target[v] = r; merged += 1 }
            }
        } else {
            var grid = PointGrid(points: mesh.positions, indices: 0..<n, cellSize: distance)
            for v in 0..<n where target[v] < 0 {
                for other in grid.neighbours(of: mesh.positions[v], within: distance) where Int(other) > v && target[Int(other)] < 0 {
                    target[Int(other)] = Int32(v)
                    merged += 1
                }
            }
            if grid.exhausted { context.approximate("welds with a distance too large to search exhaustively") }
        }
        if merged > 0 {
            state = .geometry(MeshVertexMerge.merge(mesh, target: target, policy: .dropDuplicates))
        }
    }
}
