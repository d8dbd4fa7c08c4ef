import Foundation

/// Subdivision Surface and Multiresolution. Catmull-Clark and Simple subdivide the same way topologically, so
/// counts follow from the cage alone. One level turns V vertices, E edges, F faces and C corners into
///
///     V' = V + E + F     (a vertex per edge and per face)
///     E' = 2E + C        (each edge split, one edge from each corner's edge midpoint to its face centre)
///     F' = C             (a quad per corner)    C' = 4C
///
/// Loose edges are split like the others and loose vertices kept (checked on a cube with a loose edge and a
/// loose vertex at level 2 against Blender 3.4.1). No geometry is built: after this the evaluator keeps counts
/// symbolically and the bounding box is the cage's, which contains the smoothed surface.
enum SubdivisionModifier {
    /// `SubsurfModifierData.levels`: the viewport level (render levels do not count).
    static func viewportLevels(subsurf: BlendStruct) -> Int {
        Int(subsurf.integer(["levels"]) ?? 0)
    }

    /// `MultiresModifierData.lvl` (viewport level in object mode), never above `totlvl`, the levels that exist.
    static func viewportLevels(multires: BlendStruct) -> Int {
        let level = Int(multires.integer(["lvl"]) ?? 0)
        let total = Int(multires.integer(["totlvl"]) ?? 0)
        return Swift.min(level, total)
    }

    /// Stops once a count passes `limit` (the stack then refuses the file) rather than overflow on absurd levels.
    static func apply(levels: Int, to state: inout ModifierMeshState, limit: Int) throws {
        guard levels > 0 else { return }
        var counts = state.counts
        let box = state.box
        for _ in 0..<levels {
            counts = try subdivided(counts)
            if counts.vertices == 0 || counts.largest > limit { break }
        }
        state = .counts(counts, box: box)
    }

    static func subdivided(_ c: MeshCounts) throws -> MeshCounts {
        MeshCounts(vertices: try SymbolicCount.add(c.vertices, c.edges, c.faces),
                   edges: try SymbolicCount.add(try SymbolicCount.multiply(c.edges, 2), c.corners),
                   faces: c.corners,
                   corners: try SymbolicCount.multiply(c.corners, 4),
                   allQuads: c.corners > 0)
    }
}
