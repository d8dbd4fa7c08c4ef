import Foundation
import Testing
@testable import MeshInspector

/// One entry of `Fixtures/fbx/expected.json` or `Fixtures/blend/expected.json`: what Blender reported for a
/// fixture, written by `scripts/make-mesh-fixtures-fbx-blend.py`.
struct FBXBlendExpectation {
    var name: String
    var formatVersion: String
    var vertexCount: Int
    var polygonCount: Int
    var triangleCount: Int
    var meshCount: Int
    var materialCount: Int
    var textureCount: Int
    var animationCount: Int
    var isRigged: Bool
    var boundingBox: BoundingBox?

    static func fixturesURL(_ directory: String) throws -> URL {
        let root = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return root.appendingPathComponent(directory)
    }

    static func data(directory: String, name: String) throws -> Data {
        try Data(contentsOf: fixturesURL(directory).appendingPathComponent(name))
    }

    static func load(directory: String, name: String) throws -> FBXBlendExpectation {
        let json = try JSONSerialization.jsonObject(with: data(directory: directory, name: "expected.json"))
        let all = try #require(json as? [String: Any])
        let entry = try #require(all[name] as? [String: Any], "no expectation for \(name)")
        func int(_ key: String) throws -> Int { try #require(entry[key] as? Int, "\(name): \(key)") }
        var box: BoundingBox?
        if let raw = entry["boundingBox"] as? [String: Any],
           let low = raw["min"] as? [Double], let high = raw["max"] as? [Double] {
            box = BoundingBox(min: low, max: high)
        }
        return FBXBlendExpectation(
            name: name,
            formatVersion: try #require(entry["formatVersion"] as? String),
            vertexCount: try int("vertexCount"), polygonCount: try int("polygonCount"),
            triangleCount: try int("triangleCount"), meshCount: try int("meshCount"),
            materialCount: try int("materialCount"), textureCount: try int("textureCount"),
            animationCount: try int("animationCount"), isRigged: try #require(entry["isRigged"] as? Bool),
            boundingBox: box)
    }

    func check(_ report: MeshReport, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(report.formatVersion == formatVersion, "\(name) version", sourceLocation: sourceLocation)
        #expect(report.vertexCount == vertexCount, "\(name) vertices", sourceLocation: sourceLocation)
        #expect(report.polygonCount == polygonCount, "\(name) polygons", sourceLocation: sourceLocation)
        #expect(report.triangleCount == triangleCount, "\(name) triangles", sourceLocation: sourceLocation)
        #expect(report.meshCount == meshCount, "\(name) meshes", sourceLocation: sourceLocation)
        #expect(report.materialCount == materialCount, "\(name) materials", sourceLocation: sourceLocation)
        #expect(report.textureCount == textureCount, "\(name) textures", sourceLocation: sourceLocation)
        #expect(report.animationCount == animationCount, "\(name) animations", sourceLocation: sourceLocation)
        #expect(report.isRigged == isRigged, "\(name) rigged", sourceLocation: sourceLocation)
        if let boundingBox {
            let actual = report.boundingBox
            #expect(actual != nil, "\(name) bounding box", sourceLocation: sourceLocation)
            if let actual {
                for axis in 0..<3 {
                    #expect(abs(actual.min[axis] - boundingBox.min[axis]) < 1e-3, "\(name) min[\(axis)]: \(actual.min) vs \(boundingBox.min)", sourceLocation: sourceLocation)
                    #expect(abs(actual.max[axis] - boundingBox.max[axis]) < 1e-3, "\(name) max[\(axis)]: \(actual.max) vs \(boundingBox.max)", sourceLocation: sourceLocation)
                }
            }
        } else {
            #expect(report.boundingBox == nil, "\(name) has no mesh, so no bounding box", sourceLocation: sourceLocation)
        }
    }
}
