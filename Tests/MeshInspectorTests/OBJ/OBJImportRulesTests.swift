import Foundation
import Testing
@testable import MeshInspector

/// How Blender 3.4's OBJ importer rebuilds and drops faces, beyond the `obj/edge-*.obj` fixtures that
/// `MeshFixtureTests` checks against Blender's measured numbers. Every expected number here was read off Blender
/// 3.4.1's statistics after `wm.obj_import` of the same text.
@Suite struct OBJImportRulesTests {
    /// Unit square 1-4, then (2,0) (2,1), the centre (0.5,0.5), (3,3), and (-1,0) (-1,-1) (0,-1).
    static let vertices = """
        v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv 2 0 0\nv 2 1 0\nv 0.5 0.5 0\nv 3 3 0\nv -1 0 0\nv -1 -1 0\nv 0 -1 0\n
        """

    func report(_ faces: String) throws -> MeshReport {
        try OBJReader.inspect(Data((Self.vertices + faces).utf8), resources: .none, limits: .standard)
    }

    func preview(_ faces: String) throws -> PreviewGeometry {
        try OBJGeometry.extract(Data((Self.vertices + faces).utf8), limits: .standard, maxTriangles: 1000)
    }

    struct Case: CustomStringConvertible, Sendable {
        var faces: String
        var vertices: Int
        var polygons: Int
        var triangles: Int
        var description: String { faces }
    }

    /// One face per file, so Blender's clean-up walks each on its own.
    @Test("a face repeating a vertex becomes Blender's polygons, in counts and preview", arguments: [
        Case(faces: "f 1 2 3 4 1 2 3 4\n", vertices: 4, polygons: 1, triangles: 2),
        Case(faces: "f 1 2 3 4 1 2 3 4 1 2 3 4\n", vertices: 4, polygons: 1, triangles: 2),
        Case(faces: "f 1 2 3 1\n", vertices: 3, polygons: 1, triangles: 1),
        Case(faces: "f 1 2 2 3\n", vertices: 3, polygons: 1, triangles: 1),
        Case(faces: "f 1 2 1\n", vertices: 2, polygons: 0, triangles: 0),
        Case(faces: "f 1 2 3 2\n", vertices: 3, polygons: 0, triangles: 0),
        Case(faces: "f 1 2 3 3 2 1\n", vertices: 3, polygons: 0, triangles: 0),
        Case(faces: "f 1 2 3 4 1 4 3 2\n", vertices: 4, polygons: 1, triangles: 2),
        Case(faces: "f 1 2 3 4 4 3 2 1\n", vertices: 4, polygons: 0, triangles: 0),
        Case(faces: "f 1 2 3 4 1 9 10 11\n", vertices: 7, polygons: 2, triangles: 4),
        Case(faces: "f 1 2 3 1 10 11\n", vertices: 5, polygons: 2, triangles: 2),
        Case(faces: "f 1 2 3 4 1 9 10 11 1 4 3 2\n", vertices: 7, polygons: 2, triangles: 4),
        Case(faces: "v 0 0 0\nv 1 0 0\nv 2 0 0\nf 12 13 14 12 13 14\n", vertices: 3, polygons: 0, triangles: 0),
        Case(faces: "v 0 0 5\nv 1 0 5\nv 1 0 6\nv 0 0 6\nf 12 13 14 15 12 15 14 13\n", vertices: 4, polygons: 0, triangles: 0),
        Case(faces: "v 0 0 1\nv 1 1 1\nf 1 2 3 12 13 12\n", vertices: 5, polygons: 1, triangles: 2),
    ])
    func repeatedVertices(_ test: Case) throws {
        let counted = try report(test.faces)
        #expect(counted.vertexCount == test.vertices)
        #expect(counted.polygonCount == test.polygons)
        #expect(counted.triangleCount == test.triangles)
        #expect(!counted.isApproximate)
        let drawn = try preview(test.faces)
        #expect(drawn.sourceTriangleCount == test.triangles)
        #expect(drawn.triangleCount == test.triangles)
    }

