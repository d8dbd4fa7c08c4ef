import Foundation

/// The meshes, placements and textures of an FBX scene for the quality checks, through the same parsers, array
/// decoder, links and node transforms as the counts (`FBXSceneAnalysis`).
///
/// Each `Mesh` geometry a visible model uses is one mesh with all its control points (unused ones are loose, as
/// in Blender), its polygons as `Mesh.validate()` keeps them (at least three distinct, valid corners; two-corner
/// polygons are how Blender's exporter writes loose edges, so they are read as edges), its `LayerElementUV` maps
/// per corner, and whether it has normal or colour layers. Objects are placed as Blender's importer leaves them:
/// the file's unit scale and axis conversion applied to the node's world matrix; geometric transforms go into the
/// mesh. Textures are `Texture` objects by file name; their sizes come from embedded `Video` content, and a texture
/// with none is missing from the upload.
enum FBXQuality {
    static func scene(_ data: Data, ascii: Bool, limits: InspectionLimits) throws -> QualityScene {
        guard data.count <= limits.maxFileBytes else {
            throw MeshInspectionError(.limitExceeded, "The FBX file is larger than the \(limits.maxFileBytes)-byte limit.")
        }
        return try data.withUnsafeBytes { bytes in
            let document = ascii ? try FBXASCIIParser.parse(bytes, limits: limits) : try FBXBinaryParser.parse(bytes, limits: limits)
            guard (7100..<10000).contains(document.version) else {
                throw MeshInspectionError(.unsupported, "FBX version \(document.version) is not supported; FBX 7.1 (2011) or later is needed.")
            }
            var analysis = FBXSceneAnalysis(document: document, decoder: FBXArrayDecoder(bytes: bytes, limits: limits), limits: limits)
            return try read(document, analysis: &analysis, bytes: bytes, limits: limits)
        }
    }

    private static func read(
        _ document: FBXDocument, analysis: inout FBXSceneAnalysis, bytes: UnsafeRawBufferPointer, limits: InspectionLimits
    ) throws -> QualityScene {
        var geometries: [String: FBXNode] = [:]
        var models: [String: FBXNode] = [:]
        var textureNames: [String] = []
        var embedded: [String: Range<Int>] = [:]
        var embeddedText: [String: String] = [:]
        for object in document.root("Objects")?.children ?? [] {
            guard let key = object.property(0)?.objectKey else { continue }
            switch object.name {
            case "Geometry" where object.property(2)?.stringValue == "Mesh": geometries[key] = object
            case "Model": models[key] = object
            case "Texture":
                let path = [object.value(of: "RelativeFilename"), object.value(of: "FileName"), object.value(of: "Filename")]
                    .compactMap { $0?.stringValue }.first { !$0.isEmpty }
                if let path, !textureNames.contains(path) { textureNames.append(path) }
            case "Video":
                let paths = [object.value(of: "RelativeFilename"), object.value(of: "FileName"), object.value(of: "Filename")]
                    .compactMap { $0?.stringValue }.filter { !$0.isEmpty }
                for path in paths {
                    switch object.value(of: "Content") {
                    case .raw(let range)?: embedded[baseName(path)] = range
                    case .string(let text)? where !text.isEmpty: embeddedText[baseName(path)] = text
                    default: break
                    }
                }
            default: break
            }
        }
        let links = FBXModelLinks(document, geometries: geometries, models: models)
        let settings = document.root("GlobalSettings")?.propertyTable() ?? [:]
        let toBlender = FBXSceneAnalysis.unitConversion(settings) * FBXSceneAnalysis.axisConversion(settings)
        var transforms = FBXNodeTransforms(models: models, parents: links.parentOfModel, template: analysis.modelTemplate(), limits: limits)

        var scene = QualityScene()
        let unitScale = settings["UnitScaleFactor"]?.first?.doubleValue ?? 1
        scene.metresPerUnit = unitScale.isFinite && unitScale > 0 ? unitScale / 100 : nil
        var budget = MeshBudget(limits: limits)
        for (key, geometry) in geometries.sorted(by: { $0.key < $1.key }) {
            let visibleModels = (links.modelsOfGeometry[key] ?? []).filter { transforms.isVisible($0) }
            guard !visibleModels.isEmpty else { continue }
            let mesh = try readMesh(geometry, decoder: &analysis.decoder, budget: &budget)
            let slot = scene.meshes.count
            scene.meshes.append(mesh)
            for model in visibleModels {
                scene.placements.append(QualityPlacement(
                    mesh: slot, world: try toBlender * transforms.world(of: model), geometric: transforms.geometric(of: model)))
            }
        }
        for name in textureNames {
            let file = baseName(name)
            var size: (width: Int, height: Int)?
            var found = false
            if let range = embedded[file], range.lowerBound >= 0, range.upperBound <= bytes.count {
                found = true
                size = TextureHeaders.dimensions(UnsafeRawBufferPointer(rebasing: bytes[range]))
            } else if let text = embeddedText[file] {
                found = true
                if let decoded = try? Array(text.utf8).withUnsafeBytes({ try Base64.decode($0, limit: limits.maxInflatedBytes) }) {
                    size = decoded.withUnsafeBytes { TextureHeaders.dimensions($0) }
                }
            }
            scene.textures.append(TextureInfo(name: name, width: size?.width, height: size?.height, missing: !found))
        }
        return scene
    }

