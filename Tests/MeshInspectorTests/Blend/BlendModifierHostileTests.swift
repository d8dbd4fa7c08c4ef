import Foundation
import Testing
@testable import MeshInspector

/// Modifier settings no Blender writes — absurd levels and counts, huge or negative distances, every flag set,
/// random bytes — patched into the modifier fixtures: the reader must answer a count or a `MeshInspectionError`,
/// within bounded time and memory, never trap.
@Suite struct BlendModifierHostileTests {
    /// The fixture decompressed, with `field` of every `type` struct set to `value` (`size` bytes, little endian).
    static func patched(_ name: String, _ type: String, _ field: String, _ value: Int64) throws -> [UInt8] {
        let raw = try FBXBlendExpectation.data(directory: "blend/modifiers", name: name)
        var bytes = try raw.withUnsafeBytes { try Decompression.zstd($0, limit: 1 << 28) }
        let locations: [(offset: Int, size: Int)] = try bytes.withUnsafeBytes { buffer in
            let file = try BlendFile(bytes: buffer, limits: .standard)
            let dna = try BlendSDNA(block: try #require(file.blocks(withCode: "DNA1").first), file: file)
            let layout = try #require(dna.layout(named: type))
            // "modifier.type": a field of an embedded struct.
            var offset = 0
            var current = layout
            var element = 0
            for part in field.split(separator: ".").map(String.init) {
                let found = try #require(current.fields[part], "\(type).\(field)")
                offset += found.offset
                element = found.elementSize
                if let nested = dna.layout(named: found.typeName) { current = nested }
            }
            return file.blocks.filter { dna.layout(atIndex: $0.sdnaIndex)?.typeName == type }
                .map { ($0.data.lowerBound + offset, element) }
        }
        #expect(!locations.isEmpty, "\(name) has no \(type)")
        for location in locations {
            for i in 0..<location.size { bytes[location.offset + i] = UInt8(truncatingIfNeeded: value >> (8 * Int64(i))) }
        }
        return bytes
    }

    static func inspect(_ bytes: [UInt8]) throws -> MeshReport {
        try bytes.withUnsafeBytes { try BlendReader.inspect(uncompressed: $0, limits: .standard) }
    }

    @Test func absurdSubdivisionLevelsFailClearly() throws {
        let bytes = try Self.patched("subsurf-loose.blend", "SubsurfModifierData", "levels", 32767)
        #expect(throws: MeshInspectionError.self) { try Self.inspect(bytes) }
        do { _ = try Self.inspect(bytes) } catch let error as MeshInspectionError { #expect(error.kind == .limitExceeded) }
    }

    @Test func subdivisionOnlyUpToTheLevelsMultiresHas() throws {
        // lvl 9 but only 2 levels exist: Blender shows 2.
        let bytes = try Self.patched("multires-cube.blend", "MultiresModifierData", "lvl", 9)
        #expect(try Self.inspect(bytes).vertexCount == 98)
    }

    @Test func hugeArrayCountsAreCountedSymbolicallyOrRefused() throws {
        let modest = try Self.patched("array-merge.blend", "ArrayModifierData", "count", 1_000_000)
        let report = try Self.inspect(modest)
        // Too many copies to rebuild: counts without merging, marked approximate.
        #expect(report.vertexCount == 9_000_000)
        #expect(report.isApproximate)
        let absurd = try Self.patched("array-merge.blend", "ArrayModifierData", "count", Int64(Int32.max))
        #expect(throws: MeshInspectionError.self) { try Self.inspect(absurd) }
    }

    @Test func hugeMergeDistancesStayBounded() throws {
        let huge = Int64(Float(1e30).bitPattern)
        _ = try Self.inspect(try Self.patched("array-merge.blend", "ArrayModifierData", "merge_dist", huge))
        _ = try Self.inspect(try Self.patched("weld-all.blend", "WeldModifierData", "merge_dist", huge))
        _ = try Self.inspect(try Self.patched("mirror-tolerance.blend", "MirrorModifierData", "tolerance", huge))
        let negative = Int64(Float(-1).bitPattern)
        _ = try Self.inspect(try Self.patched("weld-all.blend", "WeldModifierData", "merge_dist", negative))
        let nan = Int64(Float.nan.bitPattern)
        _ = try Self.inspect(try Self.patched("array-fit-length.blend", "ArrayModifierData", "length", nan))
    }

    @Test func everyFlagSet() throws {
        _ = try Self.inspect(try Self.patched("mirror-half-monkey.blend", "MirrorModifierData", "flag", 0xFFFF))
        _ = try Self.inspect(try Self.patched("array-merge.blend", "ArrayModifierData", "flags", 0xFFFF_FFFF))
        _ = try Self.inspect(try Self.patched("array-merge.blend", "ArrayModifierData", "offset_type", 0xFFFF_FFFF))
        _ = try Self.inspect(try Self.patched("solidify-plane.blend", "SolidifyModifierData", "flag", 0xFFFF_FFFF))
        _ = try Self.inspect(try Self.patched("triangulate.blend", "TriangulateModifierData", "min_vertices", -5))
        _ = try Self.inspect(try Self.patched("weld-connected.blend", "WeldModifierData", "mode", 0x7F))
        _ = try Self.inspect(try Self.patched("decimate-one.blend", "DecimateModifierData", "mode", 0x7FFF))
    }

    @Test func unknownModifierTypesCountAsStored() throws {
        let unknown = try Self.patched("triangulate.blend", "TriangulateModifierData", "modifier.type", 9999)
        let report = try Self.inspect(unknown)
        #expect(report.isApproximate)
        #expect(report.unevaluatedModifiers == ["Modifier type 9999"])
        #expect(report.vertexCount == 20)
    }

    @Test func randomBytesInModifierBlocksNeverTrap() throws {
        var generator = SystemRandomNumberGenerator()
        for name in ["mirror-subsurf-half-monkey.blend", "array-merge.blend", "solidify-open-cylinder.blend", "weld-all.blend",
                     "stack-mirror-array-triangulate-subsurf.blend", "edge-split-angle.blend", "mirror-bisect-cut.blend"] {
            let raw = try FBXBlendExpectation.data(directory: "blend/modifiers", name: name)
            let clean = try raw.withUnsafeBytes { try Decompression.zstd($0, limit: 1 << 28) }
            let modifierRanges: [Range<Int>] = try clean.withUnsafeBytes { buffer in
                let file = try BlendFile(bytes: buffer, limits: .standard)
                let dna = try BlendSDNA(block: try #require(file.blocks(withCode: "DNA1").first), file: file)
                return file.blocks.filter { dna.layout(atIndex: $0.sdnaIndex)?.typeName.hasSuffix("ModifierData") == true }
                    .map { ($0.data.lowerBound + 120)..<$0.data.upperBound }
            }
            for _ in 0..<12 {
                var bytes = clean
                for range in modifierRanges where !range.isEmpty {
                    for _ in 0..<4 { bytes[Int.random(in: range, using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
                }
                _ = try? Self.inspect(bytes)
            }
        }
    }
}
