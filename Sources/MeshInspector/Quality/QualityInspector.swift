import Foundation

/// Builds the quality report of an analysed file: reads its meshes again through the format's own parser (each
/// format's `…Quality` extractor), measures topology, UVs and placement, and applies `QualityRules`.
enum QualityInspector {
    /// Runs `counts` (the format's reader) and reads the file's meshes for the quality check at the same time, on
    /// two threads, then measures them and sets `report.quality`: the check costs about its own time rather than
    /// adding it to the reader's. The reader's error, if any, is the answer. A failure of the quality read alone
    /// (a limit, a corner of the format the checks read differently) leaves the counts standing, with a warning
    /// instead of a quality report.
    static func inspect(
        _ data: Data, as detected: DetectedMeshFile, limits: InspectionLimits, counts: () throws -> MeshReport
    ) throws -> MeshReport {
        let countsResult = ResultSlot<Result<MeshReport, Error>>()
        let sceneResult = ResultSlot<Result<QualityScene, Error>>()
        withoutActuallyEscaping(counts) { counts in
            let work = UnsafeSendable(counts)
            DispatchQueue.concurrentPerform(iterations: 2) { task in
                if task == 0 {
                    countsResult.value = Result { try work.value() }
                } else {
                    sceneResult.value = Result { try scene(of: data, as: detected, limits: limits) }
                }
            }
        }
        guard var report = try countsResult.value?.get() else {
            throw MeshInspectionError(.malformed, "The file could not be analysed.")
        }
        switch sceneResult.value {
        case .success(let scene)?: report.quality = assemble(scene, report: report)
        case .failure(let error)?: report.warnings.append("The quality check could not read the file: \(error)")
        case nil: break
        }
        return report
    }

    /// Nil when the file has no mesh (nothing to judge). Throws only what the format's parser throws, which
    /// `MeshInspector.inspect` has already accepted once for the counts.
    static func quality(
        of data: Data, as detected: DetectedMeshFile, report: MeshReport, limits: InspectionLimits
    ) throws -> QualityReport? {
        assemble(try scene(of: data, as: detected, limits: limits), report: report)
    }

    /// The file's meshes, placements and textures, through the format's own parser.
    static func scene(of data: Data, as detected: DetectedMeshFile, limits: InspectionLimits) throws -> QualityScene {
        switch detected {
        case .glb: try GLTFQuality.sceneFromGLB(data, limits: limits)
        case .gltf: try GLTFQuality.sceneFromJSON(data, resources: .none, limits: limits)
        case .obj: try OBJQuality.scene(data, resources: .none, limits: limits)
        case .fbxBinary: try FBXQuality.scene(data, ascii: false, limits: limits)
        case .fbxASCII: try FBXQuality.scene(data, ascii: true, limits: limits)
        case .blend(let compression): try BlendQuality.scene(data, compression: compression, limits: limits)
        case .zipBundle: try bundleScene(data, limits: limits)
        }
    }

    private static func bundleScene(_ data: Data, limits: InspectionLimits) throws -> QualityScene {
        let bundle = try ZipBundle(data, limits: limits)
        let scene = try bundle.contents(of: bundle.scenePath)
        let directory = bundle.scenePath.split(separator: "/").dropLast().joined(separator: "/")
        let resources = SceneResources(baseDirectory: directory) { path in try bundle.contents(ofReference: path) }
        switch bundle.sceneFormat {
        case .gltf: return try GLTFQuality.sceneFromJSON(scene, resources: resources, limits: limits)
        default: return try OBJQuality.scene(scene, resources: resources, limits: limits)
        }
    }

