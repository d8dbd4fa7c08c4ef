import Foundation

/// Solidify in simple ("extrude") mode (`SolidifyModifierData.mode` 0): every vertex, edge and face gets an offset
/// copy (the shell); with `MOD_SOLIDIFY_RIM` (`flag` bit 0) each boundary edge — used by exactly one face — gets a
/// quad joining it to its copy, and each boundary vertex an edge to its copy:
///
///     V' = 2V    E' = 2E + boundary vertices    F' = 2F + boundary edges    C' = 2C + 4 · boundary edges
///
/// (checked on a grid and on an open cylinder, with and without rim). The shell moves along vertex normals by
/// `offset` scaled by `offset_fac`, which is what the bounding box follows (Blender's normals are angle-weighted,
/// these are area-weighted, so the box is close, not exact). Complex mode and "rim only" are counted the same
/// way, as approximate.
enum SolidifyModifier {
    static let flagRim: Int64 = 1 << 0
    static let flagRimOnly: Int64 = 1 << 6
    static let modeExtrude: Int64 = 0

    static func apply(_ solidify: BlendStruct, to state: inout ModifierMeshState, context: inout ModifierContext) throws {
        let flag = solidify.integer(["flag"]) ?? flagRim
        let rim = flag & flagRim != 0
        if (solidify.integer(["mode"]) ?? modeExtrude) != modeExtrude {
            context.approximate("uses the complex mode, counted like the simple one")
        }
        if flag & flagRimOnly != 0 {
            context.approximate("keeps only the rim, counted with its shell")
        }
        let thickness = solidify.finiteFloat(["offset"]) ?? 0.01
        let factor = solidify.finiteFloat(["offset_fac"]) ?? -1
        let originalShift = -((1 - factor) / 2) * thickness
        let copyShift = thickness + originalShift

        let counts = state.counts
        guard case .geometry(let mesh) = state, context.fitsGeometry(try SymbolicCount.multiply(counts.largest, 3)) else {
            context.approximate("runs on a mesh known only by its counts (after Subdivision, or too dense to rebuild), so its boundary is not known")
            let grow = SIMD3(repeating: abs(thickness))
            state = .counts(MeshCounts(vertices: try SymbolicCount.multiply(counts.vertices, 2),
                                       edges: try SymbolicCount.multiply(counts.edges, 2),
                                       faces: try SymbolicCount.multiply(counts.faces, 2),
                                       corners: try SymbolicCount.multiply(counts.corners, 2), allQuads: counts.allQuads),
                            box: state.box.map { ($0.low - grow, $0.high + grow) })
            return
        }

        let n = mesh.positions.count
        let normals = vertexNormals(mesh)
        var result = ModifierMesh()
        result.positions = (0..<n).map { mesh.positions[$0] + normals[$0] * originalShift }
        result.positions += (0..<n).map { mesh.positions[$0] + normals[$0] * copyShift }
        let shift = Int32(n)
        result.edges = mesh.edges + mesh.edges.map { $0 &+ SIMD2(shift, shift) }
        result.cornerVertices = mesh.cornerVertices
        result.faceOffsets = mesh.faceOffsets
        for face in 0..<mesh.faceCount {
            let range = mesh.faceRange(face)
            result.cornerVertices.append(mesh.cornerVertices[range.lowerBound] + shift)
            for corner in range.dropFirst().reversed() { result.cornerVertices.append(mesh.cornerVertices[corner] + shift) }
            result.faceOffsets.append(Int32(result.cornerVertices.count))
        }
        if rim {
            let users = mesh.edgeFaceUsers()
            var rimVertices = Set<Int32>()
            for face in 0..<mesh.faceCount {
                let range = mesh.faceRange(face)
                for corner in range {
                    let next = corner + 1 == range.upperBound ? range.lowerBound : corner + 1
                    let a = mesh.cornerVertices[corner], b = mesh.cornerVertices[next]
                    guard users[ModifierMesh.edgeKey(a, b)] == 1 else { continue }
                    result.cornerVertices += [b, a, a + shift, b + shift]
                    result.faceOffsets.append(Int32(result.cornerVertices.count))
                    rimVertices.insert(a)
                    rimVertices.insert(b)
                }
            }
            for v in rimVertices.sorted() { result.edges.append(SIMD2(v, v + shift)) }
        }
        state = .geometry(result)
    }

    /// Area-weighted vertex normals (Newell face normals summed at each corner); zero for loose vertices.
    static func vertexNormals(_ mesh: ModifierMesh) -> [SIMD3<Double>] {
        var normals = [SIMD3<Double>](repeating: .zero, count: mesh.positions.count)
        for face in 0..<mesh.faceCount {
            let range = mesh.faceRange(face)
            var normal = SIMD3<Double>.zero
            for corner in range {
                let next = corner + 1 == range.upperBound ? range.lowerBound : corner + 1
                let p = mesh.positions[Int(mesh.cornerVertices[corner])], q = mesh.positions[Int(mesh.cornerVertices[next])]
                normal += SIMD3((p.y - q.y) * (p.z + q.z), (p.z - q.z) * (p.x + q.x), (p.x - q.x) * (p.y + q.y))
            }
            for corner in range { normals[Int(mesh.cornerVertices[corner])] += normal }
        }
        return normals.map { n in
            let length = (n * n).sum().squareRoot()
            return length > 1e-20 ? n / length : .zero
        }
    }
}
