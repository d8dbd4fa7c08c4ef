import Foundation
import Testing
@testable import MeshInspector

/// Layouts Blender 3.4 cannot write, built field by field (`BlendSyntheticScene`): 3.6 names in a 32-bit
/// big-endian file, 4.2 names with world matrices rebuilt from loc/rot/scale, and 5.0's 17-byte header, 64-bit
/// block headers and attribute storage.
@Suite struct BlendSyntheticTests {
    @Test(arguments: BlendSyntheticScene.Layout.allCases)
    func countsEveryLayout(_ layout: BlendSyntheticScene.Layout) throws {
        let bytes = BlendSyntheticScene.file(layout)
        let report = try BlendReader.inspect(Data(bytes), compression: .none, limits: .standard)
        let version = switch layout {
        case .v306BigEndian32: "3.6"
        case .v402: "4.2"
        case .v500: "5.0"
        }
        #expect(report.formatVersion == version)
        #expect(report.vertexCount == 5)
        #expect(report.polygonCount == 5)
        #expect(report.triangleCount == 6)
        #expect(report.meshCount == 1)
        #expect(report.materialCount == 2)
        #expect(report.textureCount == 1)
        #expect(report.animationCount == 1)
        #expect(report.isRigged == false)
        let box = try #require(report.boundingBox)
        for axis in 0..<3 {
            #expect(abs(box.min[axis] - BlendSyntheticScene.expectedBox.min[axis]) < 1e-5, "\(layout) min \(box.min)")
            #expect(abs(box.max[axis] - BlendSyntheticScene.expectedBox.max[axis]) < 1e-5, "\(layout) max \(box.max)")
        }
        #expect(report.warnings.contains { $0.contains("outside the 2.80–4.x range") } == (layout == .v500))
    }

    @Test func headerVariants() throws {
        let large = try Array("BLENDER17-01v0502".utf8).withUnsafeBytes { try BlendFile.parseHeader($0) }
        #expect(large == BlendFile.Header(pointerSize: 8, littleEndian: true, version: 502, size: 17, largeBlockHeaders: true))
        let classic = try Array("BLENDER_V279".utf8).withUnsafeBytes { try BlendFile.parseHeader($0) }
        #expect(classic == BlendFile.Header(pointerSize: 4, littleEndian: false, version: 279, size: 12, largeBlockHeaders: false))
        #expect(throws: MeshInspectionError.self) {
            try Array("BLENDER17-02v0600".utf8).withUnsafeBytes { try BlendFile.parseHeader($0) }
        }
    }

    @Test func armatureModifierMarksRigged() throws {
        let bytes = BlendSyntheticScene.file(.v402) { records, blend in
            var modifier = blend.record("ModifierData")
            modifier.set("type", int: 8)
            modifier.set("mode", int: 3)
            blend.add(modifier, pointer: 0x9000)
            records["object2"]?.set("modifiers.first", pointer: 0x9000)
            records["object2"]?.set("modifiers.last", pointer: 0x9000)
        }
        let report = try BlendReader.inspect(Data(bytes), compression: .none, limits: .standard)
        #expect(report.isRigged)
        // With an active modifier the copy has its own evaluated mesh, so it counts separately.
        #expect(report.vertexCount == 10)
        #expect(report.meshCount == 2)
    }

    @Test func armatureParentMarksRigged() throws {
        let bytes = BlendSyntheticScene.file(.v402) { records, _ in
            records["object1"]?.set("type", int: 25)
        }
        let report = try BlendReader.inspect(Data(bytes), compression: .none, limits: .standard)
        // "Pyramid" became an armature: it no longer counts, and "Copy" is a mesh parented to it.
        #expect(report.isRigged)
        #expect(report.vertexCount == 5)
    }
}
