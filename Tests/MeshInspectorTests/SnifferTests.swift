import Foundation
import Testing
@testable import MeshInspector

@Suite("File type is decided from bytes")
struct SnifferTests {
    @Test("fixtures are detected by content", arguments: [
        ("gltf/cube.glb", DetectedMeshFile.glb),
        ("gltf/textured_embedded.gltf", .gltf),
        ("gltf/strips_embedded.gltf", .gltf),
        ("obj/suzanne.obj", .obj),
        ("obj/handmade.obj", .obj),
        ("bundles/textured_gltf.zip", .zipBundle(scene: .gltf)),
        ("bundles/textured_obj.zip", .zipBundle(scene: .obj)),
    ])
    func detectsFixtures(_ name: String, _ expected: DetectedMeshFile) throws {
        #expect(try MeshInspector.detect(fileAt: try #require(MeshFixtures.url(name)).path) == expected)
    }

    @Test("a PNG renamed to .glb is refused as a PNG")
    func renamedExtension() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let renamed = directory.appendingPathComponent("model.glb")
        try MeshFixtures.data("misc/checker.png").write(to: renamed)
        let error = try #require(throws: MeshInspectionError.self) { try MeshInspector.inspect(fileAt: renamed.path) }
        #expect(error.kind == .unrecognized)
        #expect(error.reason.contains("PNG"))
    }

    static let headers: [([UInt8], DetectedMeshFile)] = {
        let fbxBinary: [UInt8] = Array("Kaydara FBX Binary  ".utf8) + [0, 0x1A, 0, 0xE8, 0x1C, 0, 0]
        let fbxASCII: [UInt8] = Array("; FBX 7.4.0 project file\nFBXHeaderExtension:  {\n".utf8)
        let fbxASCIIWithoutMarker: [UInt8] = Array("; exported\n\nFBXHeaderExtension:  {\n}\n".utf8)
        let blend: [UInt8] = Array("BLENDER-v304RENDH".utf8)
        let obj: [UInt8] = Array("\u{FEFF}v 1 2 3\nv 1 2 4\nf 1 2 1\n".utf8)
        let gltf: [UInt8] = Array("  {\"asset\": {\"version\": \"2.0\"}}".utf8)
        return [
            (fbxBinary, .fbxBinary), (fbxASCII, .fbxASCII), (fbxASCIIWithoutMarker, .fbxASCII),
            (blend, .blend(compression: .none)), (obj, .obj), (gltf, .gltf),
        ]
    }()

    @Test("other headers are recognised", arguments: headers)
    func detectsHeaders(_ bytes: [UInt8], _ expected: DetectedMeshFile) throws {
        #expect(try MeshInspector.detect(Data(bytes)) == expected)
    }

    @Test("compressed .blend files are looked into")
    func compressedBlend() throws {
        // gzip of "BLENDER-v304" made with a stored deflate block, so the test needs no compressor.
        let payload = Array("BLENDER-v304".utf8)
        let deflate = [UInt8(1)] + TestFiles.le16(UInt16(payload.count)) + TestFiles.le16(~UInt16(payload.count)) + payload
        let gzip = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3] + deflate + TestFiles.le32(TestZip.crc32(payload))
            + TestFiles.le32(UInt32(payload.count))
        #expect(try MeshInspector.detect(Data(gzip)) == .blend(compression: .gzip))
        let notBlend = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 1, 3, 0, 0xFC, 0xFF] + Array("abc".utf8)
        let error = try #require(throws: MeshInspectionError.self) { try MeshInspector.detect(Data(notBlend)) }
        #expect(error.kind == .unrecognized)
    }

    static let refusals: [(String, [UInt8])] = {
        let glbVersion1: [UInt8] = Array("glTF".utf8) + [1, 0, 0, 0, 20, 0, 0, 0]
        let junk: [UInt8] = (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }
        let withNUL: [UInt8] = Array("v 1 2 3\n".utf8) + [0] + Array("f 1 1 1\n".utf8)
        return [
            ("empty", []),
            ("MTL", Array("newmtl Red\nKd 1 0 0\nmap_Kd red.png\n".utf8)),
            ("CSV", Array("x,y,z\n1,2,3\n".utf8)),
            ("JSON that is not glTF", Array(#"{"name": "not a model"}"#.utf8)),
            ("invalid JSON", Array(#"{"asset": {"version": "2.0""#.utf8)),
            ("GLB version 1", glbVersion1),
            ("binary junk", junk),
            ("OBJ-like text with NUL bytes", withNUL),
            ("text", Array("hello, this is not a model\n".utf8)),
            ("JPEG", [0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
        ]
    }()

    @Test("things that are not accepted 3D files are refused", arguments: refusals)
    func refusesOthers(_ label: String, _ bytes: [UInt8]) throws {
        let error = try #require(throws: MeshInspectionError.self, "\(label)") {
            try MeshInspector.detect(Data(bytes))
        }
        #expect(error.kind == .unrecognized, "\(label): \(error.reason)")
        #expect(!error.reason.isEmpty)
    }

    @Test("files over the size limit are refused before reading")
    func sizeLimit() throws {
        var limits = InspectionLimits()
        limits.maxFileBytes = 1000
        let path = try #require(MeshFixtures.url("gltf/suzanne.glb")).path
        let error = try #require(throws: MeshInspectionError.self) { try MeshInspector.inspect(fileAt: path, limits: limits) }
        #expect(error.kind == .limitExceeded)
        let missing = try #require(throws: MeshInspectionError.self) { try MeshInspector.inspect(fileAt: "/nonexistent/x.glb") }
        #expect(missing.reason.contains("cannot be opened"))
    }
}
