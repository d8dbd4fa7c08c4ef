import Foundation

/// Triangulate (`TriangulateModifierData`): every face with at least `min_vertices` corners (never fewer than
/// four) becomes `n − 2` triangles joined by `n − 3` new edges; vertices, and therefore the statistics' triangle
/// count, do not change. Which diagonals Blender picks (beauty, shortest diagonal...) changes no count, so faces
/// are split as fans here.
enum TriangulateModifier {
    static func apply(_ triangulate: BlendStruct, to state: inout ModifierMeshState, context: inout ModifierContext) throws {
        let minimum = Swift.max(Int(triangulate.integer(["min_vertices"]) ?? 4), 4)
        if case .geometry(let mesh) = state, !context.fitsGeometry(try SymbolicCount.multiply(mesh.counts.triangles, 3)) {
            state = .counts(mesh.counts, box: mesh.bounds)
        }
        switch state {
        case .counts(let counts, let box):
            if counts.allQuads {
                guard minimum <= 4 else { return }
            } else if minimum > 4 {
                context.approximate("leaves faces below \(minimum) corners, whose number is not known without geometry")
                return
            }
            // All faces of four or more corners split: Σ(n − 2) triangles, Σ(n − 3) new edges.
            let triangles = counts.triangles
            state = .counts(MeshCounts(vertices: counts.vertices,
                                       edges: try SymbolicCount.add(counts.edges, Swift.max(counts.corners - 3 * counts.faces, 0)),
                                       faces: triangles, corners: try SymbolicCount.multiply(triangles, 3)),
                            box: box)
        case .geometry(let mesh):
            var result = mesh
            result.faceOffsets = [0]
            result.cornerVertices = []
            result.cornerVertices.reserveCapacity(mesh.counts.triangles * 3)
            for face in 0..<mesh.faceCount {
                let range = mesh.faceRange(face)
                let corners = mesh.cornerVertices[range]
                if corners.count < minimum {
                    result.cornerVertices.append(contentsOf: corners)
                    result.faceOffsets.append(Int32(result.cornerVertices.count))
                    continue
                }
                let first = corners[corners.startIndex]
                for k in 1..<(corners.count - 1) {
                    let b = corners[corners.startIndex + k], c = corners[corners.startIndex + k + 1]
                    result.cornerVertices += [first, b, c]
                    result.faceOffsets.append(Int32(result.cornerVertices.count))
                    if k > 1 { result.edges.append(SIMD2(first, b)) }
                }
            }
            state = .geometry(result)
        }
    }
}
