import Foundation
import Testing
@testable import MeshInspector

/// The triangles a preview is drawn from: every format's fixtures, their world transforms against the bounding
/// boxes the analysis reports, decimation, and hostile input.
@Suite("Preview geometry")
struct PreviewGeometryTests {
    // MARK: counts

    /// Files whose every mesh is placed once: the preview draws exactly the triangles Blender counts.
    @Test("un-instanced fixtures give exactly the triangles the analysis counts", arguments: [
        "gltf/cube.glb", "gltf/suzanne.glb", "gltf/uv_sphere.glb", "gltf/quads_ngons.glb", "gltf/multi_material.glb",
        "gltf/rigged_character.glb", "gltf/textured_embedded.gltf",
        "obj/cube.obj", "obj/suzanne.obj", "obj/uv_sphere.obj", "obj/quads_ngons.obj", "obj/multi_material.obj",
        "bundles/textured_gltf.zip", "bundles/textured_obj.zip", "bundles/handmade_obj.zip",
        "fbx/cube.fbx", "fbx/cube-ascii.fbx", "fbx/suzanne.fbx", "fbx/suzanne-7500.fbx", "fbx/ngon.fbx", "fbx/rigged.fbx",
        "fbx/rigged-ascii.fbx",
        "blend/cube-gzip.blend", "blend/cube-zstd.blend", "blend/ngon-uncompressed.blend", "blend/rigged-zstd.blend",
        "blend/orphan-zstd.blend",
    ])
    func countsMatchAnalysis(_ fixture: String) throws {
        let data = try PreviewFixtures.data(fixture)
        let report = try MeshInspector.inspect(data)
        let geometry = try MeshInspector.geometry(data)
        #expect(geometry.triangleCount == report.triangleCount, "\(fixture)")
        #expect(geometry.sourceTriangleCount == report.triangleCount, "\(fixture)")
        #expect(geometry.positions.count == geometry.triangleCount * 9)
        #expect(geometry.positions.allSatisfy { $0.isFinite })
    }

    @Test("instances are all drawn, where the analysis counts a shared mesh once")
    func instancesAreDrawn() throws {
        // Four cubes, three of them one shared mesh: 12 + 3 × 48 triangles drawn; Blender's statistics say 132.
        #expect(try MeshInspector.geometry(PreviewFixtures.data("gltf/instanced.glb")).triangleCount == 156)
        // One strip-and-fan mesh on two nodes (data: URI buffers); Blender also drops the strip's degenerate joins.
        #expect(try MeshInspector.geometry(PreviewFixtures.data("gltf/strips_embedded.gltf")).triangleCount == 2 * 18)
        // A mesh of 2 + 13 triangles on two nodes, and one of a 10-triangle strip, a 4-triangle fan and points.
        #expect(try MeshInspector.geometry(PreviewFixtures.data("gltf/handmade.glb")).triangleCount == 2 * 15 + 14)
        // Two objects sharing one cube mesh.
        #expect(try MeshInspector.geometry(PreviewFixtures.data("fbx/multimaterial.fbx")).triangleCount == 2 * 12)
        // Three Suzanne-on-a-cube copies through collection instances; the statistics count the two meshes once.
        let blend = try MeshInspector.geometry(PreviewFixtures.data("blend/collection-instances-zstd.blend"))
        #expect(blend.triangleCount == 3 * 980)
    }

    // MARK: world transforms

    /// glTF is Y up already: the drawn triangles span exactly the box the analysis builds from node transforms.
    /// (Fixtures whose box also holds points, lines or loose vertices, which are not drawn, are left out.)
    @Test("glTF and OBJ triangles lie in the analysis's world box", arguments: [
        "gltf/instanced.glb", "gltf/rigged_character.glb", "gltf/suzanne.glb", "obj/suzanne.obj",
        "bundles/handmade_obj.zip",
    ])
    func yUpBoxes(_ fixture: String) throws {
        let data = try PreviewFixtures.data(fixture)
        let box = try #require(try MeshInspector.inspect(data).boundingBox)
        let bounds = try #require(try MeshInspector.geometry(data).bounds)
        PreviewFixtures.expectBox(bounds, equals: box, fixture)
    }

    /// FBX and BLEND boxes are reported in Blender's Z-up frame; the preview turns (x, y, z) into (x, z, −y).
    @Test("FBX and BLEND triangles are turned from Z up to Y up", arguments: [
        "fbx/suzanne.fbx", "fbx/rigged.fbx", "fbx/multimaterial.fbx", "fbx/cube-ascii.fbx", "blend/instanced-zstd.blend", "blend/collection-instances-zstd.blend",
    ])
    func zUpBoxes(_ fixture: String) throws {
        let data = try PreviewFixtures.data(fixture)
        let box = try #require(try MeshInspector.inspect(data).boundingBox)
        let turned = BoundingBox(min: [box.min[0], box.min[2], -box.max[1]], max: [box.max[0], box.max[2], -box.min[1]])
        let bounds = try #require(try MeshInspector.geometry(data).bounds)
        PreviewFixtures.expectBox(bounds, equals: turned, fixture)
    }