    @Test func overlappingLoopsAreMarkedApproximate() throws {
        // A square with a square hole joined by a repeated vertex: Blender 3.4.1 cuts the ring into 2 faces of
        // 8 triangles; split into loops it is 2 quads. The loops nest, so the report says it is approximate.
        let keyhole = "v 0.25 0.25 0\nv 0.75 0.25 0\nv 0.75 0.75 0\nv 0.25 0.75 0\nf 1 2 3 4 1 12 15 14 13 12\n"
        let nested = try report(keyhole)
        #expect(nested.vertexCount == 8)
        #expect(nested.isApproximate)
        #expect(nested.warnings.contains { $0.contains("overlaps or crosses") })
        // A quad gone round from another corner holds a triangle inside it (Blender: 1 face, 1 triangle).
        let overlapping = try report("f 1 2 3 4 2 3 4 1\n")
        #expect(overlapping.isApproximate)
    }

    @Test func blendersCleanUpSkipsTheFaceMovedIntoAFreedSlot() throws {
        // Blender 3.4.1: `f 1 2 3`, `f 5 6`, `f 8` import as 2 faces and 0 triangles (the one-corner face stays).
        let short = try report("f 1 2 3\nf 5 6\nf 8\n")
        #expect(short.polygonCount == 2)
        #expect(short.triangleCount == 0)
        #expect(short.warnings.contains { $0.contains("counted as written") })
        // The second repeated face is moved into the first's slot and never rebuilt: 2 faces, 12 triangles.
        let twice = try report("f 1 2 3 4 1 2 3 4\nf 2 5 6 3 2 5 6 3 2 5 6 3\n")
        #expect(twice.polygonCount == 2)
        #expect(twice.triangleCount == 12)
        // The preview draws the faces Blender keeps, the unrebuilt one as written.
        #expect(try preview("f 1 2 3 4 1 2 3 4\nf 2 5 6 3 2 5 6 3 2 5 6 3\n").sourceTriangleCount == 12)
    }

    @Test func cleanUpReplay() {
        var cleanup = OBJFaceCleanup()
        // Faces 0 (kept), 1 (two corners), 2 (one corner), 3 (kept), 4 (repeats a vertex, becomes 2 polygons).
        try? cleanup.record(position: 1, corners: [0, 1], limits: .standard)
        try? cleanup.record(position: 2, corners: [3], limits: .standard)
        try? cleanup.record(position: 4, corners: [0, 1, 2, 0, 3, 4], limits: .standard)
        let fates = cleanup.fates(faceCount: 5) { _ in 2 }
        // Removing face 1 moves face 4 into its slot, which the walk then steps past; face 2 is removed in turn.
        #expect(fates == [.removed, .removed, .keptAsWritten])
    }

    @Test func droppedFacesKeepTheirEarlierVerticesAndValidateTheObject() throws {
        // Blender 3.4.1: 4 vertices, 1 face (the duplicate quad goes once the bad face makes Blender validate).
        let dropped = try report("f 1 2 3 4\nf 4 3 2 1\nf 1 2 99\n")
        #expect(dropped.vertexCount == 4)
        #expect(dropped.polygonCount == 1)
        #expect(dropped.warnings.contains { $0.contains("does not exist") })
        #expect(dropped.warnings.contains { $0.contains("duplicate") })
        #expect(try preview("f 1 2 3 4\nf 4 3 2 1\nf 1 2 99\n").sourceTriangleCount == 2)
        // Without a dropped face nothing is validated and duplicates stay: 3 faces.
        #expect(try report("f 1 2 3\nf 1 2 3\nf 3 2 1\n").polygonCount == 3)
    }

    @Test("corners Blender cannot use drop the face", arguments: [
        ("f 1 2 3 # note\n", 3), ("f 1 2 3x\n", 3), ("f 1/1 2/1 3/1\n", 1), ("vn 0 0 1\nf 1//1 2//2 3//1\n", 2),
        ("f a b c\n", 11), ("f 0 1 2\n", 11), ("f 1 2 -30\n", 2), ("f 1/1/1/1 2 3\n", 1),
    ])
    func unusableCorners(_ faces: String, _ vertices: Int) throws {
        // With no vertex used at all, Blender makes the object a point cloud of every vertex (11).
        let counted = try report(faces)
        #expect(counted.polygonCount == 0)
        #expect(counted.vertexCount == vertices)
    }

