import Foundation
import Testing
@testable import MeshInspector

/// The polygons Blender 3.4's FBX import keeps after `mesh.validate()`, in counts and previews alike. The numbers
/// are Blender's: `invalid-polygons.fbx` (cube.fbx plus one polygon per case, measured in Blender 3.4.1 by
/// `scripts/make-mesh-fixtures-fbx-blend.py edge-cases`) and the probes listed with each test.
@Suite struct FBXPolygonValidationTests {
    let writer = FBXTestWriter()
    let square: FBXTestWriter.Property = .doubles([0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0])

    @Test func validateDropsWhatBlenderDrops() {
        // A quad, the same vertices in another order, a repeated vertex, two corners, one corner, a vertex out of
        // range, a triangle kept, and two corners left open.
        let indices: [Int32] = [0, 1, 2, -4, 3, 2, 1, -1, 0, 1, 0, -3, 0, -2, -1, 0, 1, -10, 0, 1, -3, 0, 1]
        let summary = FBXPolygons.forEachKept(indices, vertexCount: 4)
        #expect(summary.kept == 2)
        #expect(summary.triangles == 3)
        #expect(summary.duplicates == 1)
        #expect(summary.invalid == 4)
        #expect(summary.openCorners == 2)
    }

    @Test func duplicatesOfEverySizeAreFound() {
        // Triangles and quads use the fixed-size keys, larger polygons the arrays; a triangle is never taken for a
        // quad that shares its three vertices.
        let indices: [Int32] = [0, 1, 2, -4, 0, 1, -3, 4, 3, 2, 1, -1, 2, 1, -1, 0, 1, 2, 3, -5]
        let summary = FBXPolygons.forEachKept(indices, vertexCount: 5)
        #expect(summary.kept == 3)
        #expect(summary.duplicates == 2)
    }

    @Test func countsAndPreviewAgree() throws {
        let polygons: [Int32] = [0, 1, 2, -4, 2, 1, 0, -4, 0, 1, 0, -4, 0, -2]
        let scene = Data(writer.triangleScene(vertices: square, polygons: .ints(polygons)))
        let report = try FBXReader.inspectBinary(scene, limits: .standard)
        #expect(report.vertexCount == 4)
        #expect(report.polygonCount == 1)
        #expect(report.triangleCount == 2)
        #expect(report.warnings.contains { $0.contains("repeating the vertices") })
        let preview = try FBXGeometry.extract(scene, ascii: false, limits: .standard, maxTriangles: 100)
        #expect(preview.sourceTriangleCount == 2)
    }

    @Test("the fixtures' previews draw exactly the triangles counted", arguments: [
        "invalid-polygons.fbx", "invalid-polygons-ascii.fbx",
    ])
    func fixturePreviewMatchesCounts(_ name: String) throws {
        let data = try FBXBlendExpectation.data(directory: "fbx", name: name)
        let ascii = !data.starts(with: FBXBinaryParser.magic)
        let report = ascii
            ? try FBXReader.inspectASCII(data, limits: .standard) : try FBXReader.inspectBinary(data, limits: .standard)
        let preview = try FBXGeometry.extract(data, ascii: ascii, limits: .standard, maxTriangles: 1000)
        #expect(report.triangleCount == 13)
        #expect(preview.sourceTriangleCount == report.triangleCount)
    }

    @Test func instancedGeometryCountsOnce() throws {
        // Blender shares one mesh between the three objects; its statistics count it once.
        let data = try FBXBlendExpectation.data(directory: "fbx", name: "instanced.fbx")
        let report = try FBXReader.inspectBinary(data, limits: .standard)
        #expect(report.vertexCount == 8)
        #expect(report.triangleCount == 12)
        let preview = try FBXGeometry.extract(data, ascii: false, limits: .standard, maxTriangles: 1000)
        #expect(preview.sourceTriangleCount == 36)
    }
}
