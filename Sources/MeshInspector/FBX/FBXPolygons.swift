/// The polygons of one `PolygonVertexIndex` array that survive Blender 3.4's FBX import, which ends with
/// `mesh.validate()`. Counts (`FBXSceneAnalysis`) and previews (`FBXGeometry`) both walk polygons through here, so
/// they keep the same ones.
///
/// Polygons end at a negative entry (`-i-1`). `mesh.validate()` then drops, as checked against Blender 3.4.1:
/// - polygons with fewer than three corners (Blender's own exporter writes loose edges as two-corner polygons);
/// - polygons with a corner outside the vertex range;
/// - polygons that use one vertex twice (not repaired, unlike the OBJ importer's faces);
/// - a polygon using the same set of vertices as one kept before it, in any order (only the first is kept).
/// Trailing corners not closed by a negative entry make no polygon. Vertices are never removed.
struct FBXPolygons {
    struct Summary {
        var kept = 0
        var triangles = 0
        /// Polygons under three corners, with a corner out of range, or repeating a vertex.
        var invalid = 0
        /// Valid polygons over the same vertices as an earlier one.
        var duplicates = 0
        /// Trailing corners without a closing negative entry.
        var openCorners = 0
    }

    /// Calls `body` with the corner range (into `indices`) of each polygon Blender keeps, in file order.
    @discardableResult
    static func forEachKept(
        _ indices: [Int32], vertexCount: Int, _ body: (ClosedRange<Int>) -> Void = { _ in }
    ) -> Summary {
        var summary = Summary()
        var seen = PolygonVertexSets()
        var corners: [UInt32] = []
        var start = 0
        for (position, raw) in indices.enumerated() where raw < 0 {
            defer { start = position + 1 }
            corners.removeAll(keepingCapacity: true)
            for corner in start...position {
                let value = indices[corner]
                corners.append(UInt32(bitPattern: value < 0 ? ~value : value))
            }
            guard corners.count >= 3, corners.allSatisfy({ Int($0) < vertexCount }) else {
                summary.invalid += 1
                continue
            }
            corners.sort()
            guard zip(corners, corners.dropFirst()).allSatisfy({ $0 != $1 }) else {
                summary.invalid += 1
                continue
            }
            guard seen.insert(sorted: corners) else {
                summary.duplicates += 1
                continue
            }
            summary.kept += 1
            summary.triangles += corners.count - 2
            body(start...position)
        }
        summary.openCorners = indices.count - start
        return summary
    }
}
