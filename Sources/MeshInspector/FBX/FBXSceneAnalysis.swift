import Foundation

/// Counts an FBX scene the way Blender's FBX importer followed by its scene statistics would.
///
/// What Blender 3.4's importer does, and so what is mirrored here (checked against its source and against the
/// fixtures' imports):
/// - Every `Geometry` of class `Mesh` becomes one mesh with *all* its control points (`Vertices`/3): loose and
///   unused vertices are kept.
/// - `PolygonVertexIndex` polygons end at a negative index (`-i-1`); `mesh.validate()` then drops polygons with
///   fewer than three corners, with a corner outside the vertex range, using one vertex twice, or repeating another
///   polygon's vertices (see `FBXPolygons`). Triangles are Σ(n−2) over the polygons kept.
/// - One object per `Model` a geometry is connected to. The statistics count an evaluated mesh once however many
///   visible objects share it, and skip objects whose `Visibility` is 0, so a geometry counts once if any visible
///   model uses it and not at all otherwise. (Modifiers are not evaluated: a skinned mesh counts as authored.)
/// - Materials: every `Material` object; textures: `Texture` objects with distinct file names (Blender loads one
///   image per path); animations: `AnimationStack` objects; rigged: any `Deformer` of class `Skin` or `Cluster`.
/// - Bounding box: vertices through the geometric and node transforms (FBX SDK order, parents included), scaled
///   by `UnitScaleFactor` (centimetres per unit) to metres and turned into Blender's Z-up axes using the file's
///   own axis settings, as the importer does.
struct FBXSceneAnalysis {
    let document: FBXDocument
    var decoder: FBXArrayDecoder
    let limits: InspectionLimits

    func formatVersionString() -> String { String(document.version) }

    mutating func report() throws -> MeshReport {
        guard document.version >= 7100 else {
            throw MeshInspectionError(.unsupported, "FBX version \(document.version) is too old; FBX 7.1 (2011) or later is needed.")
        }
        guard document.version < 10000 else {
            throw MeshInspectionError(.unsupported, "FBX version \(document.version) is not a known FBX version.")
        }
        var report = MeshReport(format: .fbx, formatVersion: formatVersionString(), polygonCount: 0)
        let objects = document.root("Objects")?.children ?? []

        var geometries: [String: FBXNode] = [:]
        var models: [String: FBXNode] = [:]
        var textureKeys = Set<String>()
        for object in objects {
            guard let key = object.property(0)?.objectKey else { continue }
            let subclass = object.property(2)?.stringValue ?? ""
            switch object.name {
            case "Geometry" where subclass == "Mesh":
                geometries[key] = object
            case "Model":
                models[key] = object
            case "Material":
                report.materialCount += 1
            case "Texture":
                let path = [object.value(of: "RelativeFilename"), object.value(of: "FileName"), object.value(of: "Filename")]
                    .compactMap { $0?.stringValue }.first { !$0.isEmpty }
                textureKeys.insert(path ?? object.property(1)?.stringValue ?? key)
            case "AnimationStack":
                report.animationCount += 1
            case "Deformer" where subclass == "Skin" || subclass == "Cluster":
                report.isRigged = true
            default:
                break
            }
        }
        report.textureCount = textureKeys.count

        let links = FBXModelLinks(document, geometries: geometries, models: models)

        let settings = document.root("GlobalSettings")?.propertyTable() ?? [:]
        let toBlender = Self.unitConversion(settings) * Self.axisConversion(settings)
        var transforms = FBXNodeTransforms(models: models, parents: links.parentOfModel, template: modelTemplate(), limits: limits)

        var bounds = BoundsAccumulator()
        var budget = InstanceBoundsBudget()
        var skippedPolygons = 0
        var duplicatePolygons = 0
        var openPolygonCorners = 0
        for (key, geometry) in geometries.sorted(by: { $0.key < $1.key }) {
            let visibleModels = (links.modelsOfGeometry[key] ?? []).filter { transforms.isVisible($0) }
            guard !visibleModels.isEmpty else { continue }
            let positions = try geometry.child("Vertices")?.property(0).map(arrayValue).map { try decoder.doubles($0) } ?? []
            let vertexCount = positions.count / 3
            let indices = try geometry.child("PolygonVertexIndex")?.property(0).map(arrayValue).map { try decoder.indices($0) } ?? []
            let polygons = FBXPolygons.forEachKept(indices, vertexCount: vertexCount)
            report.meshCount += 1
            report.vertexCount += vertexCount
            report.polygonCount = (report.polygonCount ?? 0) + polygons.kept
            report.triangleCount += polygons.triangles
            skippedPolygons += polygons.invalid
            duplicatePolygons += polygons.duplicates
            openPolygonCorners += polygons.openCorners

            let forEachPosition = { (body: (SIMD3<Double>) -> Void) in
                var i = 0
                while i + 2 < positions.count {
                    body(SIMD3(positions[i], positions[i + 1], positions[i + 2]))
                    i += 3
                }
            }
            var localBox: (low: SIMD3<Double>, high: SIMD3<Double>)??
            for model in visibleModels {
                let world = try toBlender * transforms.world(of: model) * transforms.geometric(of: model)
                budget.add(count: vertexCount, transform: world, localBox: {
                    if localBox == nil {
                        var local = BoundsAccumulator()
                        forEachPosition { local.add($0) }
                        localBox = .some(local.extremes)
                    }
                    return localBox ?? nil
                }, points: forEachPosition, to: &bounds)
            }
        }
        report.boundingBox = bounds.box()
        if budget.approximated {
            report.warnings.append("So many instances that the bounding box was built from each instance's mesh box; it may be slightly larger than exact.")
        }
        if skippedPolygons > 0 {
            report.warnings.append("\(skippedPolygons) polygons with fewer than three distinct, valid corners were left out, as Blender's importer does.")
        }
        if duplicatePolygons > 0 {
            report.warnings.append("\(duplicatePolygons) polygons repeating the vertices of another polygon were left out, as Blender's importer does.")
        }
        if openPolygonCorners > 0 {
            report.warnings.append("\(openPolygonCorners) trailing polygon corners were not closed by a negative index and were ignored.")
        }
        if geometries.isEmpty {
            report.warnings.append("The file holds no mesh geometry.")
        }
        return report
    }

