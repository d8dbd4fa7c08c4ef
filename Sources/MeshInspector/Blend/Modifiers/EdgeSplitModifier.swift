import Foundation

/// Edge Split (`EdgeSplitModifierData`): edges are tagged when their two faces meet at more than `split_angle`
/// (`flags` bit 1; Blender compares the faces' normals against `cos(split_angle)`) or when marked sharp (bit 2),
/// then split: around each vertex, faces joined by untagged edges keep sharing it and each other fan of faces gets
/// its own copy; a tagged edge becomes one edge per face using it. Faces and corners, hence triangles, do not
/// change. Sharp marks are only known on the file's own mesh: after another reshaping modifier they count as
/// approximate.
enum EdgeSplitModifier {
    static let fromAngle: Int64 = 1 << 1
    static let fromSharp: Int64 = 1 << 2

    static func apply(_ split: BlendStruct, to state: inout ModifierMeshState, context: inout ModifierContext) throws {
        let flags = split.integer(["flags"]) ?? (fromAngle | fromSharp)
        let useAngle = flags & fromAngle != 0, useSharp = flags & fromSharp != 0
        guard useAngle || useSharp else { return }
        guard case .geometry(let mesh) = state else {
            context.approximate("splits edges of a mesh known only by its counts (after Subdivision, or too dense to rebuild)")
            return
        }
        if useSharp, context.geometryRebuilt {
            context.approximate("splits edges marked sharp after another modifier rebuilt the mesh, which does not carry the marks")
        }
        let threshold = cos((split.finiteFloat(["split_angle"]) ?? 0.5235988) + 0.000000175)

        // Face normals (Newell) and, per edge, the corners at its two ends in each face using it.
        var normals: [SIMD3<Double>] = []
        normals.reserveCapacity(mesh.faceCount)
        var users: [UInt64: [(face: Int32, atA: Int32, atB: Int32)]] = [:]
        for face in 0..<mesh.faceCount {
            let range = mesh.faceRange(face)
            var normal = SIMD3<Double>.zero
            for corner in range {
                let next = corner + 1 == range.upperBound ? range.lowerBound : corner + 1
                let v = mesh.cornerVertices[corner], w = mesh.cornerVertices[next]
                let p = mesh.positions[Int(v)], q = mesh.positions[Int(w)]
                normal += SIMD3((p.y - q.y) * (p.z + q.z), (p.z - q.z) * (p.x + q.x), (p.x - q.x) * (p.y + q.y))
                // Corners keyed so `atA` sits at the edge's lower vertex index.
                let (atLow, atHigh) = v < w ? (corner, next) : (next, corner)
                users[ModifierMesh.edgeKey(v, w), default: []].append((Int32(face), Int32(atLow), Int32(atHigh)))
            }
            let length = (normal * normal).sum().squareRoot()
            normals.append(length > 0 ? normal / length : .zero)
        }

        // Union-find over corners: corners of one vertex joined across untagged edges share that vertex.
        var parent = Array(0..<Int32(mesh.cornerVertices.count))
        func root(_ c: Int32) -> Int32 {
            var r = c
            while parent[Int(r)] != r { r = parent[Int(r)] }
            var x = c
            while parent[Int(x)] != r { let next = parent[Int(x)]; parent[Int(x)] = r; x = next }
            return r
        }
        func union(_ a: Int32, _ b: Int32) {
            let ra = root(a), rb = root(b)
            if ra != rb { parent[Int(Swift.max(ra, rb))] = Swift.min(ra, rb) }
        }
        var extraEdges = 0
        for (key, faces) in users {
            var tagged = false
            if useAngle {
                if faces.count == 2 {
                    let dot = (normals[Int(faces[0].face)] * normals[Int(faces[1].face)]).sum()
                    tagged = dot < threshold
                } else if faces.count > 2 {
                    tagged = true
                }
            }
            if useSharp, mesh.sharpEdges.contains(key) { tagged = true }
            if tagged {
                extraEdges += faces.count - 1
            } else if faces.count > 1 {
                for user in faces.dropFirst() {
                    union(faces[0].atA, user.atA)
                    union(faces[0].atB, user.atB)
                }
            }
        }
        // Copies per vertex: distinct corner groups (a vertex without faces stays one vertex).
        var groups = Set<SIMD2<Int32>>()
        var verticesWithFaces = Set<Int32>()
        for corner in 0..<mesh.cornerVertices.count {
            let v = mesh.cornerVertices[corner]
            groups.insert(SIMD2(v, root(Int32(corner))))
            verticesWithFaces.insert(v)
        }
        let vertices = mesh.positions.count - verticesWithFaces.count + groups.count
        // The result is kept as counts: the split mesh is only needed by later merges, which are rare after it.
        state = .counts(MeshCounts(vertices: vertices, edges: mesh.edges.count + extraEdges, faces: mesh.faceCount,
                                   corners: mesh.cornerVertices.count, allQuads: mesh.counts.allQuads),
                        box: mesh.bounds)
    }
}
