import Foundation
import Testing
@testable import MeshInspector

/// Scenes with modifiers saved by Blender 3.4.1 (`scripts/make-mesh-fixtures-modifiers.py`), against the counts
/// its statistics reported for the evaluated meshes (`Fixtures/blend/modifiers/expected.json`).
@Suite struct BlendModifierFixtureTests {
    enum Expect {
        /// Counts equal Blender's; `box`: the bounding box too (false where positions are not evaluated exactly:
        /// subdivision smoothing, deformers, solidify normals).
        case exact(box: Bool)
        /// The reader says it is approximate, naming these modifiers as not evaluated (empty: evaluated but
        /// estimated).
        case approximate(unevaluated: [String])
    }

    static let fixtures: [(name: String, expect: Expect, evaluated: [String])] = [
        ("mirror-subsurf-half-monkey.blend", .exact(box: false), ["Mirror", "Subdivision Surface"]),
        ("mirror-half-monkey.blend", .exact(box: true), ["Mirror"]),
        ("mirror-tolerance.blend", .exact(box: true), ["Mirror"]),
        ("mirror-xyz-nomerge.blend", .exact(box: true), ["Mirror"]),
        ("mirror-object.blend", .exact(box: true), ["Mirror"]),
        ("mirror-bisect.blend", .exact(box: true), ["Mirror"]),
        ("mirror-bisect-cut.blend", .exact(box: true), ["Mirror"]),
        ("mirror-bisect-flip-object.blend", .exact(box: true), ["Mirror"]),
        ("subsurf-loose.blend", .exact(box: false), ["Subdivision Surface"]),
        ("subsurf-simple-ngons.blend", .exact(box: true), ["Subdivision Surface"]),
        ("subsurf-level5-monkey.blend", .exact(box: false), ["Subdivision Surface"]),
        ("multires-cube.blend", .exact(box: false), ["Multiresolution"]),
        ("array-merge.blend", .exact(box: true), ["Array"]),
        ("array-constant-subsurf.blend", .exact(box: false), ["Array", "Subdivision Surface"]),
        ("array-merge-first-last.blend", .exact(box: true), ["Array"]),
        ("array-fit-length.blend", .exact(box: true), ["Array"]),
        ("solidify-plane.blend", .exact(box: true), ["Solidify"]),
        ("solidify-open-cylinder.blend", .exact(box: false), ["Solidify"]),
        ("solidify-no-rim.blend", .exact(box: false), ["Solidify"]),
        ("solidify-complex.blend", .approximate(unevaluated: []), ["Solidify"]),
        ("triangulate.blend", .exact(box: true), ["Triangulate"]),
        ("triangulate-min5.blend", .exact(box: true), ["Triangulate"]),
        ("weld-all.blend", .exact(box: true), ["Weld"]),
        ("weld-connected.blend", .exact(box: true), ["Weld"]),
        ("decimate-one.blend", .exact(box: true), ["Decimate"]),
        ("decimate-half.blend", .approximate(unevaluated: []), ["Decimate"]),
        ("disabled-in-viewport.blend", .exact(box: true), []),
        ("disabled-boolean-nodes.blend", .exact(box: false), ["Boolean", "Geometry Nodes", "Subdivision Surface"]),
        ("shared-mesh-one-modified.blend", .exact(box: true), ["Mirror"]),
        ("deform-only.blend", .exact(box: false),
         ["Displace", "Smooth", "Simple Deform", "Smooth Corrective", "Cast", "Wave", "Weighted Normal"]),
        ("unevaluated-bevel.blend", .approximate(unevaluated: ["Bevel"]), []),
        ("stack-mirror-array-triangulate-subsurf.blend", .exact(box: false), ["Mirror", "Array", "Triangulate", "Subdivision Surface"]),
        ("array-radial-merge.blend", .exact(box: true), ["Array"]),
        ("array-overlap-merge.blend", .exact(box: true), ["Array"]),
        ("solidify-loose.blend", .exact(box: false), ["Solidify"]),
        ("weld-doubled-face.blend", .exact(box: true), ["Weld"]),
        ("edge-split-angle.blend", .exact(box: true), ["Edge Split"]),
        ("edge-split-sharp-subsurf.blend", .exact(box: false), ["Edge Split", "Subdivision Surface"]),
        ("array-offset-object.blend", .exact(box: true), ["Array"]),
        ("subsurf-triangulate.blend", .exact(box: false), ["Subdivision Surface", "Triangulate"]),
        ("solidify-subsurf.blend", .exact(box: false), ["Solidify", "Subdivision Surface"]),
        ("mirror-xy-merge.blend", .exact(box: true), ["Mirror"]),
        ("subsurf-wire.blend", .exact(box: false), ["Subdivision Surface"]),
        ("subsurf-then-mirror.blend", .approximate(unevaluated: []), ["Subdivision Surface", "Mirror"]),
        ("geometry-nodes.blend", .approximate(unevaluated: ["Geometry Nodes"]), []),
    ]

