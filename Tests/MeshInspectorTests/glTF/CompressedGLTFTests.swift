import Foundation
import Testing
@testable import MeshInspector

/// Blender's numbers for the Draco and meshopt fixtures, measured on each file's uncompressed twin (Blender 3.4
/// here imports neither extension) by `scripts/make-mesh-fixtures-compressed.py`.
enum CompressedFixtures {
    struct Expected {
        var vertexCount: Int
        var triangleCount: Int
        var boundingBox: BoundingBox?
    }

    static let all: [String: Expected] = {
        guard let url = MeshFixtures.url("compressed-expected.json"), let data = try? Data(contentsOf: url),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: [String: Any]] else { return [:] }
        return json.compactMapValues { entry in
            guard let vertices = entry["vertexCount"] as? Int, let triangles = entry["triangleCount"] as? Int else { return nil }
            var box: BoundingBox?
            if let raw = entry["boundingBox"] as? [String: [Double]], let low = raw["min"], let high = raw["max"] {
                box = BoundingBox(min: low, max: high)
            }
            return Expected(vertexCount: vertices, triangleCount: triangles, boundingBox: box)
        }
    }()

    static let names: [String] = all.keys.sorted()
    static let draco: [String] = names.filter { $0.contains("/draco_") }
    static let meshopt: [String] = names.filter { $0.contains("/meshopt_") }
}

@Suite("Draco and meshopt primitives are decoded, not estimated")
struct CompressedGLTFTests {
    @Test("the fixtures cover both extensions")
    func fixturesExist() {
        #expect(CompressedFixtures.draco.count >= 8)
        #expect(CompressedFixtures.meshopt.count >= 3)
    }

    @Test("counts equal Blender's for the decoded mesh", arguments: CompressedFixtures.names)
    func countsMatchBlender(_ name: String) throws {
        let expected = try #require(CompressedFixtures.all[name])
        let report = try MeshInspector.inspect(fileAt: try #require(MeshFixtures.url(name)).path)
        #expect(report.vertexCount == expected.vertexCount, "vertices")
        #expect(report.triangleCount == expected.triangleCount, "triangles")
        #expect(!report.isApproximate, "\(report.warnings)")
        #expect(!report.warnings.contains { $0.contains("accessor declarations") }, "\(report.warnings)")
        if let box = expected.boundingBox {
            let measured = try #require(report.boundingBox)
            for (ours, blender) in zip(measured.min + measured.max, box.min + box.max) {
                #expect(abs(ours - blender) < 1e-3, "bounding box \(measured) vs \(box)")
            }
        }
    }

    @Test("previews draw the decoded triangles at their real positions", arguments: CompressedFixtures.names)
    func previewsUseDecodedPositions(_ name: String) throws {
        let expected = try #require(CompressedFixtures.all[name])
        let geometry = try MeshInspector.geometry(fileAt: try #require(MeshFixtures.url(name)).path)
        #expect(geometry.triangleCount == expected.triangleCount)
        let bounds = try #require(geometry.bounds)
        let box = try #require(expected.boundingBox)
        // Previews keep glTF's axes; Blender's box was reported back in them too. Quantised positions differ
        // from the twin's by at most a quantisation step.
        for axis in 0..<3 {
            #expect(abs(Double(bounds.min[axis]) - box.min[axis]) < 2e-3, "\(bounds) vs \(box)")
            #expect(abs(Double(bounds.max[axis]) - box.max[axis]) < 2e-3, "\(bounds) vs \(box)")
        }
    }
}
