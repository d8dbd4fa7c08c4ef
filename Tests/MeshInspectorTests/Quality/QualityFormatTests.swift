import Foundation
import Testing
@testable import MeshInspector

@Suite("Quality report on every format")
struct QualityFormatTests {
    static func quality(_ data: Data) throws -> QualityReport {
        let report = try MeshInspector.inspect(data)
        #expect(!report.warnings.contains { $0.hasPrefix("The quality check") }, "\(report.warnings)")
        return try #require(report.quality)
    }

    @Test("every existing fixture gets a report", arguments: [
        "gltf/cube.glb", "gltf/handmade.glb", "gltf/instanced.glb", "gltf/multi_material.glb", "gltf/quads_ngons.glb",
        "gltf/rigged_character.glb", "gltf/suzanne.glb", "gltf/uv_sphere.glb", "gltf/shared_quad.gltf",
        "gltf/strips_embedded.gltf", "gltf/textured_embedded.gltf", "obj/cube.obj", "obj/handmade.obj",
        "obj/multi_material.obj", "obj/quads_ngons.obj", "obj/suzanne.obj", "obj/uv_sphere.obj", "fbx/cube.fbx",
        "fbx/cube-ascii.fbx", "fbx/multimaterial.fbx", "fbx/ngon.fbx", "fbx/rigged.fbx", "fbx/rigged-ascii.fbx",
        "fbx/suzanne-7500.fbx", "blend/cube-gzip.blend", "blend/cube-zstd.blend", "blend/instanced-zstd.blend",
        "blend/collection-instances-zstd.blend", "blend/ngon-uncompressed.blend", "blend/rigged-zstd.blend",
        "bundles/handmade_obj.zip", "bundles/textured_gltf.zip", "bundles/textured_obj.zip",
    ])
    func everyFixture(_ name: String) throws {
        let quality = try Self.quality(try MeshFixtures.data(name))
        #expect(quality.verdict == (quality.findings.map(\.verdict).max() ?? .pass))
        #expect(quality.unitsKnown == !(name.hasSuffix(".obj") || name.contains("_obj")))
        #expect(quality.sizeFileUnits != nil)
        #expect((quality.ngonCount == nil) == (name.hasSuffix(".glb") || name.hasSuffix(".gltf") || name.contains("_gltf")))
    }

    @Test("closed meshes of the fixtures are manifold, Suzanne has her eye holes")
    func knownShapes() throws {
        for name in ["gltf/cube.glb", "obj/cube.obj", "fbx/cube.fbx", "blend/cube-zstd.blend", "gltf/uv_sphere.glb", "obj/uv_sphere.obj"] {
            #expect(try Self.quality(try MeshFixtures.data(name)).isManifold, "\(name)")
        }
        for name in ["gltf/suzanne.glb", "obj/suzanne.obj", "fbx/suzanne.fbx"] {
            let suzanne = try Self.quality(try MeshFixtures.data(name))
            #expect(!suzanne.isManifold && suzanne.boundaryEdges > 0 && suzanne.nonManifoldEdges == 0, "\(name)")
        }
    }

    @Test("textures are measured from bundled, embedded and packed bytes, and missing ones fail")
    func textures() throws {
        let bundledOBJ = try Self.quality(try MeshFixtures.data("bundles/textured_obj.zip"))
        #expect(bundledOBJ.textures == [TextureInfo(name: "checker.png", width: 16, height: 16, missing: false)])
        let bundledGLTF = try Self.quality(try MeshFixtures.data("bundles/textured_gltf.zip"))
        #expect(bundledGLTF.textures.map(\.width) == [16])
        let embedded = try Self.quality(try MeshFixtures.data("gltf/textured_embedded.gltf"))
        #expect(embedded.textures.count == 1 && embedded.textures[0].height == 16 && !embedded.textures[0].missing)
        // The handmade bundle's MTL names a wood.png it does not contain.
        let handmade = try Self.quality(try MeshFixtures.data("bundles/handmade_obj.zip"))
        #expect(handmade.missingTextureCount == 1)
        #expect(handmade.verdict == .fail)
        #expect(handmade.findings.first { $0.check == "missing_textures" }?.message.contains("wood.png") == true)
        // An FBX or .blend that only refers to its image file does not carry it.
        for name in ["fbx/rigged.fbx", "blend/rigged-zstd.blend"] {
            let rigged = try Self.quality(try MeshFixtures.data(name))
            #expect(rigged.missingTextureCount == 1, "\(name)")
        }
    }