    struct Expected {
        var vertices: Int, polygons: Int, triangles: Int, meshes: Int
        var box: BoundingBox?
    }

    static func expected(_ name: String) throws -> Expected {
        let json = try JSONSerialization.jsonObject(with: FBXBlendExpectation.data(directory: "blend/modifiers", name: "expected.json"))
        let entry = try #require((json as? [String: Any])?[name] as? [String: Any], "no expectation for \(name)")
        var box: BoundingBox?
        if let raw = entry["evaluatedBoundingBox"] as? [String: Any], let low = raw["min"] as? [Double], let high = raw["max"] as? [Double] {
            box = BoundingBox(min: low, max: high)
        }
        return Expected(vertices: try #require(entry["vertexCount"] as? Int), polygons: try #require(entry["polygonCount"] as? Int),
                        triangles: try #require(entry["triangleCount"] as? Int), meshes: try #require(entry["meshCount"] as? Int),
                        box: box)
    }

    static func report(_ name: String) throws -> MeshReport {
        try BlendReader.inspect(FBXBlendExpectation.data(directory: "blend/modifiers", name: name), compression: .zstd, limits: .standard)
    }

    @Test(arguments: fixtures.map(\.name))
    func matchesBlender(_ name: String) throws {
        let fixture = try #require(Self.fixtures.first { $0.name == name })
        let expected = try Self.expected(name)
        let report = try Self.report(name)
        #expect(report.meshCount == expected.meshes, "\(name) meshes")
        #expect(report.evaluatedModifiers == fixture.evaluated, "\(name) evaluated")
        switch fixture.expect {
        case .exact(let checkBox):
            #expect(!report.isApproximate, "\(name): \(report.warnings)")
            #expect(report.warnings.isEmpty, "\(name): \(report.warnings)")
            #expect(report.unevaluatedModifiers.isEmpty, "\(name) unevaluated")
            #expect(report.vertexCount == expected.vertices, "\(name) vertices")
            #expect(report.polygonCount == expected.polygons, "\(name) polygons")
            #expect(report.triangleCount == expected.triangles, "\(name) triangles")
            if checkBox, let box = expected.box, let actual = report.boundingBox {
                for axis in 0..<3 {
                    #expect(abs(actual.min[axis] - box.min[axis]) < 1e-3, "\(name) min: \(actual.min) vs \(box.min)")
                    #expect(abs(actual.max[axis] - box.max[axis]) < 1e-3, "\(name) max: \(actual.max) vs \(box.max)")
                }
            }
        case .approximate(let unevaluated):
            #expect(report.isApproximate, "\(name) should say it is approximate")
            #expect(report.unevaluatedModifiers == unevaluated, "\(name) unevaluated")
            #expect(!report.warnings.isEmpty, "\(name) should say why")
        }
    }
}
