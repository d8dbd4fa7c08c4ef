import Foundation
import Testing
@testable import MeshInspector

/// .blend files saved by Blender 3.4.1 against the numbers its own statistics reported for them;
/// `scripts/make-mesh-fixtures-fbx-blend.py` regenerates both.
@Suite struct BlendFixtureTests {
    static let fixtures: [(name: String, compression: BlendCompression)] = [
        ("cube-zstd.blend", .zstd), ("cube-gzip.blend", .gzip), ("ngon-uncompressed.blend", .none),
        ("instanced-zstd.blend", .zstd), ("orphan-zstd.blend", .zstd), ("rigged-zstd.blend", .zstd),
        ("collection-instances-zstd.blend", .zstd),
    ]

    @Test(arguments: fixtures.map(\.name))
    func matchesBlender(_ name: String) throws {
        let compression = try #require(Self.fixtures.first { $0.name == name }).compression
        let expected = try FBXBlendExpectation.load(directory: "blend", name: name)
        let report = try BlendReader.inspect(FBXBlendExpectation.data(directory: "blend", name: name), compression: compression, limits: .standard)
        #expect(report.format == .blend)
        #expect(report.warnings.isEmpty, "\(report.warnings)")
        expected.check(report)
    }

    @Test func linkedDuplicatesCountOnceAndHiddenObjectsNotAtAll() throws {
        // Three objects share one Suzanne (507 vertices); a hidden cube and a cube in an excluded collection are
        // left out; a cube in a nested collection counts. Blender 3.4.1 reports 515 vertices for this scene.
        let report = try BlendReader.inspect(FBXBlendExpectation.data(directory: "blend", name: "instanced-zstd.blend"), compression: .zstd, limits: .standard)
        #expect(report.vertexCount == 507 + 8)
        #expect(report.meshCount == 2)
    }

    @Test func collectionInstancesOfAnExcludedKitCount() throws {
        // The kit's collection is excluded; three instances (one nested inside another instanced collection)
        // show it. Blender counts the kit's cube and Suzanne once: 8 + 507 vertices.
        let report = try BlendReader.inspect(FBXBlendExpectation.data(directory: "blend", name: "collection-instances-zstd.blend"), compression: .zstd, limits: .standard)
        #expect(report.vertexCount == 515)
        #expect(report.meshCount == 2)
    }

    @Test func orphanDataIsNotCounted() throws {
        let report = try BlendReader.inspect(FBXBlendExpectation.data(directory: "blend", name: "orphan-zstd.blend"), compression: .zstd, limits: .standard)
        #expect(report.vertexCount == 8)
        #expect(report.meshCount == 1)
    }

    @Test func compressionIsDetectedEvenWhenDeclaredPlain() throws {
        let report = try BlendReader.inspect(FBXBlendExpectation.data(directory: "blend", name: "cube-gzip.blend"), compression: .none, limits: .standard)
        #expect(report.vertexCount == 8)
    }

    /// Files up to 4.1 store world matrices; later ones do not, so the reader can rebuild them. Rebuilt and stored
    /// must agree on Blender's own files (parenting, rotation modes, parent-inverse matrices, unit scale).
    @Test(arguments: ["ngon-uncompressed.blend", "instanced-zstd.blend", "rigged-zstd.blend"])
    func rebuiltTransformsMatchStoredOnes(_ name: String) throws {
        let raw = try FBXBlendExpectation.data(directory: "blend", name: name)
        let bytes: [UInt8] = try raw.withUnsafeBytes { buffer in
            name.contains("zstd") ? try Decompression.zstd(buffer, limit: 1 << 28) : Array(buffer)
        }
        let stored = try bytes.withUnsafeBytes { try BlendReader.inspect(uncompressed: $0, limits: .standard) }
        let rebuilt = try bytes.withUnsafeBytes { try BlendReader.inspect(uncompressed: $0, limits: .standard, useStoredMatrices: false) }
        let a = try #require(stored.boundingBox), b = try #require(rebuilt.boundingBox)
        for axis in 0..<3 {
            #expect(abs(a.min[axis] - b.min[axis]) < 1e-4, "\(name): \(a.min) vs \(b.min)")
            #expect(abs(a.max[axis] - b.max[axis]) < 1e-4, "\(name): \(a.max) vs \(b.max)")
        }
    }
}
