import HWC3DAPI
import MeshInspector

/// The reader's report as the contract publishes it; stored in this form (`StoredAnalysis`), so what the job wrote
/// is exactly what clients read.
extension Components.Schemas.MeshAnalysis {
    init(_ report: MeshReport) {
        self.init(
            format: .init(rawValue: report.format.rawValue) ?? .glb, formatVersion: report.formatVersion,
            vertexCount: report.vertexCount, triangleCount: report.triangleCount, polygonCount: report.polygonCount,
            meshCount: report.meshCount, materialCount: report.materialCount, textureCount: report.textureCount,
            animationCount: report.animationCount, rigged: report.isRigged,
            boundingBox: report.boundingBox.map { .init(min: $0.min, max: $0.max) }, warnings: report.warnings,
            approximate: report.isApproximate, evaluatedModifiers: report.evaluatedModifiers,
            unevaluatedModifiers: report.unevaluatedModifiers, quality: report.quality.map(Components.Schemas.MeshQuality.init))
    }
}

extension Components.Schemas.MeshQuality {
    init(_ quality: QualityReport) {
        self.init(
            verdict: Components.Schemas.QualityVerdict(quality.verdict),
            findings: quality.findings.map {
                .init(check: $0.check, verdict: Components.Schemas.QualityVerdict($0.verdict), message: $0.message)
            },
            nonManifoldEdges: quality.nonManifoldEdges, boundaryEdges: quality.boundaryEdges,
            inconsistentWindingEdges: quality.inconsistentWindingEdges, looseVertices: quality.looseVertices,
            looseEdges: quality.looseEdges, zeroAreaFaces: quality.zeroAreaFaces, ngonCount: quality.ngonCount,
            isManifold: quality.isManifold, uvSetCount: quality.uvSetCount, uvsOutsideUnitSquare: quality.uvsOutsideUnitSquare,
            uvsLookLikeUdim: quality.uvsLookLikeUDIM,
            uvOverlapRatio: quality.uvOverlapRatio, hasNormals: quality.hasNormals, hasVertexColors: quality.hasVertexColors,
            materialCount: quality.materialCount,
            textures: quality.textures.map { .init(name: $0.name, width: $0.width, height: $0.height, missing: $0.missing) },
            missingTextureCount: quality.missingTextureCount, sizeMetres: quality.sizeMetres, sizeFileUnits: quality.sizeFileUnits,
            unitsKnown: quality.unitsKnown,
            objectsWithUnappliedTransforms: quality.objectsWithUnappliedTransforms,
            pivotDistanceRatio: quality.pivotDistanceRatio)
    }
}

extension Components.Schemas.QualityVerdict {
    init(_ verdict: QualityReport.Verdict) {
        self = switch verdict {
        case .pass: .pass
        case .warn: .warn
        case .fail: .fail
        }
    }
}