    private static func baseName(_ path: String) -> String {
        String(path.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? Substring(path)).lowercased()
    }

    private static func array(_ node: FBXNode?, _ name: String) throws -> FBXArray? {
        guard let property = node?.child(name)?.property(0) else { return nil }
        guard case .array(let array) = property else {
            throw MeshInspectionError(.malformed, "An FBX geometry stores its \(name) as something other than an array.")
        }
        return array
    }

    private static func readMesh(_ geometry: FBXNode, decoder: inout FBXArrayDecoder, budget: inout MeshBudget) throws -> QualityMesh {
        var mesh = QualityMesh()
        let positions = try array(geometry, "Vertices").map { try decoder.doubles($0) } ?? []
        try budget.take(positions.count)
        mesh.positions = positions.map { Float($0) }
        let vertexCount = positions.count / 3
        let indices = try array(geometry, "PolygonVertexIndex").map { try decoder.indices($0) } ?? []
        try budget.take(indices.count)

        // Kept polygons' corners, and for each the position in PolygonVertexIndex its per-corner data sits at.
        var sourceCorner: [UInt32] = []
        var start = 0
        var seen = Set<Int32>()
        for (position, raw) in indices.enumerated() where raw < 0 {
            defer { start = position + 1 }
            let count = position - start + 1
            func vertex(_ corner: Int) -> Int32 { indices[corner] < 0 ? ~indices[corner] : indices[corner] }
            var valid = true
            seen.removeAll(keepingCapacity: true)
            for corner in start...position where Int(vertex(corner)) >= vertexCount || !seen.insert(vertex(corner)).inserted {
                valid = false
            }
            guard valid else { continue }
            if count == 2 {
                mesh.edges.append(UInt32(vertex(start)))
                mesh.edges.append(UInt32(vertex(position)))
                continue
            }
            guard count >= 3 else { continue }
            mesh.faceSizes.append(UInt32(count))
            for corner in start...position {
                mesh.corners.append(UInt32(vertex(corner)))
                sourceCorner.append(UInt32(corner))
            }
        }
        mesh.hasNormals = geometry.child("LayerElementNormal") != nil
        mesh.hasVertexColors = geometry.child("LayerElementColor") != nil
        for layer in geometry.children("LayerElementUV") {
            if let uvs = try uvSet(layer, corners: mesh.corners, sourceCorner: sourceCorner, vertexCount: vertexCount, decoder: &decoder, budget: &budget) {
                mesh.uvSets.append(uvs)
            }
        }
        return mesh
    }

    /// One `LayerElementUV` as u, v per kept corner; nil when its mapping is not one Blender reads per corner or
    /// vertex, or its arrays are too short.
    private static func uvSet(
        _ layer: FBXNode, corners: [UInt32], sourceCorner: [UInt32], vertexCount: Int, decoder: inout FBXArrayDecoder,
        budget: inout MeshBudget
    ) throws -> [Float]? {
        let mapping = layer.value(of: "MappingInformationType")?.stringValue ?? ""
        let reference = layer.value(of: "ReferenceInformationType")?.stringValue ?? "Direct"
        guard let uvArray = try array(layer, "UV") else { return nil }
        let values = try decoder.doubles(uvArray)
        try budget.take(values.count)
        var lookup: [Int32]?
        if reference == "IndexToDirect" || reference == "Index" {
            guard let indexArray = try array(layer, "UVIndex") else { return nil }
            let decoded = try decoder.indices(indexArray)
            try budget.take(decoded.count)
            lookup = decoded
        }
        let byCorner: Bool
        switch mapping {
        case "ByPolygonVertex": byCorner = true
        case "ByVertice", "ByVertex", "ByControlPoint": byCorner = false
        default: return nil
        }
        var result = [Float]()
        result.reserveCapacity(corners.count * 2)
        let uvCount = values.count / 2
        for (kept, vertex) in corners.enumerated() {
            var element = byCorner ? Int(sourceCorner[kept]) : Int(vertex)
            if let lookup {
                guard element < lookup.count else { return nil }
                element = Int(lookup[element])
            }
            guard element >= 0, element < uvCount else {
                result.append(0); result.append(0)
                continue
            }
            result.append(Float(values[element * 2]))
            result.append(Float(values[element * 2 + 1]))
        }
        return result
    }
}