    @Test("a glTF image in the zip bundle is measured; one left out is missing")
    func bundledImages() throws {
        let json = """
            {"asset":{"version":"2.0"},"nodes":[{"mesh":0}],"meshes":[{"primitives":[{"attributes":{"POSITION":0},"indices":1,"material":0}]}],
            "materials":[{"pbrMetallicRoughness":{"baseColorTexture":{"index":0}}},{"normalTexture":{"index":1}}],
            "textures":[{"source":0},{"source":1}],"images":[{"uri":"tex/base.png"},{"uri":"tex/normal.png"}],
            "accessors":[{"bufferView":0,"componentType":5126,"count":3,"type":"VEC3","min":[0,0,0],"max":[1,1,0]},{"bufferView":1,"componentType":5123,"count":3,"type":"SCALAR"}],
            "bufferViews":[{"buffer":0,"byteOffset":0,"byteLength":36},{"buffer":0,"byteOffset":36,"byteLength":6}],
            "buffers":[{"byteLength":44,"uri":"triangle.bin"}]}
            """
        let png = try [UInt8](MeshFixtures.data("misc/checker.png"))
        let archive = TestZip(entries: [
            .stored("scene.gltf", Array(json.utf8)), .stored("triangle.bin", TestFiles.triangleBinary), .stored("tex/base.png", png),
        ])
        let quality = try Self.quality(archive.data())
        #expect(quality.textures == [
            TextureInfo(name: "tex/base.png", width: 16, height: 16, missing: false),
            TextureInfo(name: "tex/normal.png", missing: true),
        ])
        #expect(quality.verdict == .fail)
    }

    @Test("rotated, scaled and off-centre glTF nodes are reported")
    func placement() throws {
        func quality(_ node: String) throws -> QualityReport {
            try Self.quality(TestFiles.glb(json: TestFiles.triangleJSON(nodes: "[\(node)]"), binary: TestFiles.triangleBinary))
        }
        let plain = try quality(#"{"mesh":0}"#)
        #expect(plain.objectsWithUnappliedTransforms == 0)
        let pivot = try #require(plain.pivotDistanceRatio)
        // The triangle's box is 1 × 1 from the origin: its centre is √0.5 ≈ 0.707 of its size from the node's origin.
        #expect(abs(pivot - 0.707) < 0.001)
        #expect(try quality(#"{"mesh":0,"scale":[2,2,2]}"#).objectsWithUnappliedTransforms == 1)
        #expect(try quality(#"{"mesh":0,"rotation":[0,0.7071068,0,0.7071068]}"#).objectsWithUnappliedTransforms == 1)
        // A translation alone is not a transform to apply, and moves origin and geometry together.
        let moved = try quality(#"{"mesh":0,"translation":[100,0,0]}"#)
        #expect(moved.objectsWithUnappliedTransforms == 0)
        #expect(moved.pivotDistanceRatio == plain.pivotDistanceRatio)
        // An origin moved to the middle of the triangle's box: no distance left.
        let centred = try quality(#"{"mesh":0,"matrix":[1,0,0,0,0,1,0,0,0,0,1,0,0.5,0.5,0,1]}"#)
        #expect(centred.pivotDistanceRatio == plain.pivotDistanceRatio)
        // Geometry far from its own origin (vertices authored away from it) is what pivot_far is about.
        let offset = try Self.quality(TestFiles.glb(
            json: TestFiles.triangleJSON().replacingOccurrences(of: #""min":[0,0,0],"max":[1,1,0]"#, with: #""min":[5,5,0],"max":[6,6,0]"#),
            binary: Self.shiftedTriangle))
        #expect(try #require(offset.pivotDistanceRatio) > 1)
        #expect(offset.findings.contains { $0.check == "pivot_far" })
        #expect(try quality(#"{"mesh":0}"#).findings.contains { $0.check == "no_uvs" })
    }

    /// `TestFiles.triangleBinary` moved by (5, 5, 0).
    static let shiftedTriangle: [UInt8] = {
        var bytes: [UInt8] = []
        for value: Float in [5, 5, 0, 6, 5, 0, 5, 6, 0] { bytes += TestFiles.le32(value.bitPattern) }
        return bytes + Array(TestFiles.triangleBinary[36...])
    }()

    @Test("a file without meshes has no quality report")
    func noMesh() throws {
        let empty = try MeshInspector.inspect(Data(#"{"asset":{"version":"2.0"},"nodes":[{}]}"#.utf8))
        #expect(empty.quality == nil)
        let points = try MeshInspector.inspect(Data("v 0 0 0\nv 1 0 0\n".utf8))
        // An OBJ point cloud is a mesh of loose vertices.
        #expect(points.quality?.looseVertices == 2)
        #expect(points.quality?.isManifold == false)
    }

    @Test("OBJ: UVs per corner, lines, objects and continuation lines")
    func obj() throws {
        let text = """
            v 0 0 0
            v 1 0 0
            v 1 1 0
            v 0 1 0
            vt 0 0
            vt 2 0
            vt 2 1
            vn 0 0 1
            o First
            f 1/1/1 2/2/1 \\
              3/3/1
            o Wire
            l 1 4
            """
        let quality = try Self.quality(Data(text.utf8))
        #expect(quality.uvSetCount == 1)
        #expect(quality.uvsOutsideUnitSquare)
        #expect(quality.hasNormals)
        #expect(quality.boundaryEdges == 3)
        #expect(quality.looseEdges == 1)
        #expect(quality.ngonCount == 0)
        // Vertex colours are three values after the position; a fourth value alone is a weight.
        let coloured = try Self.quality(Data("v 0 0 0 1 0 0\nv 1 0 0 1 0 0\nv 0 1 0 1 0 0\nf 1 2 3\n".utf8))
        #expect(coloured.hasVertexColors)
        #expect(!coloured.hasNormals)
        let weighted = try Self.quality(Data("v 0 0 0 1\nv 1 0 0 1\nv 0 1 0 1\nf 1 2 3\n".utf8))
        #expect(!weighted.hasVertexColors)
    }
}
