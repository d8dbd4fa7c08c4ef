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
            return try draw(document, bytes: bytes, analysis: &analysis, limits: limits, maxTriangles: maxTriangles)
        }
    }

    private static func draw(
        _ document: FBXDocument, bytes: UnsafeRawBufferPointer, analysis: inout FBXSceneAnalysis, limits: InspectionLimits,
        maxTriangles: Int
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

        var attributes = FBXPreviewAttributes(document, bytes: bytes)
        var subset = TriangleSubset<Float>(budget: maxTriangles, width: attributes.layout.width)
        for (key, geometry) in geometries.sorted(by: { $0.key < $1.key }) {
            let visibleModels = (links.modelsOfGeometry[key] ?? []).filter { transforms.isVisible($0) }
            guard !visibleModels.isEmpty else { continue }
            let positions = try array(geometry, "Vertices").map { try analysis.decoder.doubles($0) } ?? []
            let indices = try array(geometry, "PolygonVertexIndex").map { try analysis.decoder.indices($0) } ?? []
            let (fans, polygons) = fanCorners(indices, vertexCount: positions.count / 3)
            guard !fans.isEmpty else { continue }
            let layers = attributes.layers(of: geometry, decoder: &analysis.decoder)
            for model in visibleModels {
                let world = PreviewTransform(try toYUp * transforms.world(of: model) * transforms.geometric(of: model))
                let writer = attributes.writer(layers, model: model)
                positions.withUnsafeBufferPointer { xyz in
                    fans.withUnsafeBufferPointer { corners in
                        subset.offer(corners.count / 3) { triangle, values in
                            func point(_ corner: Int) -> SIMD3<Float> {
                                let raw = indices[Int(corners[triangle * 3 + corner])]
                                let base = Int(raw < 0 ? ~raw : raw) * 3
                                return world.apply(Float(xyz[base]), Float(xyz[base + 1]), Float(xyz[base + 2]))
                            }
                            writer.append(
                                point(0), point(1), point(2), corners: (corners[triangle * 3], corners[triangle * 3 + 1], corners[triangle * 3 + 2]),
                                vertices: indices, polygon: polygons[triangle], to: &values)
                        }
                    }
                }
            }
        }
        return attributes.layout.geometry(subset, materials: attributes.materials)
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
        fanCorners(indices, vertexCount: vertexCount).corners.map { corner in
            let value = indices[Int(corner)]
            return UInt32(bitPattern: value < 0 ? ~value : value)
        }
    }

    /// The fan triangles of every polygon Blender keeps as positions in `PolygonVertexIndex` (three per triangle, the
    /// index per-corner layers such as UVs are read by) and the polygon each comes from, counted among all polygons
    /// the file writes, dropped ones included, as per-polygon layers (materials) are indexed.
    static func fanCorners(_ indices: [Int32], vertexCount: Int) -> (corners: [UInt32], polygons: [UInt32]) {
        var triangles: [UInt32] = []
        var polygons: [UInt32] = []
        var ordinal: UInt32 = 0
        var scanned = 0
        FBXPolygons.forEachKept(indices, vertexCount: vertexCount) { polygon in
            while scanned < polygon.lowerBound {
                if indices[scanned] < 0 { ordinal &+= 1 }
                scanned += 1
            }
            for corner in (polygon.lowerBound + 1)..<polygon.upperBound {
                triangles.append(UInt32(polygon.lowerBound))
                triangles.append(UInt32(corner))
                triangles.append(UInt32(corner + 1))
                polygons.append(ordinal)
            }
        }
        return (triangles, polygons)
    }
}
