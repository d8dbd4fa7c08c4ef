import Foundation

/// .blend entry point (Blender 2.80 to 4.x, plain, gzip- or zstd-compressed).
///
/// Counts follow Blender's own scene statistics for the file's current scene and view layer (verified against
/// Blender 3.4.1 on the fixtures):
/// - Only visible objects of the scene count (see `BlendScene`); orphan meshes, fake-user data and objects of other
///   scenes do not.
/// - A mesh shared by several objects (linked duplicates) counts **once**, as in Blender's statistics, which add
///   each evaluated mesh a single time; an object with modifiers has its own evaluated mesh and counts on its own.
///   `meshCount` is the number of meshes counted that way.
/// - Modifiers enabled in the viewport are evaluated (see `BlendObjectEvaluation` and `Modifiers/`): Mirror (with
///   bisect and mirror objects), Subdivision Surface, Multiresolution, Array, Solidify, Triangulate, Weld, Edge
///   Split, Decimate, Booleans and Geometry Nodes Blender skips as disabled, and the modifiers that only deform
///   (their positions are not moved, so the box uses the undeformed mesh). Settings reproduced only roughly
///   (Decimate below 1.0, Solidify's complex mode, merges after Subdivision...) set `isApproximate` with a
///   warning. An object with any other modifier counts its stored mesh, with a warning, `isApproximate` and the
///   modifier in `unevaluatedModifiers`.
/// - Materials, textures and animations are the file's `Material` (`MA`), `Image` (`IM`, minus render-result and
///   viewer images) and `Action` (`AC`) datablocks, i.e. `len(bpy.data.materials)` and so on.
/// - Rigged: a counted mesh object with an Armature modifier or an armature parent.
/// - Collection instances are expanded (see `BlendInstances`): their copies count like objects, so a mesh only
///   shown through instances counts once and its copies widen the bounding box.
/// - Bounding box: every counted object's vertices through its world matrix, times `Scene.unit.scale_length`.
///
/// Older files (2.4x–2.7x) are read on a best-effort basis, with a warning: scenes listing their objects as bases,
/// pre-2.63 meshes made of `MFace` triangles and quads, big-endian and 32-bit files.
enum BlendReader {
    static let objectTypeMesh: Int64 = 1
    static let objectTypeArmature: Int64 = 25
    static let modifierTypeArmature: Int64 = 8
    static let modifierModeRealtime: Int64 = 1
    static let imageSourceViewer: Int64 = 5
    /// Far above any real modifier stack; bounds the work a file of objects sharing one long list can cause.
    static let maxModifiers = 256

    private static func boxCorners(_ box: (low: SIMD3<Double>, high: SIMD3<Double>)?) -> [SIMD3<Double>] {
        guard let box else { return [] }
        return (0..<8).map { corner in
            SIMD3(corner & 1 == 0 ? box.low.x : box.high.x, corner & 2 == 0 ? box.low.y : box.high.y,
                  corner & 4 == 0 ? box.low.z : box.high.z)
        }
    }

    static func inspect(_ data: Data, compression: BlendCompression, limits: InspectionLimits) throws -> MeshReport {
        guard data.count <= limits.maxFileBytes else {
            throw MeshInspectionError(.limitExceeded, "The .blend file is larger than the \(limits.maxFileBytes)-byte limit.")
        }
        let inflated: [UInt8]? = try data.withUnsafeBytes { raw in
            switch effectiveCompression(raw, declared: compression) {
            case .none: return nil
            case .gzip: return try Decompression.gunzip(raw, limit: limits.maxInflatedBytes)
            case .zstd: return try Decompression.zstd(raw, limit: limits.maxInflatedBytes)
            }
        }
        if let inflated {
            return try inflated.withUnsafeBytes { try inspect(uncompressed: $0, limits: limits) }
        }
        return try data.withUnsafeBytes { try inspect(uncompressed: $0, limits: limits) }
    }

    /// Trusts the sniffer, but a plain-declared file that starts with a gzip or zstd magic is decompressed anyway.
    static func effectiveCompression(_ raw: UnsafeRawBufferPointer, declared: BlendCompression) -> BlendCompression {
        guard declared == .none, raw.count >= 4 else { return declared }
        if raw[0] == 0x1f, raw[1] == 0x8b { return .gzip }
        if raw[0] == 0x28, raw[1] == 0xb5, raw[2] == 0x2f, raw[3] == 0xfd { return .zstd }
        return .none
    }

