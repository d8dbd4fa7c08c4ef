import Foundation
import Testing
@testable import MeshInspector

/// Corrupt, truncated and oversized Draco and meshopt data fails with a `MeshInspectionError` (or is counted
/// around), never traps; unsupported Draco variants fall back to the declarations and say so.
@Suite("Compressed glTF data is decoded defensively")
struct CompressedGLTFHostileTests {
    /// Offset of the Draco stream inside a fixture GLB.
    private func dracoOffset(_ data: Data) throws -> Int {
        try #require(data.range(of: Data("DRACO".utf8))).lowerBound
    }

    private func expectNoTrap(_ data: Data) {
        do {
            _ = try MeshInspector.inspect(data)
            _ = try? MeshInspector.geometry(data)
        } catch is MeshInspectionError {
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("every byte of a Draco stream may be corrupted", arguments: ["gltf/draco_torus_l0.glb", "gltf/draco_sphere_l7.glb", "gltf/draco_grids_l10.glb"])
    func corruptedDraco(_ name: String) throws {
        let original = try MeshFixtures.data(name)
        let start = try dracoOffset(original)
        for offset in stride(from: start, to: min(original.count, start + 600), by: 7) {
            for pattern: UInt8 in [0xFF, 0x01] {
                var data = original
                data[offset] ^= pattern
                expectNoTrap(data)
            }
        }
    }

    @Test("every byte of meshopt views may be corrupted", arguments: ["gltf/meshopt_sphere_triangles.glb", "gltf/meshopt_torus_indices.glb"])
    func corruptedMeshopt(_ name: String) throws {
        let original = try MeshFixtures.data(name)
        let (_, binary) = try original.withUnsafeBytes { try GLTFReader.glbChunks($0) }
        let bin = try #require(binary)
        for offset in stride(from: bin.lowerBound, to: bin.upperBound, by: 13) {
            var data = original
            data[offset] ^= 0xA5
            expectNoTrap(data)
        }
    }

    @Test("a truncated Draco stream fails as corrupt")
    func truncatedDraco() throws {
        var data = try MeshFixtures.data("gltf/draco_torus_l7.glb")
        let start = try dracoOffset(data)
        for offset in (start + 40)..<data.count { data[offset] = 0 }
        #expect(throws: MeshInspectionError.self) { try MeshInspector.inspect(data) }
    }

    @Test("an unsupported Draco version is counted from declarations, flagged approximate")
    func unsupportedVersion() throws {
        var data = try MeshFixtures.data("gltf/draco_cube_l7.glb")
        data[try dracoOffset(data) + 6] = 1   // minor version 2.1
        let report = try MeshInspector.inspect(data)
        #expect(report.isApproximate)
        #expect(report.warnings.contains { $0.contains("Draco bitstream version 2.1") })
        #expect(report.triangleCount == 12)
    }

    @Test("declared Draco sizes are checked against the limits before allocating")
    func dracoLimits() throws {
        let data = try MeshFixtures.data("gltf/draco_torus_l7.glb")
        var limits = InspectionLimits()
        limits.maxElements = 100
        #expect(throws: MeshInspectionError.self) { try MeshInspector.inspect(data, limits: limits) }
    }

    @Test("meshopt filters decode as the extension specifies")
    func meshoptFilters() throws {
        // EXPONENTIAL: 2^-2 * 6 = 1.5 and 2^3 * -5 = -40.
        let words: [UInt32] = [UInt32(bitPattern: -2) << 24 | 6, 3 << 24 | (UInt32(bitPattern: -5) & 0xFF_FFFF)]
        var exponential = [UInt8]()
        for word in words { withUnsafeBytes(of: word.littleEndian) { exponential += $0 } }
        let encoded = try meshoptAttributeStream(exponential, stride: 4)
        let decoded = try encoded.withUnsafeBytes {
            try MeshoptDecoder.decode($0, mode: .attributes, filter: .exponential, count: 2, stride: 4)
        }
        let floats = decoded.withUnsafeBytes { raw in (0..<2).map { i in raw.loadUnaligned(fromByteOffset: i * 4, as: Float.self) } }
        #expect(floats == [1.5, -40])
        // OCTAHEDRAL, 8-bit: (0, 0, 127) is +Z; (127, 0, 127) is +X.
        let octahedral: [UInt8] = [0, 0, 127, 9, 127, 0, 127, 0]
        let normals = try meshoptAttributeStream(octahedral, stride: 4).withUnsafeBytes {
            try MeshoptDecoder.decode($0, mode: .attributes, filter: .octahedral, count: 2, stride: 4)
        }
        #expect(normals.map { Int8(bitPattern: $0) } == [0, 0, 127, 9, 127, 0, 0, 0])
        // QUATERNION: the largest component (index 3, w) omitted and 1.0 as 32767 | 3 → the identity quaternion.
        var quaternion = [UInt8]()
        for value: Int16 in [0, 0, 0, 32767] { withUnsafeBytes(of: value.littleEndian) { quaternion += $0 } }
        let rotations = try meshoptAttributeStream(quaternion, stride: 8).withUnsafeBytes {
            try MeshoptDecoder.decode($0, mode: .attributes, filter: .quaternion, count: 1, stride: 8)
        }
        let components = rotations.withUnsafeBytes { raw in (0..<4).map { i in raw.loadUnaligned(fromByteOffset: i * 2, as: Int16.self) } }
        #expect(components == [0, 0, 0, 32767])
    }

    @Test("meshopt streams of the wrong shape are refused")
    func meshoptShape() throws {
        let stream: [UInt8] = [0xE1, 0x00] + [UInt8](repeating: 0, count: 16)
        #expect(throws: MeshInspectionError.self) {
            try stream.withUnsafeBytes { try MeshoptDecoder.decode($0, mode: .triangles, filter: .none, count: 6, stride: 2) }
        }
        #expect(throws: MeshInspectionError.self) {
            try [UInt8]([0xA1, 0, 0]).withUnsafeBytes { try MeshoptDecoder.decode($0, mode: .attributes, filter: .none, count: 1, stride: 4) }
        }
    }

    /// A version-0 attribute stream storing `elements` with every group's deltas as raw bytes (mode 3), from a zero
    /// baseline: the simplest valid encoding, enough to feed the filters known values.
    private func meshoptAttributeStream(_ bytes: [UInt8], stride: Int) throws -> [UInt8] {
        let count = bytes.count / stride
        #expect(count <= 16)
        var out: [UInt8] = [0xA0]
        for byte in 0..<stride {
            out.append(0b11)   // one group, raw deltas
            var previous: UInt8 = 0
            for element in 0..<16 {
                let value = element < count ? bytes[element * stride + byte] : previous
                let delta = value &- previous
                out.append((delta & 0x80) != 0 ? ~(delta << 1) : (delta << 1))
                previous = value
            }
        }
        out += [UInt8](repeating: 0, count: max(stride, 32))   // tail: zero baseline
        return out
    }
}
