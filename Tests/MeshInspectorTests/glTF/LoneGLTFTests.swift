import Foundation
import Testing
@testable import MeshInspector

/// A `.gltf` uploaded on its own: Blender cannot import it without the buffer files it names, so neither the counts
/// nor the preview are made up from the accessors' declarations; embedded buffers with missing images still count.
@Suite struct LoneGLTFTests {
    let external = Data(TestFiles.triangleJSON(bufferURI: "scene.bin").utf8)

    @Test func externalBufferFailsForCountsAndPreview() throws {
        for body in [
            { _ = try MeshInspector.inspect(self.external, as: .gltf) },
            { _ = try MeshInspector.geometry(self.external, as: .gltf, maxTriangles: 100) },
        ] as [() throws -> Void] {
            let error = try #require(throws: MeshInspectionError.self) { try body() }
            #expect(error.kind == .unsupported)
            #expect(error.reason.contains("\"scene.bin\""))
            #expect(error.reason.contains("ZIP"))
            #expect(error.reason.contains(".glb"))
        }
    }

    @Test func namesTheTexturesToo() throws {
        var json = TestFiles.triangleJSON(bufferURI: "scene.bin")
        json.removeLast()
        json += #","images":[{"uri":"wood%20color.png"},{"uri":"data:image/png;base64,AAAA"}]}"#
        let error = try #require(throws: MeshInspectionError.self) {
            try MeshInspector.inspect(Data(json.utf8), as: .gltf)
        }
        #expect(error.reason.contains("\"scene.bin\" and \"wood color.png\""))
    }

    @Test func embeddedBuffersWithMissingImagesStillCount() throws {
        let payload = Data(TestFiles.triangleBinary).base64EncodedString()
        var json = TestFiles.triangleJSON(bufferURI: "data:application/octet-stream;base64,\(payload)")
        json.removeLast()
        json += #","images":[{"uri":"albedo.png"}]}"#
        let report = try MeshInspector.inspect(Data(json.utf8), as: .gltf)
        #expect(report.triangleCount == 1)
        #expect(report.warnings.contains { $0.contains("\"albedo.png\"") && $0.contains("not uploaded") })
    }

    @Test func aBundleWithTheSidecarsStillWorks() throws {
        let report = try MeshInspector.inspect(fileAt: try #require(MeshFixtures.url("bundles/textured_gltf.zip")).path)
        #expect(report.triangleCount == 12)
        #expect(!report.warnings.contains { $0.contains("not uploaded") })
    }
}
