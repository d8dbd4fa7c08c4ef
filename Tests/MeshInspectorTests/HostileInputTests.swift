import Foundation
import Testing
@testable import MeshInspector

/// Every hostile case fails with a `MeshInspectionError` and a reason, quickly and without crashing.
@Suite("Hostile input fails cleanly")
struct HostileInputTests {
    private func failure(
        _ data: Data, as detected: DetectedMeshFile? = nil, limits: InspectionLimits = .standard,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> MeshInspectionError {
        try #require(throws: MeshInspectionError.self, sourceLocation: sourceLocation) {
            if let detected {
                _ = try MeshInspector.inspect(data, as: detected, limits: limits)
            } else {
                _ = try MeshInspector.inspect(data, limits: limits)
            }
        }
    }

    @Test("the test GLB itself is valid")
    func baseline() throws {
        let report = try MeshInspector.inspect(TestFiles.glb(json: TestFiles.triangleJSON(), binary: TestFiles.triangleBinary))
        #expect(report.vertexCount == 3)
        #expect(report.triangleCount == 1)
    }

    @Test("every truncation of a real GLB fails cleanly")
    func truncatedGLB() throws {
        let whole = try MeshFixtures.data("gltf/rigged_character.glb")
        for length in stride(from: 0, to: whole.count, by: 97) {
            let error = try failure(whole.prefix(length))
            #expect([.truncated, .unrecognized, .malformed].contains(error.kind), "\(length): \(error.reason)")
        }
        let error = try failure(whole.prefix(whole.count - 1), as: .glb)
        #expect(error.kind == .truncated)
    }

    @Test("every truncation of a real OBJ or glTF is handled", arguments: ["obj/suzanne.obj", "gltf/strips_embedded.gltf"])
    func truncatedText(_ name: String) throws {
        let whole = try MeshFixtures.data(name)
        for length in stride(from: 0, to: whole.count, by: 211) {
            // A cut OBJ is often still a (smaller) OBJ; a cut glTF is invalid JSON. Either way: no crash.
            do { _ = try MeshInspector.inspect(whole.prefix(length)) } catch is MeshInspectionError {}
        }
    }

    @Test("a JSON chunk longer than the file")
    func wrongChunkLength() throws {
        let data = TestFiles.glb(json: TestFiles.triangleJSON(), binary: TestFiles.triangleBinary, jsonLengthOverride: 1 << 30)
        #expect(try failure(data).kind == .truncated)
    }

