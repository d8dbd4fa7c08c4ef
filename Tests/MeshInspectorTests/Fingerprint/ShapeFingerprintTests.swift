import Foundation
import Testing
@testable import MeshInspector

/// The shape fingerprint: the same model moved, scaled, rotated, mirrored, reordered, re-triangulated, thinned or
/// converted to another format matches itself, and different shapes do not match each other. Kept to a few dozen
/// fingerprints, each a few hundred thousand sampled pairs, so the debug build runs it in seconds;
/// scripts/measure-fingerprints.py measures the same properties over a thousand models.
@Suite("Shape fingerprint")
struct ShapeFingerprintTests {
    @Test("transformed, reordered, re-triangulated and thinned copies match their original", arguments: Shapes.all)
    func copiesMatch(_ shape: Shapes.Named) throws {
        let original = try #require(ShapeFingerprint(PreviewGeometry(positions: shape.positions, sourceTriangleCount: 0)))
        #expect(original.values.count == ShapeFingerprint.valueCount)
        #expect(original.distance(to: original) == 0)
        let copies: [(String, [Float])] = [
            ("split along the other diagonals, reordered, scaled ×37, rotated and moved far",
             Shapes.transform(Shapes.reorder(shape.flippedDiagonals, seed: 3), seed: 1, scale: 37, offset: [120, -45, 3000])),
            ("mirrored, scaled ×0.01 and rotated",
             Shapes.transform(Shapes.mirror(shape.positions), seed: 2, scale: 0.01, offset: [0.2, 0.1, -0.3])),
            ("subdivided, then every 3rd triangle kept", Shapes.thin(shape.finePositions, every: 3)),
        ]
        for (name, positions) in copies {
            let copy = try #require(ShapeFingerprint(PreviewGeometry(positions: positions, sourceTriangleCount: 0)))
            let distance = original.distance(to: copy)
            #expect(distance <= ShapeFingerprint.matchThreshold, "\(shape.name) \(name): \(distance)")
            #expect(original.neighbouringBuckets.contains(copy.bucket), "\(shape.name) \(name)")
        }
    }

    @Test("different shapes do not match")
    func differentShapesDiffer() throws {
        let prints = try Shapes.all.map { shape in
            (shape.name, try #require(ShapeFingerprint(PreviewGeometry(positions: shape.positions, sourceTriangleCount: 0))))
        }
        for (i, first) in prints.enumerated() {
            for second in prints[(i + 1)...] {
                let distance = first.1.distance(to: second.1)
                #expect(distance > ShapeFingerprint.matchThreshold, "\(first.0) vs \(second.0): \(distance)")
            }
        }
    }

    @Test("Suzanne as GLB, OBJ and FBX (Blender's exports, FBX turned Z up) is one model; the cube is not")
    func formatsMatch() throws {
        func fingerprint(_ fixture: String) throws -> ShapeFingerprint {
            try #require(ShapeFingerprint(try MeshInspector.geometry(PreviewFixtures.data(fixture))), "\(fixture)")
        }
        let glb = try fingerprint("gltf/suzanne.glb")
        for other in ["obj/suzanne.obj", "fbx/suzanne.fbx"] {
            let copy = try fingerprint(other)
            #expect(glb.distance(to: copy) <= ShapeFingerprint.matchThreshold, "\(other): \(glb.distance(to: copy))")
            #expect(glb.neighbouringBuckets.contains(copy.bucket))
        }
        let cube = try fingerprint("gltf/cube.glb")
        #expect(glb.distance(to: cube) > ShapeFingerprint.matchThreshold)
        #expect(glb.distance(to: try fingerprint("gltf/uv_sphere.glb")) > ShapeFingerprint.matchThreshold)
        // The cube again, as a zstd-compressed BLEND in Blender's Z-up frame.
        #expect(cube.distance(to: try fingerprint("blend/cube-zstd.blend")) <= ShapeFingerprint.matchThreshold)
    }

    @Test("no surface, no fingerprint; stored fingerprints round-trip through JSON")
    func edges() throws {
        #expect(ShapeFingerprint(PreviewGeometry(positions: [], sourceTriangleCount: 0)) == nil)
        #expect(ShapeFingerprint(PreviewGeometry(positions: [0, 0, 0, 1, 1, 1, 2, 2, 2], sourceTriangleCount: 1)) == nil)
        #expect(ShapeFingerprint(PreviewGeometry(positions: [0, 0, 0, .nan, 0, 0, 0, 1, 0], sourceTriangleCount: 1)) == nil)
        let cube = try #require(ShapeFingerprint(PreviewGeometry(positions: Shapes.box([1, 1, 1]).positions, sourceTriangleCount: 12)))
        let decoded = try JSONDecoder().decode(ShapeFingerprint.self, from: JSONEncoder().encode(cube))
        #expect(decoded == cube && decoded.distance(to: cube) == 0)
        #expect(ShapeFingerprint(values: [1, 2]).distance(to: cube) == .infinity)
        #expect((0..<4096).contains(cube.bucket) && cube.neighbouringBuckets.contains(cube.bucket))
    }
}