    @Test func cornersBlenderAccepts() throws {
        // Normal indices are ignored when the file has no normals; negative indices count back.
        #expect(try report("f 1//7 2//7 3//7\n").polygonCount == 1)
        #expect(try report("vt 0 0\nvn 0 0 1\nf 1/-1/-1 2/1/1 3/-1/1\n").polygonCount == 1)
        #expect(try report("f -1 -2 -3\n").vertexCount == 3)
    }

    @Test("line endings, tabs, continuations and empty slots", arguments: [
        // (text, polygons, triangles) as Blender 3.4.1 imported each.
        ("v 0 0 0\r\nv 1 0 0\r\nv 1 1 0\r\nv 0 1 0\r\nvt 0 0\r\nvn 0 0 1\r\nf 1/1/1 2/1/1 3/1/1 \r\nf\t1\t3\t4\t\r\n", 2, 2),
        ("v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 \\\n 3 4\nf 1 2 3 4 1 \\\n 2 3 4\n", 2, 4),
        ("v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1// 2// 3//\nf 1/ 3/ 4/\nf +1 +2 +4\n", 3, 3),
    ])
    func writingVariants(_ text: String, _ polygons: Int, _ triangles: Int) throws {
        let counted = try OBJReader.inspect(Data(text.utf8), resources: .none, limits: .standard)
        #expect(counted.vertexCount == 4)
        #expect(counted.polygonCount == polygons)
        #expect(counted.triangleCount == triangles)
    }

    @Test func linesAddTheirFirstTwoIndicesWhateverTheyAre() throws {
        // Blender 3.4.1: `l 1 2 3 4` adds 2 vertices; `l 1 99` 2; `l 1` then `f 1 2 11` 3 (the missing index reads
        // as the last vertex); `l 0 2` then `f 1 2 3` 4 (index 0 becomes a vertex of its own).
        #expect(try report("l 1 2 3 4\n").vertexCount == 2)
        #expect(try report("l 1 99\n").vertexCount == 2)
        #expect(try report("l 1\nf 1 2 11\n").vertexCount == 3)
        #expect(try report("l 0 2\nf 1 2 3\n").vertexCount == 4)
    }

    @Test func objectsSplitOnlyAfterAKeptFace() throws {
        // Blender 3.4.1: A (only a dropped face) becomes B: 3 vertices, 1 object; `f 1 2` does split.
        let merged = try report("o A\nf 1 99\no B\nf 1 2 3\n")
        #expect(merged.vertexCount == 3)
        #expect(merged.meshCount == 1)
        let split = try report("o A\nf 1 2\no B\nf 4 5 6\n")
        #expect(split.vertexCount == 5)
        #expect(split.meshCount == 2)
    }

    @Test func manyLargeRepeatedFacesShareOneCheckBudget() throws {
        // 1,000 faces of 200 corners, each a 100-gon gone round twice: one object each so every one is rebuilt.
        var text = ""
        for index in 0..<100 {
            let angle = Double(index) / 100 * 2 * .pi
            text += "v \(cos(angle)) \(sin(angle)) 0\n"
        }
        let ring = (1...100).map(String.init).joined(separator: " ")
        for index in 0..<1000 { text += "o F\(index)\nf \(ring) \(ring)\n" }
        let counted: MeshReport? = try OBJReader.inspect(Data(text.utf8), resources: .none, limits: .standard)
        #expect(counted?.polygonCount == 1000)
        #expect(counted?.triangleCount == 1000 * 98)
        // Past the file's check budget the faces are rebuilt all the same but reported approximate.
        #expect(counted?.isApproximate == true)
    }

    @Test func faceRepairLoops() {
        #expect(OBJFaceRepair.simpleLoops([0, 1, 2, 3, 0, 1, 2, 3]) == [[0, 1, 2, 3], [0, 1, 2, 3]])
        #expect(OBJFaceRepair.simpleLoops([0, 1, 1, 2, 0]) == [[0, 1, 2]])
        #expect(OBJFaceRepair.canonical([2, 3, 0, 1]) == OBJFaceRepair.canonical([0, 3, 2, 1]))
        #expect(OBJFaceRepair.canonical([0, 1, 2, 3]) != OBJFaceRepair.canonical([0, 2, 1, 3]))
    }
}
