import Foundation
import Testing
@testable import MeshInspector

/// Blender-made FBX files (and conversions of them) against the numbers Blender 3.4.1 reported after importing
/// each one; `scripts/make-mesh-fixtures-fbx-blend.py` regenerates both.
@Suite struct FBXFixtureTests {
    static let names = [
        "cube.fbx", "suzanne.fbx", "ngon.fbx", "rigged.fbx", "multimaterial.fbx",
        "cube-ascii.fbx", "rigged-ascii.fbx", "suzanne-7500.fbx",
        "instanced.fbx", "invalid-polygons.fbx", "invalid-polygons-ascii.fbx",
    ]

    @Test(arguments: names)
    func matchesBlender(_ name: String) throws {
        let expected = try FBXBlendExpectation.load(directory: "fbx", name: name)
        let data = try FBXBlendExpectation.data(directory: "fbx", name: name)
        let isASCII = !data.starts(with: FBXBinaryParser.magic)
        let report = isASCII
            ? try FBXReader.inspectASCII(data, limits: .standard)
            : try FBXReader.inspectBinary(data, limits: .standard)
        #expect(report.format == .fbx)
        expected.check(report)
    }

    @Test func compressedArraysAreInflated() throws {
        // Blender's exporter deflates every array over 128 bytes, so Suzanne's vertices are compressed.
        let data = try FBXBlendExpectation.data(directory: "fbx", name: "suzanne.fbx")
        let document = try data.withUnsafeBytes { try FBXBinaryParser.parse($0, limits: .standard) }
        let geometry = try #require(document.root("Objects")?.children.first { $0.name == "Geometry" })
        guard case .array(let vertices)? = geometry.child("Vertices")?.property(0),
              case .binary(_, let encoding, _) = vertices.storage else {
            Issue.record("Vertices is not a binary array")
            return
        }
        #expect(encoding == 1)
        #expect(vertices.count == 507 * 3)
    }

    @Test func reportsHeaderVersions() throws {
        let binary = try FBXReader.inspectBinary(FBXBlendExpectation.data(directory: "fbx", name: "cube.fbx"), limits: .standard)
        #expect(binary.formatVersion == "7400")
        let wide = try FBXReader.inspectBinary(FBXBlendExpectation.data(directory: "fbx", name: "suzanne-7500.fbx"), limits: .standard)
        #expect(wide.formatVersion == "7500")
        let ascii = try FBXReader.inspectASCII(FBXBlendExpectation.data(directory: "fbx", name: "cube-ascii.fbx"), limits: .standard)
        #expect(ascii.formatVersion == "7400")
    }

    @Test func loosePartsFollowBlendersImporter() throws {
        // ngon.fbx carries a loose vertex and a loose edge written as a two-corner polygon: Blender keeps every
        // control point but drops the two-corner polygon.
        let report = try FBXReader.inspectBinary(FBXBlendExpectation.data(directory: "fbx", name: "ngon.fbx"), limits: .standard)
        #expect(report.vertexCount == 21)
        #expect(report.polygonCount == 6)
        #expect(report.warnings.contains { $0.contains("fewer than three") })
    }
}