    /// Measures a scene: each mesh once however many objects place it, each object for its own placement.
    static func assemble(_ scene: QualityScene, report: MeshReport) -> QualityReport? {
        let placed = Set(scene.placements.map(\.mesh)).sorted().filter { $0 < scene.meshes.count }
        guard placed.contains(where: { scene.meshes[$0].vertexCount > 0 }) else { return nil }
        var quality = QualityReport()
        quality.ngonCount = scene.keepsPolygons ? 0 : nil
        var topologies: [Int: MeshTopology] = [:]
        var covered = 0, overlapped = 0, anyUVs = false, allUDIM = true
        var faces = 0
        for index in placed {
            let mesh = scene.meshes[index]
            let (topology, measuredUVs) = measure(mesh)
            topologies[index] = topology
            quality.nonManifoldEdges += topology.nonManifoldEdges
            quality.boundaryEdges += topology.boundaryEdges
            quality.inconsistentWindingEdges += topology.inconsistentWindingEdges
            quality.looseVertices += topology.looseVertices
            quality.looseEdges += topology.looseEdges
            quality.zeroAreaFaces += topology.zeroAreaFaces
            if scene.keepsPolygons { quality.ngonCount = (quality.ngonCount ?? 0) + topology.ngons }
            faces += topology.faces
            quality.uvSetCount = max(quality.uvSetCount, mesh.uvSets.count)
            quality.hasNormals = quality.hasNormals || mesh.hasNormals
            quality.hasVertexColors = quality.hasVertexColors || mesh.hasVertexColors
            if let coverage = measuredUVs, topology.faces > 0 {
                anyUVs = true
                covered += coverage.covered
                overlapped += coverage.overlapped
                if coverage.outsideUnitSquare {
                    quality.uvsOutsideUnitSquare = true
                    allUDIM = allUDIM && coverage.looksLikeUDIM
                }
            }
        }
        quality.isManifold = faces > 0 && quality.boundaryEdges == 0 && quality.nonManifoldEdges == 0
        quality.uvsLookLikeUDIM = quality.uvsOutsideUnitSquare && allUDIM
        if anyUVs { quality.uvOverlapRatio = covered > 0 ? Double(overlapped) / Double(covered) : 0 }

        quality.materialCount = report.materialCount
        quality.textures = scene.textures
        quality.missingTextureCount = scene.textures.filter(\.missing).count

        if let box = report.boundingBox, box.min.count == 3, box.max.count == 3 {
            let extent = zip(box.max, box.min).map { $0 - $1 }
            if let metres = scene.metresPerUnit, metres > 0 {
                quality.unitsKnown = true
                quality.sizeMetres = extent
                quality.sizeFileUnits = extent.map { $0 / metres }
            } else {
                quality.sizeFileUnits = extent
            }
        }

        var worstPivot: Double?
        for placement in scene.placements {
            guard let topology = topologies[placement.mesh], let low = topology.low, let high = topology.high else { continue }
            if hasRotationOrScale(placement.world) { quality.objectsWithUnappliedTransforms += 1 }
            let toWorld = placement.world * placement.geometric
            var bounds = BoundsAccumulator()
            for corner in 0..<8 {
                let p = SIMD3(Double(corner & 1 == 0 ? low.x : high.x), Double(corner & 2 == 0 ? low.y : high.y),
                              Double(corner & 4 == 0 ? low.z : high.z))
                bounds.add(toWorld.apply(p))
            }
            guard let box = bounds.extremes else { continue }
            let size = (box.high - box.low).max()
            guard size > 0, size.isFinite else { continue }
            let pivot = SIMD3(placement.world.rows[0][3], placement.world.rows[1][3], placement.world.rows[2][3])
            let offset = pivot - (box.low + box.high) / 2
            let ratio = (offset * offset).sum().squareRoot() / size
            if ratio.isFinite { worstPivot = max(worstPivot ?? 0, ratio) }
        }
        quality.pivotDistanceRatio = worstPivot.map { ($0 * 1000).rounded() / 1000 }
        if let ratio = quality.uvOverlapRatio { quality.uvOverlapRatio = (ratio * 10000).rounded() / 10000 }
        QualityRules.apply(to: &quality)
        return quality
    }

    /// Corners above which a mesh's topology and UV coverage are measured on two threads at once.
    static let parallelCorners = 100_000

    /// Topology and coverage of the first UV map: independent, so a large mesh has them measured side by side.
    static func measure(_ mesh: QualityMesh) -> (MeshTopology, UVCoverage?) {
        guard mesh.corners.count >= parallelCorners, let uvs = mesh.uvSets.first else {
            return (MeshTopology.analyze(mesh), mesh.uvSets.first.map { UVCoverage.analyze(uvs: $0, faceSizes: mesh.faceSizes) })
        }
        let topology = ResultSlot<MeshTopology>(), coverage = ResultSlot<UVCoverage>()
        DispatchQueue.concurrentPerform(iterations: 2) { task in
            if task == 0 {
                topology.value = MeshTopology.analyze(mesh)
            } else {
                coverage.value = UVCoverage.analyze(uvs: uvs, faceSizes: mesh.faceSizes)
            }
        }
        return (topology.value ?? MeshTopology.analyze(mesh), coverage.value)
    }

    /// Whether the 3×3 part differs from identity by more than float noise.
    static func hasRotationOrScale(_ transform: AffineTransform) -> Bool {
        for row in 0..<3 {
            for column in 0..<3 {
                let expected: Double = row == column ? 1 : 0
                if !(abs(transform.rows[row][column] - expected) <= 1e-4) { return true }
            }
        }
        return false
    }
}

/// One result written by one task of a `concurrentPerform` and read after it returns, which orders the two.
private final class ResultSlot<Value>: @unchecked Sendable {
    var value: Value?
}

/// Hands a closure that is only used while `concurrentPerform` runs (so never after its caller returns) to it.
private struct UnsafeSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
