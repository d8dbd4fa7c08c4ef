import Foundation
import Testing
@testable import MeshInspector

@Suite("Quality verdict rules")
struct QualityRulesTests {
    /// A report that passes every check: closed, UV-mapped, one material, a metre across.
    static func clean() -> QualityReport {
        var report = QualityReport()
        report.isManifold = true
        report.ngonCount = 0
        report.uvSetCount = 1
        report.uvOverlapRatio = 0
        report.materialCount = 1
        report.unitsKnown = true
        report.sizeMetres = [1, 1, 1]
        report.pivotDistanceRatio = 0
        return report
    }

    static func judged(_ change: (inout QualityReport) -> Void) -> QualityReport {
        var report = clean()
        change(&report)
        QualityRules.apply(to: &report)
        return report
    }

    @Test("a clean model passes with no findings")
    func passes() {
        let report = Self.judged { _ in }
        #expect(report.verdict == .pass)
        #expect(report.findings.isEmpty)
    }

    @Test("non-manifold edges, flipped faces and missing textures fail")
    func failures() {
        let nonManifold = Self.judged { $0.nonManifoldEdges = 12 }
        #expect(nonManifold.verdict == .fail)
        #expect(nonManifold.findings.map(\.check) == ["non_manifold_edges"])
        #expect(nonManifold.findings[0].message.hasPrefix("12 edges are shared by more than two faces"))
        #expect(Self.judged { $0.nonManifoldEdges = 1 }.findings[0].message.hasPrefix("1 edge is shared"))

        let flipped = Self.judged { $0.inconsistentWindingEdges = 4 }
        #expect(flipped.verdict == .fail)
        #expect(flipped.findings.map(\.check) == ["inconsistent_winding"])

        let missing = Self.judged {
            $0.textures = [TextureInfo(name: "wood.png", missing: true), TextureInfo(name: "ok.png", width: 8, height: 8, missing: false)]
            $0.missingTextureCount = 1
        }
        #expect(missing.verdict == .fail)
        #expect(missing.findings.map(\.check) == ["missing_textures"])
        #expect(missing.findings[0].message.contains("wood.png"))
        #expect(!missing.findings[0].message.contains("ok.png"))
    }

    /// Each warning case: the check it should raise and the change that raises it.
    static func warningCase(_ name: String, _ r: inout QualityReport) -> String {
        switch name {
        case "boundary": r.boundaryEdges = 3; r.isManifold = false; return "boundary_edges"
        case "looseVertices": r.looseVertices = 2; return "loose_geometry"
        case "looseEdges": r.looseEdges = 1; return "loose_geometry"
        case "zeroArea": r.zeroAreaFaces = 1; return "zero_area_faces"
        case "ngons": r.ngonCount = 2; return "ngons"
        case "noUVs": r.uvSetCount = 0; r.uvOverlapRatio = nil; return "no_uvs"
        case "outside": r.uvsOutsideUnitSquare = true; return "uv_outside_unit"
        case "overlap": r.uvOverlapRatio = 0.06; return "uv_overlap"
        case "transforms": r.objectsWithUnappliedTransforms = 1; return "unapplied_transforms"
        case "pivot": r.pivotDistanceRatio = 1.5; return "pivot_far"
        case "materials": r.materialCount = 0; return "no_materials"
        case "tiny": r.sizeMetres = [0.0005, 0.0002, 0.0001]; return "huge_or_tiny"
        default: r.sizeMetres = [1500, 2, 2]; return "huge_or_tiny"
        }
    }

    @Test("each warning rule warns on its own", arguments: [
        "boundary", "looseVertices", "looseEdges", "zeroArea", "ngons", "noUVs", "outside", "overlap", "transforms",
        "pivot", "materials", "tiny", "huge",
    ])
    func warnings(_ name: String) {
        var check = ""
        let report = Self.judged { check = Self.warningCase(name, &$0) }
        #expect(report.verdict == .warn)
        #expect(report.findings.map(\.check) == [check])
        #expect(report.findings.allSatisfy { !$0.message.isEmpty })
    }

    @Test("thresholds: 5% UV overlap, pivot 1× size, UDIM tiles, unknown units")
    func thresholds() {
        #expect(Self.judged { $0.uvOverlapRatio = 0.05 }.verdict == .pass)
        #expect(Self.judged { $0.pivotDistanceRatio = 1.0 }.verdict == .pass)
        #expect(Self.judged { $0.uvsOutsideUnitSquare = true; $0.uvsLookLikeUDIM = true }.verdict == .pass)
        #expect(Self.judged { $0.sizeMetres = [0.001, 0.001, 0.001] }.verdict == .pass)
        #expect(Self.judged { $0.sizeMetres = [1000, 1, 1] }.verdict == .pass)
        // OBJ: no unit, so no size finding however large the numbers.
        #expect(Self.judged { $0.unitsKnown = false; $0.sizeMetres = nil; $0.sizeFileUnits = [5000, 1, 1] }.verdict == .pass)
        // Without UVs, the UV checks other than no_uvs do not pile on.
        #expect(Self.judged { $0.uvSetCount = 0; $0.uvsOutsideUnitSquare = true; $0.uvOverlapRatio = 0.5 }.findings.map(\.check) == ["no_uvs"])
    }

    @Test("the verdict is the worst finding")
    func worst() {
        let report = Self.judged { $0.boundaryEdges = 1; $0.nonManifoldEdges = 1; $0.materialCount = 0 }
        #expect(report.verdict == .fail)
        #expect(report.findings.map(\.verdict).contains(.warn))
        #expect(QualityReport.Verdict.pass < .warn && QualityReport.Verdict.warn < .fail)
    }

    @Test("the report is stored with the analysis under its field names")
    func coding() throws {
        var report = MeshReport(format: .glb, vertexCount: 8)
        report.quality = Self.judged { $0.boundaryEdges = 2 }
        let data = try JSONEncoder().encode(report)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let quality = try #require(json["quality"] as? [String: Any])
        for key in ["verdict", "findings", "nonManifoldEdges", "boundaryEdges", "inconsistentWindingEdges", "looseVertices",
                    "looseEdges", "zeroAreaFaces", "ngonCount", "isManifold", "uvSetCount", "uvsOutsideUnitSquare",
                    "uvOverlapRatio", "hasNormals", "hasVertexColors", "materialCount", "textures", "missingTextureCount",
                    "sizeMetres", "unitsKnown", "objectsWithUnappliedTransforms", "pivotDistanceRatio"] {
            #expect(quality[key] != nil, "\(key)")
        }
        #expect(try JSONDecoder().decode(MeshReport.self, from: data) == report)
        // Reports stored before the field existed still decode.
        var old = json
        old.removeValue(forKey: "quality")
        let decoded = try JSONDecoder().decode(MeshReport.self, from: try JSONSerialization.data(withJSONObject: old))
        #expect(decoded.quality == nil)
    }
}