    private func arrayValue(_ property: FBXProperty) throws -> FBXArray {
        guard case .array(let array) = property else {
            throw MeshInspectionError(.malformed, "An FBX geometry stores its vertices or polygons as something other than an array.")
        }
        return array
    }

    /// Property defaults from `Definitions { ObjectType: "Model" { PropertyTemplate: "FbxNode" { Properties70 } } }`.
    func modelTemplate() -> [String: [FBXProperty]] {
        let types = document.root("Definitions")?.children("ObjectType") ?? []
        guard let model = types.first(where: { $0.property(0)?.stringValue == "Model" }),
              let template = model.children("PropertyTemplate").first else { return [:] }
        return template.propertyTable()
    }

    /// The file's units (`UnitScaleFactor`, centimetres per unit, 1 when absent) to Blender's metres.
    static func unitConversion(_ settings: [String: [FBXProperty]]) -> AffineTransform {
        .scale(SIMD3(repeating: (settings["UnitScaleFactor"]?.first?.doubleValue ?? 1) / 100))
    }

    /// Rotation taking the file's axes to Blender's (Z up, −Y forward), looked up the way the importer does; an
    /// axis triple that is not a right-handed system falls back to no rotation, as in Blender.
    static func axisConversion(_ settings: [String: [FBXProperty]]) -> AffineTransform {
        func setting(_ name: String, _ fallback: Int) -> Int {
            settings[name]?.first?.doubleValue.flatMap { Int(exactly: $0.rounded()) } ?? fallback
        }
        let up = (axis: setting("UpAxis", 2), sign: setting("UpAxisSign", 1) < 0 ? -1.0 : 1.0)
        let front = (axis: setting("FrontAxis", 1), sign: setting("FrontAxisSign", 1) < 0 ? -1.0 : 1.0)
        let coord = (axis: setting("CoordAxis", 0), sign: setting("CoordAxisSign", 1) < 0 ? -1.0 : 1.0)
        guard [up.axis, front.axis, coord.axis].allSatisfy({ (0...2).contains($0) }),
              Set([up.axis, front.axis, coord.axis]).count == 3 else { return .identity }
        func unit(_ axis: Int, _ sign: Double) -> SIMD3<Double> {
            var v = SIMD3<Double>(repeating: 0)
            v[axis] = sign
            return v
        }
        let upVector = unit(up.axis, up.sign)
        // FBX's front axis points out of the screen; Blender's forward is the opposite direction.
        let forward = unit(front.axis, -front.sign)
        let right = SIMD3(forward.y * upVector.z - forward.z * upVector.y,
                          forward.z * upVector.x - forward.x * upVector.z,
                          forward.x * upVector.y - forward.y * upVector.x)
        guard right == unit(coord.axis, coord.sign) else { return .identity }
        return AffineTransform(rows: [right, forward, upVector].map { SIMD4($0.x, $0.y, $0.z, 0) })
    }
}