    @Test("the same model in three formats gives the same triangles in the same place")
    func formatsAgree() throws {
        let glb = try #require(try MeshInspector.geometry(PreviewFixtures.data("gltf/suzanne.glb")).bounds)
        for other in ["obj/suzanne.obj", "fbx/suzanne.fbx"] {
            let bounds = try #require(try MeshInspector.geometry(PreviewFixtures.data(other)).bounds)
            #expect(simdMaxDifference(bounds.min, glb.min) < 1e-3 && simdMaxDifference(bounds.max, glb.max) < 1e-3, "\(other)")
        }
    }

    @Test("a node's translation, rotation and scale are applied to its triangle")
    func nodeTransform() throws {
        // Rotation of 90° about Y (x → −z), scale 2, then translation (10, 0, 0).
        let half = Float(0.5).squareRoot()
        let nodes = #"[{"mesh":0,"translation":[10,0,0],"rotation":[0,\#(half),0,\#(half)],"scale":[2,2,2]}]"#
        let geometry = try MeshInspector.geometry(TestFiles.glb(json: TestFiles.triangleJSON(nodes: nodes), binary: TestFiles.triangleBinary))
        #expect(geometry.triangleCount == 1)
        let expected: [SIMD3<Float>] = [SIMD3(10, 0, 0), SIMD3(10, 0, -2), SIMD3(10, 2, 0)]
        for (corner, point) in expected.enumerated() {
            let actual = SIMD3(geometry.positions[corner * 3], geometry.positions[corner * 3 + 1], geometry.positions[corner * 3 + 2])
            #expect(simdMaxDifference(actual, point) < 1e-5, "corner \(corner): \(actual)")
        }
    }

    // MARK: decimation

    @Test("over the budget, an evenly spread and repeatable subset is kept", arguments: [
        "gltf/suzanne.glb", "obj/suzanne.obj", "fbx/suzanne.fbx", "blend/collection-instances-zstd.blend",
    ])
    func decimation(_ fixture: String) throws {
        let data = try PreviewFixtures.data(fixture)
        let full = try MeshInspector.geometry(data)
        for budget in [1, 7, 100, 500] {
            let reduced = try MeshInspector.geometry(data, maxTriangles: budget)
            #expect(reduced.triangleCount <= budget, "\(fixture) at \(budget): \(reduced.triangleCount)")
            #expect(reduced.triangleCount >= min(budget, full.triangleCount) / 4, "\(fixture) at \(budget): too few kept")
            #expect(reduced.sourceTriangleCount == full.triangleCount)
            #expect(try MeshInspector.geometry(data, maxTriangles: budget) == reduced, "not repeatable")
        }
        // Spread, not a prefix: half the triangles still cover nearly the whole model.
        let half = try #require(try MeshInspector.geometry(data, maxTriangles: full.triangleCount / 2).bounds)
        let whole = try #require(full.bounds)
        let size = whole.max - whole.min
        #expect(simdMaxDifference(half.min, whole.min) < 0.2 * size.max() && simdMaxDifference(half.max, whole.max) < 0.2 * size.max())
    }

