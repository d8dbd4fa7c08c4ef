import Foundation
import Testing
@testable import MeshInspector

/// The merge step shared by Mirror, Array and Weld, on meshes small enough to follow by hand.
@Suite struct MeshVertexMergeTests {
    /// Two quads side by side: 0-1-4-3 and 1-2-5-4 on a 3 × 2 grid of vertices.
    static func strip() -> ModifierMesh {
        var mesh = ModifierMesh()
        mesh.positions = [SIMD3(0, 0, 0), SIMD3(1, 0, 0), SIMD3(2, 0, 0), SIMD3(0, 1, 0), SIMD3(1, 1, 0), SIMD3(2, 1, 0)]
        mesh.cornerVertices = [0, 1, 4, 3, 1, 2, 5, 4]
        mesh.faceOffsets = [0, 4, 8]
        mesh.edges = [SIMD2(0, 1), SIMD2(1, 4), SIMD2(4, 3), SIMD2(3, 0), SIMD2(1, 2), SIMD2(2, 5), SIMD2(5, 4)]
        return mesh
    }

    @Test func mergingTwoCornersOfAQuadLeavesATriangle() {
        // 2 onto 1: the second quad loses a corner, edge 1-2 vanishes, edge 2-5 becomes 1-5.
        var target = [Int32](repeating: -1, count: 6)
        target[2] = 1
        let merged = MeshVertexMerge.merge(Self.strip(), target: target, policy: .dropIfAllMapped)
        #expect(merged.counts == MeshCounts(vertices: 5, edges: 6, faces: 2, corners: 7))
    }

    @Test func mirrorPolicyDropsFacesWhoseVerticesAllMoved() {
        // Every vertex of the second quad moves onto the first quad's (a copy lying on its original).
        var target = [Int32](repeating: -1, count: 6)
        target[2] = 0
        target[5] = 3
        var mesh = Self.strip()
        mesh.cornerVertices = [0, 1, 4, 3, 2, 5, 4, 1]
        // Face two is 2-5-4-1: 1 and 4 stay, so it survives under "dump if mapped" (not all moved).
        #expect(MeshVertexMerge.merge(mesh, target: target, policy: .dropIfAllMapped).faceCount == 2)
        // With 1 and 4 moved as well (onto themselves' twins) the face goes.
        var all = target
        all[1] = 0
        all[4] = 3
        #expect(MeshVertexMerge.merge(mesh, target: all, policy: .dropIfAllMapped).faceCount == 0)
    }

    @Test func arrayPolicyKeepsAFaceUnlessItLandsOnAnExistingOne() {
        // A quad whose copy lands exactly on it (all four vertices mapped) is dropped; one landing on vertices
        // that form no face is kept, collapsed to what remains.
        var mesh = ModifierMesh()
        mesh.positions = Array(repeating: SIMD3(0, 0, 0), count: 8)
        mesh.cornerVertices = [0, 1, 2, 3, 4, 5, 6, 7]
        mesh.faceOffsets = [0, 4, 8]
        mesh.edges = [SIMD2(0, 1), SIMD2(1, 2), SIMD2(2, 3), SIMD2(3, 0), SIMD2(4, 5), SIMD2(5, 6), SIMD2(6, 7), SIMD2(7, 4)]
        let onto: [Int32] = [-1, -1, -1, -1, 0, 1, 2, 3]
        #expect(MeshVertexMerge.merge(mesh, target: onto, policy: .dropIfEqualToExisting).faceCount == 1)
        let twisted: [Int32] = [-1, -1, -1, -1, 0, 2, 1, 3]
        #expect(MeshVertexMerge.merge(mesh, target: twisted, policy: .dropIfEqualToExisting).faceCount == 2)
    }

    @Test func weldPolicyRemovesDuplicateFaces() {
        var mesh = ModifierMesh()
        mesh.positions = Array(repeating: SIMD3(0, 0, 0), count: 6)
        mesh.cornerVertices = [0, 1, 2, 3, 5, 4]
        mesh.faceOffsets = [0, 3, 6]
        mesh.edges = [SIMD2(0, 1), SIMD2(1, 2), SIMD2(2, 0), SIMD2(3, 5), SIMD2(5, 4), SIMD2(4, 3)]
        let target: [Int32] = [-1, -1, -1, 0, 1, 2]
        #expect(MeshVertexMerge.merge(mesh, target: target, policy: .dropDuplicates).counts
            == MeshCounts(vertices: 3, edges: 3, faces: 1, corners: 3))
    }

    @Test func chainsAndLoopsInTheMapAreResolved() {
        // 5 → 4 → 1 is followed to 1; 2 ↔ 3 point at each other: the loop keeps 2 and 3 merges into it.
        let target: [Int32] = [-1, -1, 3, 2, 1, 4]
        let merged = MeshVertexMerge.merge(Self.strip(), target: target, policy: .dropDuplicates)
        #expect(merged.positions.count == 3)
        // A chain as long as the mesh resolves in linear time.
        var long = ModifierMesh()
        long.positions = Array(repeating: .zero, count: 1_000_000)
        let chain = (0..<1_000_000).map { Int32($0) - 1 }
        #expect(MeshVertexMerge.merge(long, target: chain, policy: .dropDuplicates).positions.count == 1)
    }

    @Test func subdivisionCountsPerLevel() throws {
        // A cube: 8, 12, 6, 24 → 26, 48, 24, 96 → 98, 192, 96, 384 (Blender: 98 vertices at level 2).
        let one = try SubdivisionModifier.subdivided(MeshCounts(vertices: 8, edges: 12, faces: 6, corners: 24))
        #expect(one == MeshCounts(vertices: 26, edges: 48, faces: 24, corners: 96, allQuads: true))
        let two = try SubdivisionModifier.subdivided(one)
        #expect(two.vertices == 98 && two.faces == 96 && two.triangles == 192)
    }
}
