import Foundation

/// Turns a report's measurements into findings and the overall verdict; the rules are listed on `QualityReport`.
enum QualityRules {
    /// Share of the UV area that may be used twice before it is worth a warning (mirrored details, stacked shells).
    static let uvOverlapTolerance = 0.05
    /// An origin further from its geometry's centre than this many times the geometry's size is "far".
    static let pivotFarRatio = 1.0
    static let smallestSizeMetres = 0.001
    static let largestSizeMetres = 1000.0

    static func apply(to report: inout QualityReport) {
        var findings: [QualityReport.Finding] = []
        func add(_ check: String, _ verdict: QualityReport.Verdict, _ message: String) {
            findings.append(QualityReport.Finding(check: check, verdict: verdict, message: message))
        }
        let r = report
        if r.nonManifoldEdges > 0 {
            add("non_manifold_edges", .fail,
                "\(count(r.nonManifoldEdges, "edge is", "edges are")) shared by more than two faces; such geometry cannot be 3D printed, subdivided or baked reliably.")
        }
        if r.inconsistentWindingEdges > 0 {
            add("inconsistent_winding", .fail,
                "\(count(r.inconsistentWindingEdges, "edge lies", "edges lie")) between faces pointing opposite ways; some faces are flipped (recalculate normals outside).")
        }
        if r.missingTextureCount > 0 {
            let names = r.textures.filter(\.missing).prefix(5).map(\.name).joined(separator: ", ")
            add("missing_textures", .fail,
                "\(count(r.missingTextureCount, "texture is", "textures are")) referred to but not included in the upload (\(names)); pack them into the file or upload a zip with them.")
        }
        if r.boundaryEdges > 0 {
            add("boundary_edges", .warn,
                "\(count(r.boundaryEdges, "edge borders", "edges border")) only one face: the model has holes or open edges.")
        }
        if r.looseVertices > 0 || r.looseEdges > 0 {
            var parts: [String] = []
            if r.looseVertices > 0 { parts.append(count(r.looseVertices, "loose vertex", "loose vertices")) }
            if r.looseEdges > 0 { parts.append(count(r.looseEdges, "loose edge", "loose edges")) }
            add("loose_geometry", .warn, "\(parts.joined(separator: " and ")) belong to no face; delete loose geometry before publishing.")
        }
        if r.zeroAreaFaces > 0 {
            add("zero_area_faces", .warn,
                "\(count(r.zeroAreaFaces, "face has", "faces have")) no area (its corners lie on a line or a point); dissolve degenerate faces.")
        }
        if let ngons = r.ngonCount, ngons > 0 {
            add("ngons", .warn,
                "\(count(ngons, "face has", "faces have")) more than four corners; n-gons may shade or subdivide badly in other software.")
        }
        if r.uvSetCount == 0 {
            add("no_uvs", .warn, "The model has no UV map, so textures cannot be applied to it.")
        } else {
            if r.uvsOutsideUnitSquare, !r.uvsLookLikeUDIM {
                add("uv_outside_unit", .warn, "Some UVs lie outside the 0–1 square; textures will repeat over those faces.")
            }
            if let overlap = r.uvOverlapRatio, overlap > uvOverlapTolerance {
                add("uv_overlap", .warn,
                    "\(percent(overlap)) of the UV area is used by more than one face; overlapping UVs bake and paint badly.")
            }
        }
        if r.objectsWithUnappliedTransforms > 0 {
            add("unapplied_transforms", .warn,
                "\(count(r.objectsWithUnappliedTransforms, "object has", "objects have")) a rotation or scale that is not applied; apply transforms so the model imports at its true size and orientation.")
        }
        if let ratio = r.pivotDistanceRatio, ratio > pivotFarRatio {
            add("pivot_far", .warn,
                "An object's origin lies \(String(format: "%.1f", ratio))× its size away from its geometry; set the origin to the geometry.")
        }
        if r.materialCount == 0 {
            add("no_materials", .warn, "The model has no materials.")
        }
        if r.unitsKnown, let size = r.sizeMetres, let largest = size.max() {
            if largest < smallestSizeMetres {
                add("huge_or_tiny", .warn,
                    "The model is only \(length(largest)) across; check the units and scale it to its real size.")
            } else if largest > largestSizeMetres {
                add("huge_or_tiny", .warn,
                    "The model is \(length(largest)) across; check the units and scale it to its real size.")
            }
        }
        report.findings = findings
        report.verdict = findings.map(\.verdict).max() ?? .pass
    }

    private static func count(_ n: Int, _ one: String, _ many: String) -> String {
        n == 1 ? "1 \(one)" : "\(n) \(many)"
    }

    private static func percent(_ ratio: Double) -> String {
        "\(Int((ratio * 100).rounded()))%"
    }

    private static func length(_ metres: Double) -> String {
        switch metres {
        case ..<0.01: String(format: "%.2g mm", metres * 1000)
        case ..<1: String(format: "%.3g cm", metres * 100)
        case ..<1000: String(format: "%.3g m", metres)
        default: String(format: "%.3g km", metres / 1000)
        }
    }
}