    @Test("a mesh placed by thousands of nodes stays within the budget, quickly")
    func manyInstances() throws {
        let nodes = "[" + (0..<5000).map { #"{"mesh":0,"translation":[\#($0),0,0]}"# }.joined(separator: ",") + "]"
        let data = TestFiles.glb(json: TestFiles.triangleJSON(nodes: nodes), binary: TestFiles.triangleBinary)
        let clock = ContinuousClock()
        let started = clock.now
        let geometry = try MeshInspector.geometry(data, maxTriangles: 100)
        #expect(clock.now - started < .seconds(5))
        #expect(geometry.sourceTriangleCount == 5000)
        #expect(geometry.triangleCount == 100)
        #expect(try #require(geometry.bounds).max.x > 4900, "kept triangles are spread over all instances")
    }

    @Test("a budget of zero is refused")
    func zeroBudget() throws {
        let data = try PreviewFixtures.data("gltf/cube.glb")
        #expect(throws: MeshInspectionError.self) { try MeshInspector.geometry(data, maxTriangles: 0) }
    }

    // MARK: hostile and empty input

    @Test("broken files fail with a reason", arguments: PreviewFixtures.brokenFiles)
    func brokenFiles(_ file: PreviewFixtures.Broken) throws {
        let error = try #require(throws: MeshInspectionError.self) { try MeshInspector.geometry(file.data) }
        #expect(!error.reason.isEmpty, "\(file.name)")
    }

    @Test("an index past the POSITION accessor fails as malformed")
    func indexOutOfRange() throws {
        var binary = TestFiles.triangleBinary
        binary[36] = 7  // first index: vertex 7 of 3
        let data = TestFiles.glb(json: TestFiles.triangleJSON(), binary: binary)
        let error = try #require(throws: MeshInspectionError.self) { try MeshInspector.geometry(data) }
        #expect(error.kind == .malformed)
    }

    @Test("NaN and infinite coordinates are left out, never drawn")
    func nonFinite() throws {
        var binary = TestFiles.triangleBinary
        binary.replaceSubrange(0..<4, with: TestFiles.le32(Float.nan.bitPattern))
        let glb = TestFiles.glb(json: TestFiles.triangleJSON(), binary: binary)
        #expect(throws: MeshInspectionError.self) { try MeshInspector.geometry(glb) }
        let obj = Data("v 0 0 0\nv 1e400 0 0\nv 0 1 0\nv 1 1 0\nf 1 2 3\nf 1 3 4\n".utf8)
        let geometry = try MeshInspector.geometry(obj)
        #expect(geometry.triangleCount == 1)
        #expect(geometry.sourceTriangleCount == 2)
    }

    @Test("files without faces have nothing to draw", arguments: [
        ("points only", Data("v 0 0 0\nv 1 0 0\nv 0 1 0\n".utf8)),
        ("lines only", Data("v 0 0 0\nv 1 0 0\nl 1 2\n".utf8)),
        ("glTF points", TestFiles.glb(
            json: TestFiles.triangleJSON().replacingOccurrences(of: #""indices":1}"#, with: #""indices":1,"mode":0}"#),
            binary: TestFiles.triangleBinary)),
        ("no nodes", TestFiles.glb(json: TestFiles.triangleJSON(nodes: "[]"), binary: TestFiles.triangleBinary)),
    ])
    func nothingToDraw(_ name: String, _ data: Data) throws {
        let error = try #require(throws: MeshInspectionError.self) { try MeshInspector.geometry(data) }
        #expect(error.kind == .unsupported, "\(name): \(error.reason)")
    }

    @Test("a huge declared count backed by no data fails as malformed, without reading or allocating for it")
    func hugeDeclaredCount() throws {
        let json = TestFiles.triangleJSON(indexAccessor: #"{"bufferView":1,"componentType":5123,"count":150000000,"type":"SCALAR"}"#)
        let error = try #require(throws: MeshInspectionError.self) {
            try MeshInspector.geometry(TestFiles.glb(json: json, binary: TestFiles.triangleBinary))
        }
        #expect(error.kind == .malformed)
    }

    @Test("the file-path entry point reads the same as the in-memory one")
    func fromPath() throws {
        let url = try #require(PreviewFixtures.url("gltf/suzanne.glb"))
        #expect(try MeshInspector.geometry(fileAt: url.path) == MeshInspector.geometry(Data(contentsOf: url)))
    }
}

enum PreviewFixtures {
    static func url(_ relativePath: String) -> URL? {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)?.appendingPathComponent(relativePath)
    }

    static func data(_ relativePath: String) throws -> Data {
        try Data(contentsOf: try #require(url(relativePath), "missing fixture \(relativePath)"))
    }

    static func expectBox(
        _ bounds: (min: SIMD3<Float>, max: SIMD3<Float>), equals box: BoundingBox, _ fixture: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let low = SIMD3(Float(box.min[0]), Float(box.min[1]), Float(box.min[2]))
        let high = SIMD3(Float(box.max[0]), Float(box.max[1]), Float(box.max[2]))
        let tolerance = Swift.max(1e-3, 1e-4 * (high - low).max())
        #expect(
            simdMaxDifference(bounds.min, low) < tolerance && simdMaxDifference(bounds.max, high) < tolerance,
            "\(fixture): drawn \(bounds.min)…\(bounds.max), reported \(low)…\(high)", sourceLocation: sourceLocation)
    }

    struct Broken: CustomTestStringConvertible, Sendable {
        var name: String
        var data: Data
        var testDescription: String { name }
    }

    /// Fixtures cut short or scrambled, in every format.
    static var brokenFiles: [Broken] {
        var files: [Broken] = []
        for fixture in ["gltf/suzanne.glb", "fbx/suzanne.fbx", "blend/ngon-uncompressed.blend", "blend/cube-zstd.blend", "bundles/textured_gltf.zip"] {
            guard let whole = try? data(fixture) else { continue }
            files.append(Broken(name: "\(fixture) cut in half", data: whole.prefix(whole.count / 2)))
        }
        files.append(Broken(name: "OBJ face on a missing vertex", data: Data("v 0 0 0\nv 1 0 0\nf 1 2 3\n".utf8)))
        files.append(Broken(name: "glTF node cycle", data: TestFiles.glb(
            json: TestFiles.triangleJSON(nodes: #"[{"mesh":0,"children":[1]},{"children":[0]}]"#), binary: TestFiles.triangleBinary)))
        files.append(Broken(name: "not a 3D file", data: Data("hello".utf8)))
        return files
    }
}

func simdMaxDifference(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float {
    let difference = a - b
    return Swift.max(abs(difference.x), abs(difference.y), abs(difference.z))
}
