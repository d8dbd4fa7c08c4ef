import Foundation

/// World-space triangles of an FBX scene, through the same parsers, array decoder and node transforms the counts
/// use: each `Mesh` geometry is drawn once per visible `Model` it is connected to, through
/// `toBlender · world · geometric` exactly as the bounding box is built (see `FBXSceneAnalysis`), then turned from
/// Blender's Z-up frame to Y up.
///
/// Polygons split into fans; those `mesh.validate()` drops (see `FBXPolygons`) are left out. Each geometry is decoded once and its fan triangles listed once, so a mesh placed a
/// million times costs a million offers, not a million walks over its polygons.
enum FBXGeometry {
    static func extract(_ data: Data, ascii: Bool, limits: InspectionLimits, maxTriangles: Int) throws -> PreviewGeometry {
        guard data.count <= limits.maxFileBytes else {
            throw MeshInspectionError(.limitExceeded, "The FBX file is larger than the \(limits.maxFileBytes)-byte limit.")
        }
        return try data.withUnsafeBytes { bytes in
            let document = ascii
                ? try FBXASCIIParser.parse(bytes, limits: limits) : try FBXBinaryParser.parse(bytes, limits: limits)
            guard (7100..<10000).contains(document.version) else {
                throw MeshInspectionError(.unsupported, "FBX version \(document.version) is not supported; FBX 7.1 (2011) or later is needed.")
            }
            var analysis = FBXSceneAnalysis(
                document: document, decoder: FBXArrayDecoder(bytes: bytes, limits: limits), limits: limits)
            return try draw(document, analysis: &analysis, limits: limits, maxTriangles: maxTriangles)
        }
    }

    private static func draw(
        _ document: FBXDocument, analysis: inout FBXSceneAnalysis, limits: InspectionLimits, maxTriangles: Int
    ) throws -> PreviewGeometry {
        var geometries: [String: FBXNode] = [:]
        var models: [String: FBXNode] = [:]
        for object in document.root("Objects")?.children ?? [] {
            guard let key = object.property(0)?.objectKey else { continue }
            if object.name == "Geometry", object.property(2)?.stringValue == "Mesh" {
                geometries[key] = object
            } else if object.name == "Model" {
                models[key] = object
            }
        }
        let links = FBXModelLinks(document, geometries: geometries, models: models)

        let settings = document.root("GlobalSettings")?.propertyTable() ?? [:]
        let toYUp = PreviewTransform.blenderToYUp * FBXSceneAnalysis.unitConversion(settings)
            * FBXSceneAnalysis.axisConversion(settings)
        var transforms = FBXNodeTransforms(
            models: models, parents: links.parentOfModel, template: analysis.modelTemplate(), limits: limits)

        var subset = TriangleSubset<Float>(budget: maxTriangles, width: 9)
        for (key, geometry) in geometries.sorted(by: { $0.key < $1.key }) {
            let visibleModels = (links.modelsOfGeometry[key] ?? []).filter { transforms.isVisible($0) }
            guard !visibleModels.isEmpty else { continue }
            let positions = try array(geometry, "Vertices").map { try analysis.decoder.doubles($0) } ?? []
            let indices = try array(geometry, "PolygonVertexIndex").map { try analysis.decoder.indices($0) } ?? []
            let fans = fanTriangles(indices, vertexCount: positions.count / 3)
            guard !fans.isEmpty else { continue }
            for model in visibleModels {
                let world = PreviewTransform(try toYUp * transforms.world(of: model) * transforms.geometric(of: model))
                positions.withUnsafeBufferPointer { xyz in
                    fans.withUnsafeBufferPointer { corners in
                        subset.offer(corners.count / 3) { triangle, values in
                            func point(_ corner: Int) -> SIMD3<Float> {
                                let base = Int(corners[triangle * 3 + corner]) * 3
                                return world.apply(Float(xyz[base]), Float(xyz[base + 1]), Float(xyz[base + 2]))
                            }
                            TriangleSubset<Float>.append(point(0), point(1), point(2), to: &values)
                        }
                    }
                }
            }
        }
        return subset.geometry()
    }

    private static func array(_ geometry: FBXNode, _ name: String) throws -> FBXArray? {
        guard let property = geometry.child(name)?.property(0) else { return nil }
        guard case .array(let array) = property else {
            throw MeshInspectionError(.malformed, "An FBX geometry stores its \(name) as something other than an array.")
        }
        return array
    }

    /// Vertex indices of the fan triangles of every polygon Blender keeps (see `FBXPolygons`), three per triangle.
    static func fanTriangles(_ indices: [Int32], vertexCount: Int) -> [UInt32] {
        var triangles: [UInt32] = []
        func vertex(_ corner: Int) -> UInt32 {
            let value = indices[corner]
            return UInt32(bitPattern: value < 0 ? ~value : value)
        }
        FBXPolygons.forEachKept(indices, vertexCount: vertexCount) { polygon in
            for corner in (polygon.lowerBound + 1)..<polygon.upperBound {
                triangles.append(vertex(polygon.lowerBound))
                triangles.append(vertex(corner))
                triangles.append(vertex(corner + 1))
            }
        }
        return triangles
    }
}