    @Test("huge declared counts, offsets out of range and overflowing offsets", arguments: [
        TestFiles.triangleJSON(indexAccessor: #"{"bufferView":1,"componentType":5123,"count":1000000000000,"type":"SCALAR"}"#),
        TestFiles.triangleJSON(indexAccessor: #"{"bufferView":1,"componentType":5123,"count":4000000,"type":"SCALAR"}"#),
        TestFiles.triangleJSON(indexAccessor: #"{"bufferView":1,"byteOffset":4,"componentType":5123,"count":3,"type":"SCALAR"}"#),
        TestFiles.triangleJSON(indexAccessor: #"{"bufferView":1,"byteOffset":9007199254740990,"componentType":5123,"count":3,"type":"SCALAR"}"#),
        TestFiles.triangleJSON(indexAccessor: #"{"bufferView":7,"componentType":5123,"count":3,"type":"SCALAR"}"#),
        TestFiles.triangleJSON(indexAccessor: #"{"bufferView":1,"componentType":5126,"count":3,"type":"SCALAR"}"#),
        TestFiles.triangleJSON(positionView: #"{"buffer":0,"byteOffset":9007199254740000,"byteLength":36}"#),
        TestFiles.triangleJSON(positionView: #"{"buffer":0,"byteOffset":0,"byteLength":36,"byteStride":4611686018427387904}"#),
        TestFiles.triangleJSON(bufferLength: 1 << 40),
        TestFiles.triangleJSON(nodes: #"[{"mesh":0,"children":[5]}]"#),
        TestFiles.triangleJSON(nodes: #"[{"mesh":0,"children":[1]},{"children":[0]}]"#),
        TestFiles.triangleJSON(nodes: #"[{"mesh":0},{"children":[0]},{"children":[0]}]"#),
        TestFiles.triangleJSON(nodes: #"[{"mesh":0,"children":[0]}]"#),
        #"{"asset":{"version":"1.0"}}"#,
        #"{"asset":{"version":"2.0"},"accessors":{"not":"an array"}}"#,
    ])
    func hostileGLTF(_ json: String) throws {
        let error = try failure(TestFiles.glb(json: json, binary: TestFiles.triangleBinary), as: .glb)
        #expect(!error.reason.isEmpty)
    }

    @Test("indices pointing past the vertices")
    func indexOutOfRange() throws {
        var binary = TestFiles.triangleBinary
        binary[40] = 0xFF
        let error = try failure(TestFiles.glb(json: TestFiles.triangleJSON(), binary: binary))
        #expect(error.kind == .malformed)
        #expect(error.reason.contains("255"))
    }

    @Test("a 10,000-level nested node tree fails at the depth limit")
    func deepNodeTree() throws {
        let depth = 10_000
        let nodes = (0..<depth).map { index in
            index + 1 < depth ? #"{"children":[\#(index + 1)]}"# : #"{"mesh":0}"#
        }.joined(separator: ",")
        let json = TestFiles.triangleJSON(nodes: "[\(nodes)]")
        let clock = ContinuousClock()
        let start = clock.now
        let error = try failure(TestFiles.glb(json: json, binary: TestFiles.triangleBinary))
        #expect(error.kind == .limitExceeded)
        #expect(error.reason.contains("deeper"))
        #expect(clock.now - start < .seconds(5))
    }

    @Test("100,000 nested JSON arrays do not overflow the stack")
    func deepJSON() throws {
        let json = #"{"asset":{"version":"2.0"},"extras":"# + String(repeating: "[", count: 100_000)
            + String(repeating: "]", count: 100_000) + "}"
        let error = try failure(Data(json.utf8))
        #expect(error.kind == .limitExceeded)
        let unclosed = try failure(Data(String(repeating: "[", count: 100_000).utf8))
        #expect(unclosed.kind == .unrecognized)
    }

    @Test("bad data: URIs", arguments: [
        "data:application/octet-stream;base64,@@@@",
        "data:application/octet-stream;base64,QUJD=X",
        "data:application/octet-stream;base64,QQ",
        "data:application/octet-stream",
    ])
    func badDataURI(_ uri: String) throws {
        let json = TestFiles.triangleJSON(bufferURI: uri)
        let error = try failure(Data(json.utf8), as: .gltf)
        #expect([.malformed, .truncated].contains(error.kind), "\(error)")
    }

    @Test("a data: URI buffer is read")
    func goodDataURI() throws {
        let uri = "data:application/octet-stream;base64," + Data(TestFiles.triangleBinary).base64EncodedString()
        let report = try MeshInspector.inspect(Data(TestFiles.triangleJSON(bufferURI: uri).utf8))
        #expect(report.triangleCount == 1)
        #expect(report.warnings.isEmpty)
    }

    @Test("an OBJ declaring a billion faces is counted for what it holds")
    func objBillionDeclaredFaces() throws {
        let header = "# 1000000000 vertices, 1000000000 faces\n# faces: 1000000000\n"
        let report = try MeshInspector.inspect(Data((header + "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n").utf8))
        #expect(report.triangleCount == 1)
    }

    @Test("OBJ faces referring to vertices that do not exist", arguments: [
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 1000000000000\n",
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 99999999999999999999999999999999999\n",
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 -4\n",
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 0\n",
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 4\nv 0 0 1\n",
        "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 x\n",
    ])
    func objMissingVertices(_ text: String) throws {
        // Blender drops such a face and keeps the vertices of the corners read before the bad one.
        let report = try MeshInspector.inspect(Data(text.utf8), as: .obj)
        #expect(report.vertexCount == 2)
        #expect(report.polygonCount == 0)
        #expect(report.triangleCount == 0)
        #expect(report.warnings.contains { $0.contains("does not exist") })
    }

    @Test("an OBJ face with more corners than allowed")
    func objHugeFace() throws {
        let corners = OBJReader.maxFaceCorners + 1
        var text = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf"
        text.reserveCapacity(corners * 3 + 64)
        for corner in 0..<corners { text += corner % 3 == 0 ? " 1" : corner % 3 == 1 ? " 2" : " 3" }
        let error = try failure(Data((text + "\n").utf8), as: .obj)
        #expect(error.kind == .limitExceeded)
    }

    @Test("OBJ with non-UTF-8 names and a vertex limit")
    func objOddText() throws {
        var bytes = Array("o caf".utf8) + [0xE9, 0xFF] + Array("\nusemtl m".utf8) + [0xFE] + Array("\n".utf8)
        bytes += Array("v 0 0 0\nv 1e400 0 0\nv 0 nan 1\nf 1 2 3\n".utf8)
        let report = try MeshInspector.inspect(Data(bytes))
        #expect(report.vertexCount == 3)
        #expect(report.materialCount == 1)
        var limits = InspectionLimits()
        limits.maxElements = 2
        #expect(try failure(Data(bytes), as: .obj, limits: limits).kind == .limitExceeded)
    }
}
