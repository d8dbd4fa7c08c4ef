import Foundation
import Testing
@testable import MeshInspector

/// Damaged and malicious .blend files: each must end in a `MeshInspectionError` with a reason, quickly, without
/// crashing or allocating what the file merely claims.
@Suite struct BlendHostileTests {
    typealias P = BlendSyntheticScene.Pointers

    func inspect(_ bytes: [UInt8], compression: BlendCompression = .none, limits: InspectionLimits = .standard) throws -> MeshReport {
        try BlendReader.inspect(Data(bytes), compression: compression, limits: limits)
    }

    func expectFailure(_ kind: MeshInspectionError.Kind, _ bytes: [UInt8], compression: BlendCompression = .none,
                       limits: InspectionLimits = .standard, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let report = try inspect(bytes, compression: compression, limits: limits)
            Issue.record("expected \(kind), got a report: \(report)", sourceLocation: sourceLocation)
        } catch let error as MeshInspectionError {
            #expect(error.kind == kind, "\(error.reason)", sourceLocation: sourceLocation)
            #expect(!error.reason.isEmpty, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func truncatedFiles() throws {
        // Anything short of the final ENDB block header is refused (a cut inside ENDB itself still ends the file).
        let file = Array(try FBXBlendExpectation.data(directory: "blend", name: "ngon-uncompressed.blend"))
        for cut in [0, 7, 12, 13, 40, file.count / 3, file.count / 2, file.count - 30, file.count - 25] {
            #expect(throws: MeshInspectionError.self, "cut at \(cut)") { try inspect(Array(file.prefix(cut))) }
        }
        expectFailure(.truncated, Array(file.prefix(file.count / 2)))
        expectFailure(.unrecognized, Array("not a blend file at all".utf8))
    }

    @Test func blockLengthPastTheEnd() {
        var bytes = BlendSyntheticScene.file(.v402)
        // The first block header follows the 12-byte file header; its length is the Int32 after the code.
        bytes.replaceSubrange(16..<20, with: [0xff, 0xff, 0xff, 0x7f])
        expectFailure(.truncated, bytes)
    }

    @Test func hugeDeclaredCounts() {
        expectFailure(.limitExceeded, BlendSyntheticScene.file(.v402) { records, _ in
            records["mesh1"]?.set("verts_num", int: Int64(Int32.max))
        })
        // Under the limit but far beyond the stored positions.
        expectFailure(.malformed, BlendSyntheticScene.file(.v402) { records, _ in
            records["mesh1"]?.set("verts_num", int: 50_000_000)
        })
        expectFailure(.malformed, BlendSyntheticScene.file(.v402) { records, _ in
            records["mesh1"]?.set("faces_num", int: 1_000_000)
        })
        expectFailure(.malformed, BlendSyntheticScene.file(.v402) { records, _ in
            records["mesh1"]?.set("corners_num", int: -4)
        })
    }

    @Test func faceOffsetsGoingBackwards() {
        expectFailure(.malformed, BlendSyntheticScene.file(.v402) { records, blend in
            records["mesh1"]?.set("face_offset_indices", pointer: 0x9100)
            blend.addBlock(code: "DATA", struct: nil, pointer: 0x9100, data: blend.ints([0, 4, 2, 10, 13, 16]))
        })
    }

    @Test func sdnaWithOutOfRangeIndices() {
        let blend = BlendSyntheticScene.blend(.v402)
        var dna = blend.dnaPayload()
        // The first field of the first struct: its type index, right after STRC, the struct count and the
        // struct's own (type, field count) pair.
        let strc = dna.indices.first { Array(dna[$0..<($0 + 4)]) == Array("STRC".utf8) }!
        dna.replaceSubrange((strc + 12)..<(strc + 14), with: [0xff, 0x7f])
        expectFailure(.malformed, blend.build(dna: dna))
        // Counts larger than the block itself.
        var counts = blend.dnaPayload()
        counts.replaceSubrange(8..<12, with: [0xff, 0xff, 0xff, 0x7f])
        expectFailure(.malformed, blend.build(dna: counts))
    }

    @Test func pointerCycles() {
        // A collection's object list whose second entry points back to the first.
        expectFailure(.malformed, BlendSyntheticScene.file(.v402) { records, _ in
            records["gobject2"]?.set("next", pointer: P.gobject1)
        })
        // Layer collections containing their parent.
        expectFailure(.malformed, BlendSyntheticScene.file(.v402) { records, _ in
            records["layerChild"]?.set("layer_collections.first", pointer: P.layerRoot)
        })
        // Without view-layer data the collection tree is walked directly; a child containing the master loops.
        expectFailure(.malformed, BlendSyntheticScene.file(.v402) { records, blend in
            records["scene"]?.set("view_layers.first", pointer: 0)
            var back = blend.record("CollectionChild")
            back.set("collection", pointer: P.master)
            blend.add(back, pointer: 0x9200)
            records["sub"]?.set("children.first", pointer: 0x9200)
        })
        // Objects parenting each other, in a layout where world matrices must be rebuilt.
        expectFailure(.malformed, BlendSyntheticScene.file(.v402) { records, _ in
            records["object1"]?.set("parent", pointer: P.object2)
        })
        // A list item pointing at itself.
        expectFailure(.malformed, BlendSyntheticScene.file(.v402) { records, _ in
            records["base1"]?.set("next", pointer: P.base1)
        })
    }

    @Test func decompressionBombs() throws {
        var limits = InspectionLimits()
        limits.maxInflatedBytes = 1 << 20
        let bomb = Array("BLENDER-v304".utf8) + [UInt8](repeating: 0, count: 16 << 20)
        expectFailure(.limitExceeded, BlendCompressionTests.zstd(bomb), compression: .zstd, limits: limits)
        expectFailure(.limitExceeded, BlendCompressionTests.gzip(bomb), compression: .gzip, limits: limits)
        expectFailure(.truncated, BlendCompressionTests.cut(BlendCompressionTests.zstd(BlendSyntheticScene.file(.v402))), compression: .zstd)
    }

    /// Random corruption of valid files: whatever happens must be a report or a `MeshInspectionError`.
    @Test func randomCorruptionNeverCrashes() throws {
        var generator = FBXBlendRandom(seed: 0x5EED)
        let seeds: [[UInt8]] = [BlendSyntheticScene.file(.v402), BlendSyntheticScene.file(.v306BigEndian32),
                                BlendSyntheticScene.file(.v500)]
        var failures = 0
        for iteration in 0..<3000 {
            var bytes = seeds[iteration % seeds.count]
            for _ in 0..<(1 + Int(generator.next() % 8)) {
                let index = Int(generator.next() % UInt64(bytes.count))
                bytes[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            do {
                _ = try inspect(bytes)
            } catch is MeshInspectionError {
                failures += 1
            }
        }
        #expect(failures > 0)
    }
}

/// A tiny deterministic generator so corruption tests repeat exactly.
struct FBXBlendRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