    /// `useStoredMatrices: false` ignores `obmat`/`object_to_world` so tests can check the rebuilt transforms
    /// against Blender's on files that have both.
    static func inspect(
        uncompressed bytes: UnsafeRawBufferPointer, limits: InspectionLimits, useStoredMatrices: Bool = true
    ) throws -> MeshReport {
        let file = try BlendFile(bytes: bytes, limits: limits)
        guard let dnaBlock = file.blocks(withCode: "DNA1").first else {
            throw MeshInspectionError(.malformed, "The .blend file has no struct description (DNA1 block).")
        }
        let dna = try BlendSDNA(block: dnaBlock, file: file)
        let version = file.header.version
        var report = MeshReport(format: .blend, formatVersion: "\(version / 100).\(version % 100)", polygonCount: 0)
        if version < 280 || version >= 500 {
            report.warnings.append("Saved by Blender \(version / 100).\(version % 100), outside the 2.80–4.x range this reader follows; counts may be incomplete.")
        }

        report.materialCount = file.blocks(withCode: "MA").count
        report.animationCount = file.blocks(withCode: "AC").count
        report.textureCount = file.blocks(withCode: "IM").filter { block in
            // Render results and compositor viewers are images in Blender's data but not textures of the model.
            guard let image = BlendStruct.first(in: block, as: "Image", file: file, dna: dna) else { return true }
            return image.integer(["source"]) != imageSourceViewer
        }.count

        let sceneReader = BlendScene(file: file, dna: dna, limits: limits)
        guard let scene = sceneReader.currentScene() else {
            report.warnings.append("The file holds no scene, so no objects are counted.")
            return report
        }
        let metres = sceneReader.metresPerUnit(scene)
        let meshReader = BlendMeshReader(file: file, dna: dna, limits: limits)
        var transforms = BlendObjectTransforms(file: file, dna: dna, limits: limits, useStoredMatrices: useStoredMatrices)
        var counted = Set<UInt64>()
        var geometries: [UInt64: BlendMeshReader.Geometry] = [:]
        var bounds = BoundsAccumulator()
        var budget = InstanceBoundsBudget()
        var localBoxes: [UInt64: (low: SIMD3<Double>, high: SIMD3<Double>)?] = [:]

        var instances = BlendInstances(file: file, dna: dna, limits: limits)
        let placements = try instances.placements(of: try sceneReader.visibleObjects(in: scene), transforms: &transforms)
        var warned = Set<UInt64>()
        var evaluation = BlendObjectEvaluation(file: file, dna: dna, limits: limits, meshReader: meshReader)
        var missingMeshes = 0

        for placement in placements {
            let pointer = placement.object
            guard let object = BlendStruct.at(pointer, as: "Object", in: file, dna: dna),
                  object.integer(["type"]) == objectTypeMesh else { continue }
            guard let meshPointer = object.pointer(["data"]), meshPointer != 0,
                  let mesh = BlendStruct.at(meshPointer, as: "Mesh", in: file, dna: dna) else {
                // Linked from another .blend file (only a placeholder is stored here) or damaged.
                if warned.insert(pointer).inserted { missingMeshes += 1 }
                continue
            }
            let modifiers = try object.list(["modifiers"], itemType: "ModifierData", dna: dna, maxItems: maxModifiers)
            if modifiers.contains(where: { $0.integer(["type"]) == modifierTypeArmature }) {
                report.isRigged = true
            }
            if let parent = object.pointer(["parent"]).flatMap({ BlendStruct.at($0, as: "Object", in: file, dna: dna) }),
               parent.integer(["type"]) == objectTypeArmature {
                report.isRigged = true
            }

            let geometry: BlendMeshReader.Geometry
            if let cached = geometries[meshPointer] {
                geometry = cached
            } else {
                geometry = try meshReader.read(mesh)
                geometries[meshPointer] = geometry
                report.warnings.append(contentsOf: geometry.warnings)
            }
            // Objects without active modifiers share one evaluated mesh, which Blender's statistics count once;
            // an object with modifiers has its own, shared by all its instanced copies.
            let activeModifiers = modifiers.filter { ($0.integer(["mode"]) ?? 0) & modifierModeRealtime != 0 }
            var outcome: BlendObjectEvaluation.Outcome?
            if !activeModifiers.isEmpty {
                let objectName = object.nested(["id"], dna: dna)?.string(["name"]).map { String($0.dropFirst(2)) } ?? "an object"
                let (evaluated, isNew) = try evaluation.outcome(
                    objectPointer: pointer, objectName: objectName, mesh: mesh, stored: geometry,
                    modifiers: activeModifiers, transforms: &transforms)
                outcome = evaluated
                if isNew {
                    report.warnings += evaluated.warnings
                    report.isApproximate = report.isApproximate || evaluated.isApproximate
                    for name in evaluated.evaluated where !report.evaluatedModifiers.contains(name) { report.evaluatedModifiers.append(name) }
                    for name in evaluated.unevaluated where !report.unevaluatedModifiers.contains(name) { report.unevaluatedModifiers.append(name) }
                }
            }
            if counted.insert(activeModifiers.isEmpty ? meshPointer : pointer).inserted {
                report.meshCount += 1
                if let counts = outcome?.counts {
                    report.vertexCount += counts.vertices
                    report.polygonCount = (report.polygonCount ?? 0) + counts.faces
                    report.triangleCount += counts.triangles
                } else {
                    report.vertexCount += geometry.vertexCount
                    report.polygonCount = (report.polygonCount ?? 0) + geometry.polygonCount
                    report.triangleCount += geometry.triangleCount
                }
            }
            if let outcome, outcome.counts != nil {
                // The evaluated mesh's positions (or, once counted symbolically, the box they fit in).
                let world = try placement.world ?? transforms.world(of: pointer)
                let points = outcome.positions ?? boxCorners(outcome.box)
                budget.add(count: points.count, transform: world, localBox: { outcome.box },
                           points: { body in points.forEach(body) }, to: &bounds)
            } else if let positions = geometry.positions {
                let world = try placement.world ?? transforms.world(of: pointer)
                budget.add(count: positions.count, transform: world, localBox: {
                    if let cached = localBoxes[meshPointer] { return cached }
                    var local = BoundsAccumulator()
                    meshReader.forEachPosition(positions) { local.add($0) }
                    localBoxes[meshPointer] = local.extremes
                    return local.extremes
                }, points: { meshReader.forEachPosition(positions, $0) }, to: &bounds)
            }
        }
        if missingMeshes > 0 {
            report.warnings.append("\(missingMeshes) mesh objects have no mesh data in this file (linked from another .blend file?) and are not counted.")
        }
        if instances.truncated {
            report.warnings.append("More than \(BlendInstances.maxInstances) instanced copies: the rest were not counted.")
        }
        report.boundingBox = bounds.box(scale: metres)
        if budget.approximated {
            report.warnings.append("So many instances that the bounding box was built from each instance's mesh box; it may be slightly larger than exact.")
        }
        return report
    }
}
