import Foundation
import Testing
@testable import MeshInspector

/// What Blender 3.4 reported for one fixture after importing it with default options, as recorded in
/// `Fixtures/expected.json` by `scripts/make-mesh-fixtures.py`.
struct BlenderNumbers {
    var vertexCount: Int
    var polygonCount: Int
    var triangleCount: Int
    var meshCount: Int
    var materialCount: Int
    var textureCount: Int
    var animationCount: Int
    var isRigged: Bool
    var boundingBox: BoundingBox?

    static let all: [String: BlenderNumbers] = {
        guard let url = MeshFixtures.url("expected.json"), let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else { return [:] }
        return json.compactMapValues { entry in
            func int(_ key: String) -> Int { entry[key] as? Int ?? -1 }
            var box: BoundingBox?
            if let raw = entry["boundingBox"] as? [String: [Double]], let low = raw["min"], let high = raw["max"] {
                box = BoundingBox(min: low, max: high)
            }
            return BlenderNumbers(
                vertexCount: int("vertexCount"), polygonCount: int("polygonCount"), triangleCount: int("triangleCount"),
                meshCount: int("meshCount"), materialCount: int("materialCount"), textureCount: int("textureCount"),
                animationCount: int("animationCount"), isRigged: entry["isRigged"] as? Bool ?? false, boundingBox: box)
        }
    }()
}

enum MeshFixtures {
    static func url(_ relativePath: String) -> URL? {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)?.appendingPathComponent(relativePath)
    }

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: try #require(url(relativePath), "missing fixture \(relativePath)"))
    }

    /// The glTF, OBJ and bundle fixtures Blender measured (the FBX and BLEND ones have their own tests).
    static let measured: [String] = BlenderNumbers.all.keys.sorted()
}

@Suite("Fixtures match Blender's own numbers")
struct MeshFixtureTests {
    @Test("expected.json covers every kind of fixture")
    func expectationsExist() {
        #expect(MeshFixtures.measured.count >= 15)
        #expect(MeshFixtures.measured.contains { $0.hasPrefix("gltf/") && $0.hasSuffix(".glb") })
        #expect(MeshFixtures.measured.contains { $0.hasPrefix("gltf/") && $0.hasSuffix(".gltf") })
        #expect(MeshFixtures.measured.contains { $0.hasPrefix("obj/") })
        #expect(MeshFixtures.measured.contains { $0.hasPrefix("bundles/") })
    }

    @Test("counts equal Blender's", arguments: MeshFixtures.measured)
    func countsMatchBlender(_ name: String) throws {
        let expected = try #require(BlenderNumbers.all[name])
        let path = try #require(MeshFixtures.url(name)).path
        let report = try MeshInspector.inspect(fileAt: path)
        #expect(report.vertexCount == expected.vertexCount, "vertices")
        #expect(report.triangleCount == expected.triangleCount, "triangles")
        #expect(report.meshCount == expected.meshCount, "mesh objects")
        #expect(report.materialCount == expected.materialCount, "materials")
        #expect(report.textureCount == expected.textureCount, "textures (images)")
        #expect(report.animationCount == expected.animationCount, "animations")
        #expect(report.isRigged == expected.isRigged, "rigged")
        if report.format == .obj {
            #expect(report.polygonCount == expected.polygonCount, "polygons")
        } else {
            // glTF stores triangles only; Blender's faces are those triangles.
            #expect(report.polygonCount == nil)
            #expect(expected.polygonCount == expected.triangleCount)
        }
        if let box = expected.boundingBox {
            let measured = try #require(report.boundingBox)
            for (ours, blender) in zip(measured.min + measured.max, box.min + box.max) {
                #expect(abs(ours - blender) < 1e-3, "bounding box \(measured) vs \(box)")
            }
        }
    }

    @Test("formats and versions are reported")
    func formatsAndVersions() throws {
        let glb = try MeshInspector.inspect(fileAt: try #require(MeshFixtures.url("gltf/cube.glb")).path)
        #expect(glb.format == .glb)
        #expect(glb.formatVersion == "2.0")
        let embedded = try MeshInspector.inspect(fileAt: try #require(MeshFixtures.url("gltf/textured_embedded.gltf")).path)
        #expect(embedded.format == .gltf)
        let obj = try MeshInspector.inspect(fileAt: try #require(MeshFixtures.url("obj/cube.obj")).path)
        #expect(obj.format == .obj)
        #expect(obj.formatVersion == nil)
        #expect(obj.warnings.contains { $0.contains("no unit") })
        let bundle = try MeshInspector.inspect(fileAt: try #require(MeshFixtures.url("bundles/textured_gltf.zip")).path)
        #expect(bundle.format == .gltf)
        #expect(bundle.warnings.isEmpty)
    }

    @Test("a glTF cube is 2 m wide in metres")
    func cubeBoundingBox() throws {
        let report = try MeshInspector.inspect(fileAt: try #require(MeshFixtures.url("gltf/cube.glb")).path)
        #expect(report.boundingBox == BoundingBox(min: [-1, -1, -1], max: [1, 1, 1]))
    }

    @Test("an OBJ without its MTL still counts materials, and says why textures are missing")
    func objWithoutLibrary() throws {
        let report = try MeshInspector.inspect(fileAt: try #require(MeshFixtures.url("obj/handmade.obj")).path)
        #expect(report.materialCount == 2)
        #expect(report.textureCount == 0)
        #expect(report.warnings.contains { $0.contains("handmade.mtl") })
        let bundled = try MeshInspector.inspect(fileAt: try #require(MeshFixtures.url("bundles/handmade_obj.zip")).path)
        #expect(bundled.textureCount == 2)
    }

    @Test("a lone glTF whose .bin was not uploaded fails, saying what to upload")
    func gltfWithoutBuffer() throws {
        let archive = try MeshFixtures.data("bundles/textured_gltf.zip")
        let bundle = try ZipBundle(archive, limits: .standard)
        let scene = try bundle.contents(of: bundle.scenePath)
        let error = try #require(throws: MeshInspectionError.self) {
            try GLTFReader.inspectJSON(scene, resources: .none, limits: .standard)
        }
        #expect(error.kind == .unsupported)
        #expect(error.reason.contains("\"textured.bin\""))
        #expect(error.reason.contains("ZIP"))
    }
}
