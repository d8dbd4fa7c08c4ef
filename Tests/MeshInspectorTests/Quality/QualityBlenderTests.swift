import Foundation
import Testing
@testable import MeshInspector

/// What Blender 3.4 finds in the quality fixtures after importing each one and merging its vertices by position,
/// as `Fixtures/quality/make-quality-fixtures.py` recorded it in `Fixtures/quality/expected.json`: bmesh edge and
/// face counts, and `select_non_manifold` option by option.
struct BlenderTopology: Decodable {
    var nonManifoldEdges: Int
    var boundaryEdges: Int
    var inconsistentWindingEdges: Int
    var looseVertices: Int
    var looseEdges: Int
    var zeroAreaFaces: Int
    var ngonCount: Int
    var isManifold: Bool
    var uvSetCount: Int
    var uvsOutsideUnitSquare: Bool
    // bpy.ops.mesh.select_non_manifold, one option at a time.
    var op_multi_face: Int
    var op_boundary: Int
    var op_non_contiguous: Int
    var op_wire: Int

    static let all: [String: BlenderTopology] = {
        guard let url = MeshFixtures.url("quality/expected.json"), let data = try? Data(contentsOf: url) else { return [:] }
        return (try? JSONDecoder().decode([String: BlenderTopology].self, from: data)) ?? [:]
    }()
}

@Suite("Quality topology matches Blender")
struct QualityBlenderTests {
    static let files = BlenderTopology.all.keys.sorted()

    @Test("every case was measured in every format")
    func coverage() {
        for format in ["glb", "obj", "fbx", "blend"] {
            #expect(Self.files.filter { $0.hasSuffix(".\(format)") }.count >= 11, "\(format)")
        }
    }

    @Test("counts equal Blender's", arguments: files)
    func matchesBlender(_ name: String) throws {
        let blender = try #require(BlenderTopology.all[name])
        let report = try MeshInspector.inspect(fileAt: try #require(MeshFixtures.url("quality/" + name)).path)
        let quality = try #require(report.quality)
        #expect(quality.nonManifoldEdges == blender.nonManifoldEdges, "non-manifold edges")
        #expect(quality.boundaryEdges == blender.boundaryEdges, "boundary edges")
        #expect(quality.inconsistentWindingEdges == blender.inconsistentWindingEdges, "inconsistent winding")
        #expect(quality.looseVertices == blender.looseVertices, "loose vertices")
        #expect(quality.looseEdges == blender.looseEdges, "loose edges")
        #expect(quality.zeroAreaFaces == blender.zeroAreaFaces, "zero-area faces")
        #expect(quality.isManifold == blender.isManifold, "closed")
        #expect(quality.uvSetCount == blender.uvSetCount, "UV maps")
        #expect(quality.uvsOutsideUnitSquare == blender.uvsOutsideUnitSquare, "UVs outside 0-1")
        if name.hasSuffix(".glb") {
            #expect(quality.ngonCount == nil, "glTF stores only triangles")
        } else {
            #expect(quality.ngonCount == blender.ngonCount, "n-gons")
        }
        // Blender's own operator agrees with its bmesh counts on these cases.
        #expect(blender.op_multi_face == blender.nonManifoldEdges)
        #expect(blender.op_boundary == blender.boundaryEdges)
        #expect(blender.op_wire == blender.looseEdges)
    }

    @Test("each case gets the finding it was built for", arguments: ["glb", "obj", "fbx", "blend"])
    func findings(_ format: String) throws {
        func checks(_ name: String) throws -> Set<String> {
            let path = try #require(MeshFixtures.url("quality/\(name).\(format)")).path
            return Set(try #require(try MeshInspector.inspect(fileAt: path).quality).findings.map(\.check))
        }
        #expect(try checks("closed_cube").subtracting(["no_materials"]).isEmpty)
        #expect(try checks("open_cube").contains("boundary_edges"))
        #expect(try checks("nonmanifold").contains("non_manifold_edges"))
        #expect(try checks("flipped").contains("inconsistent_winding"))
        #expect(try checks("degenerate").contains("zero_area_faces"))
        #expect(try checks("no_uvs").contains("no_uvs"))
        #expect(try checks("uv_outside").contains("uv_outside_unit"))
        #expect(try checks("uv_overlap").contains("uv_overlap"))
        #expect(!(try checks("udim").contains("uv_outside_unit")))
        #expect(try checks("ngon_cylinder").contains("ngons") == (format != "glb"))
        if format != "obj" {
            // Blender's OBJ exporter writes loose vertices as unused `v` lines, which importers drop.
            #expect(try checks("loose").contains("loose_geometry"))
        }
    }
}
