import Foundation
import Testing
@testable import MeshInspector

/// The modifier evaluator on layouts Blender 3.4 cannot write: the synthetic pyramid scene (`BlendSyntheticScene`)
/// with `.corner_vert` and `.edge_verts` layers (3.6+; in `attribute_storage` for 5.0) and a Mirror + Subdivision Surface stack on "Pyramid" only.
///
/// Pyramid: 5 vertices, 8 edges, 5 faces, 16 corners, symmetric about x = 0 with its apex on the plane. Mirror X
/// merges the apex with its copy: 9 vertices, 16 edges, 10 faces, 32 corners. Subdivision level 1: 9 + 16 + 10 =
/// 35 vertices, 32 quads, 64 triangles. "Copy" shares the base mesh without modifiers: 5 vertices, 5 faces, 6
/// triangles. Together: 40, 37, 70, two meshes.
@Suite struct BlendSyntheticModifierTests {
    static let mirrorPointer: UInt64 = 0x5000, subsurfPointer: UInt64 = 0x5100
    static let cornerLayer: UInt64 = 0x5200, cornerData: UInt64 = 0x5300, edgeLayer: UInt64 = 0x5400, edgeData: UInt64 = 0x5500

    static func file(_ layout: BlendSyntheticScene.Layout, edges: Bool = true) -> [UInt8] {
        BlendSyntheticScene.file(layout) { records, blend in
            let n = BlendSyntheticScene.names(layout)
            blend.define("MirrorModifierData", [("ModifierData", "modifier"), ("short", "axis"), ("short", "flag"),
                                                ("float", "tolerance"), ("Object", "*mirror_ob")])
            blend.define("SubsurfModifierData", [("ModifierData", "modifier"), ("short", "subdivType"), ("short", "levels"),
                                                 ("short", "renderLevels"), ("short", "flags")])
            var mirror = blend.record("MirrorModifierData")
            mirror.set("modifier.type", int: 5)
            mirror.set("modifier.mode", int: 3)
            mirror.set("modifier.next", pointer: subsurfPointer)
            mirror.set("flag", int: 1 << 3)
            mirror.set("tolerance", floats: [0.001])
            var subsurf = blend.record("SubsurfModifierData")
            subsurf.set("modifier.type", int: 1)
            subsurf.set("modifier.mode", int: 3)
            subsurf.set("modifier.prev", pointer: mirrorPointer)
            subsurf.set("levels", int: 1)
            subsurf.set("renderLevels", int: 2)
            blend.add(mirror, pointer: mirrorPointer)
            blend.add(subsurf, pointer: subsurfPointer)
            records["object1"]?.set("modifiers.first", pointer: mirrorPointer)
            records["object1"]?.set("modifiers.last", pointer: subsurfPointer)

            if n.attributeStorage {
                // Blender 5: the topology arrays as attributes next to "position".
                typealias P = BlendSyntheticScene.Pointers
                var attributes: [SyntheticBlend.Record] = []
                for (index, (name, data)) in [("position", P.attributeArray), (".corner_vert", 0x5600), (".edge_verts", 0x5700)].enumerated() {
                    var attribute = blend.record("Attribute")
                    attribute.set("name", pointer: index == 0 ? P.attributeName : UInt64(0x5800 + index * 0x10))
                    attribute.set("data_type", int: index == 0 ? 7 : 99)
                    attribute.set("domain", int: index == 0 ? 0 : 3)
                    attribute.set("data", pointer: UInt64(data))
                    attributes.append(attribute)
                    if index > 0 {
                        blend.addBlock(code: "DATA", struct: nil, pointer: UInt64(0x5800 + index * 0x10), data: Array(name.utf8) + [0])
                        var array = blend.record("AttributeArray")
                        array.set("data", pointer: index == 1 ? cornerData : edgeData)
                        array.set("size", int: index == 1 ? 16 : 8)
                        blend.add(array, pointer: UInt64(data))
                    }
                }
                records["attribute"] = nil
                blend.add(records: attributes, pointer: P.attributes)
                records["mesh1"]?.set("attribute_storage.dna_attributes_num", int: 3)
                blend.addBlock(code: "DATA", struct: nil, pointer: cornerData,
                               data: blend.ints([0, 3, 2, 1, 0, 1, 4, 1, 2, 4, 2, 3, 4, 3, 0, 4]))
                if edges {
                    blend.addBlock(code: "DATA", struct: nil, pointer: edgeData,
                                   data: blend.ints([0, 1, 1, 2, 2, 3, 3, 0, 0, 4, 1, 4, 2, 4, 3, 4]))
                }
                return
            }
            var corner = blend.record("CustomDataLayer")
            corner.set("type", int: 11)
            corner.set("name", string: ".corner_vert")
            corner.set("data", pointer: cornerData)
            blend.add(corner, pointer: cornerLayer)
            records["mesh1"]?.set("\(n.cornerData).layers", pointer: cornerLayer)
            records["mesh1"]?.set("\(n.cornerData).totlayer", int: 1)
            blend.addBlock(code: "DATA", struct: nil, pointer: cornerData,
                           data: blend.ints([0, 3, 2, 1, 0, 1, 4, 1, 2, 4, 2, 3, 4, 3, 0, 4]))
            if edges {
                var edge = blend.record("CustomDataLayer")
                edge.set("type", int: 53)
                edge.set("name", string: ".edge_verts")
                edge.set("data", pointer: edgeData)
                blend.add(edge, pointer: edgeLayer)
                records["mesh1"]?.set("\(n.edgeData).layers", pointer: edgeLayer)
                records["mesh1"]?.set("\(n.edgeData).totlayer", int: 1)
                blend.addBlock(code: "DATA", struct: nil, pointer: edgeData,
                               data: blend.ints([0, 1, 1, 2, 2, 3, 3, 0, 0, 4, 1, 4, 2, 4, 3, 4]))
            }
        }
    }

    @Test(arguments: BlendSyntheticScene.Layout.allCases)
    func mirrorThenSubdivisionOnNewLayouts(_ layout: BlendSyntheticScene.Layout) throws {
        let report = try BlendReader.inspect(Data(Self.file(layout)), compression: .none, limits: .standard)
        #expect(report.vertexCount == 40)
        #expect(report.polygonCount == 37)
        #expect(report.triangleCount == 70)
        #expect(report.meshCount == 2)
        #expect(report.evaluatedModifiers == ["Mirror", "Subdivision Surface"])
        #expect(!report.isApproximate, "\(report.warnings)")
        #expect(report.warnings.allSatisfy { $0.contains("outside the 2.80–4.x range") }, "\(report.warnings)")
    }

    @Test func missingEdgesFallBackToStoredCountsWithAWarning() throws {
        let report = try BlendReader.inspect(Data(Self.file(.v402, edges: false)), compression: .none, limits: .standard)
        #expect(report.vertexCount == 10)
        #expect(report.isApproximate)
        #expect(report.unevaluatedModifiers == ["Mirror", "Subdivision Surface"])
        #expect(report.warnings.contains { $0.contains("Pyramid") && $0.contains("edges") })
    }
}
