import Foundation

/// Decimate (`DecimateModifierData`): exact where Blender leaves the mesh untouched — Collapse (`mode` 0) at
/// `percent` (the ratio) 1.0, Un-Subdivide (1) with `iter` 0, Planar (2) with `angle` 0. Otherwise its result
/// depends on Blender's edge-collapse order and is estimated: Collapse scales every count by the ratio, the other
/// modes leave counts unchanged.
enum DecimateModifier {
    static let modeCollapse: Int64 = 0
    static let modeUnsubdivide: Int64 = 1
    static let modeDissolve: Int64 = 2

    static func apply(_ decimate: BlendStruct, to state: inout ModifierMeshState, context: inout ModifierContext) throws {
        let mode = decimate.integer(["mode"]) ?? modeCollapse
        switch mode {
        case modeUnsubdivide:
            guard (decimate.integer(["iter"]) ?? 0) != 0 else { return }
            context.approximate("un-subdivides, which is not reproduced")
        case modeDissolve:
            guard (decimate.finiteFloat(["angle"]) ?? 0) != 0 else { return }
            context.approximate("dissolves planar faces, which is not reproduced")
        default:
            let ratio = decimate.finiteFloat(["percent"]) ?? 1
            guard ratio < 1 else { return }
            context.approximate("collapses edges to a ratio of \(ratio)")
            let r = Swift.max(ratio, 0)
            let counts = state.counts
            func scaled(_ value: Int) -> Int { Int((Double(value) * r).rounded()) }
            let triangles = scaled(counts.triangles)
            state = .counts(MeshCounts(vertices: scaled(counts.vertices), edges: scaled(counts.edges),
                                       faces: scaled(counts.faces), corners: scaled(counts.faces) * 2 + triangles),
                            box: state.box)
        }
    }
}
