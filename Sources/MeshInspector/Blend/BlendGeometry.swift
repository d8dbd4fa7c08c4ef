import Foundation

/// World-space triangles of a .blend scene: the objects `BlendReader` counts (visible in the current scene and
/// view layer, collection instances expanded) through the same world matrices, turned from Z up to Y up.
///
/// Meshes are drawn as stored, before modifiers (the counts evaluate them; previews do not yet). Faces come from the face offsets (3.6+) or
/// `MPoly` sizes (up to 3.5) and their corners' vertices from the `.corner_vert` attribute (3.6+) or `MLoop`
/// records (up to 3.5); faces split into fans. Pre-2.63 meshes (`MFace` only) and Blender 5's attribute storage
/// for corners are not drawn. Each mesh is read once however many objects show it.
enum BlendGeometry {
    static let cdPropInt32: Int64 = 11
    static let cdMLoop: Int64 = 26

    static func extract(
        _ data: Data, compression: BlendCompression, limits: InspectionLimits, maxTriangles: Int
    ) throws -> PreviewGeometry {
        guard data.count <= limits.maxFileBytes else {
            throw MeshInspectionError(.limitExceeded, "The .blend file is larger than the \(limits.maxFileBytes)-byte limit.")
        }
        let inflated: [UInt8]? = try data.withUnsafeBytes { raw in
            switch BlendReader.effectiveCompression(raw, declared: compression) {
            case .none: return nil
            case .gzip: return try Decompression.gunzip(raw, limit: limits.maxInflatedBytes)
            case .zstd: return try Decompression.zstd(raw, limit: limits.maxInflatedBytes)
            }
        }
        if let inflated {
            return try inflated.withUnsafeBytes { try extract(uncompressed: $0, limits: limits, maxTriangles: maxTriangles) }
        }
        return try data.withUnsafeBytes { try extract(uncompressed: $0, limits: limits, maxTriangles: maxTriangles) }
    }

    static func extract(
        uncompressed bytes: UnsafeRawBufferPointer, limits: InspectionLimits, maxTriangles: Int
    ) throws -> PreviewGeometry {
        let file = try BlendFile(bytes: bytes, limits: limits)
        guard let dnaBlock = file.blocks(withCode: "DNA1").first else {
            throw MeshInspectionError(.malformed, "The .blend file has no struct description (DNA1 block).")
        }
        let dna = try BlendSDNA(block: dnaBlock, file: file)
        var subset = TriangleSubset<Float>(budget: maxTriangles, width: 9)
        let sceneReader = BlendScene(file: file, dna: dna, limits: limits)
        guard let scene = sceneReader.currentScene() else { return subset.geometry() }

        var transforms = BlendObjectTransforms(file: file, dna: dna, limits: limits)
        var instances = BlendInstances(file: file, dna: dna, limits: limits)
        let placements = try instances.placements(of: try sceneReader.visibleObjects(in: scene), transforms: &transforms)

        // Placements grouped by mesh, meshes in the order first met, so each mesh is read once.
        var meshOrder: [UInt64] = []
        var worldsOfMesh: [UInt64: [AffineTransform]] = [:]
        var meshStructs: [UInt64: BlendStruct] = [:]
        for placement in placements {
            guard let object = BlendStruct.at(placement.object, as: "Object", in: file, dna: dna),
                  object.integer(["type"]) == BlendReader.objectTypeMesh,
                  let meshPointer = object.pointer(["data"]), meshPointer != 0,
                  let mesh = BlendStruct.at(meshPointer, as: "Mesh", in: file, dna: dna) else { continue }
            let world = try placement.world ?? transforms.world(of: placement.object)
            if worldsOfMesh[meshPointer] == nil {
                meshOrder.append(meshPointer)
                meshStructs[meshPointer] = mesh
            }
            worldsOfMesh[meshPointer, default: []].append(world)
        }

        let meshReader = BlendMeshReader(file: file, dna: dna, limits: limits)
        let read = file.read
        var attributes = BlendPreviewAttributes(file: file, dna: dna, meshes: meshOrder.compactMap { meshStructs[$0] }, reader: meshReader)
        subset = TriangleSubset<Float>(budget: maxTriangles, width: attributes.layout.width)
        for meshPointer in meshOrder {
            guard let mesh = meshStructs[meshPointer],
                  let (positions, fans, fanFaces) = try triangles(of: mesh, reader: meshReader, file: file, dna: dna) else { continue }
            let writer = attributes.writer(for: mesh, faces: fanFaces)
            for world in worldsOfMesh[meshPointer] ?? [] {
                let transform = PreviewTransform(PreviewTransform.blenderToYUp * world)
                fans.withUnsafeBufferPointer { corners in
                    subset.offer(corners.count / 3) { triangle, values in
                        func point(_ corner: Int) -> SIMD3<Float> {
                            let offset = positions.start + Int(corners[triangle * 3 + corner]) * positions.stride
                            return transform.apply(
                                read.float(offset) ?? .nan, read.float(offset + 4) ?? .nan, read.float(offset + 8) ?? .nan)
                        }
                        writer.append(point(0), point(1), point(2), triangle: triangle, to: &values)
                    }
                }
            }
        }
        return attributes.layout.geometry(subset, materials: attributes.materials)
    }

    /// Where the mesh's positions are, the vertex indices of its fan triangles, and for each fan corner its
    /// corner (loop) index then each triangle's face index (`fanFaces`: 3 corners + 1 face per triangle, for the
    /// preview's UVs and materials); nil when it has none to draw.
    private static func triangles(
        of mesh: BlendStruct, reader: BlendMeshReader, file: BlendFile, dna: BlendSDNA
    ) throws -> (BlendMeshReader.Positions, [UInt32], [UInt32])? {
        let geometry = try reader.read(mesh)
        // The counts already refused negative or excessive declarations; these re-reads only locate the data.
        let faces = Int(mesh.integer(["faces_num", "totpoly"]) ?? 0)
        let corners = Int(mesh.integer(["corners_num", "totloop"]) ?? 0)
        guard let positions = geometry.positions, faces > 0, corners > 0 else { return nil }
        let name = mesh.nested(["id"], dna: dna)?.string(["name"]).map { String($0.dropFirst(2)) } ?? "mesh"
        guard let sizes = try reader.polygonSizes(mesh, faces: faces, corners: corners, name: name),
              let cornerVertices = cornerVertices(mesh, corners: corners, reader: reader, file: file, dna: dna)
        else { return nil }

        let read = file.read
        var fans: [UInt32] = []
        var fanFaces: [UInt32] = []
        var vertices: [UInt32] = []
        var start = 0
        for (face, size) in sizes.enumerated() {
            defer { start += size }
            guard size >= 3, start + size <= corners else { continue }
            vertices.removeAll(keepingCapacity: true)
            for corner in start..<(start + size) {
                guard let vertex = read.int32(cornerVertices.start + corner * cornerVertices.stride),
                      vertex >= 0, Int(vertex) < positions.count else { break }
                vertices.append(UInt32(vertex))
            }
            // A face with a corner outside the vertex range is damaged; Blender's validation would drop it too.
            guard vertices.count == size else { continue }
            for corner in 1..<(size - 1) {
                fans.append(vertices[0])
                fans.append(vertices[corner])
                fans.append(vertices[corner + 1])
                fanFaces.append(UInt32(start)); fanFaces.append(UInt32(start + corner)); fanFaces.append(UInt32(start + corner + 1))
                fanFaces.append(UInt32(face))
            }
        }
        return fans.isEmpty ? nil : (positions, fans, fanFaces)
    }

    /// First byte and stride of the corners' vertex indices, checked to hold `corners` entries.
    private static func cornerVertices(
        _ mesh: BlendStruct, corners: Int, reader: BlendMeshReader, file: BlendFile, dna: BlendSDNA
    ) -> (start: Int, stride: Int)? {
        if let pointer = reader.layerData(mesh, ["corner_data", "ldata"], type: cdPropInt32, named: ".corner_vert"),
           let block = file.block(at: pointer), block.data.count / 4 >= corners {
            return (block.data.lowerBound, 4)
        }
        if let layout = dna.layout(named: "MLoop"), let field = layout.fields["v"], field.offset >= 0,
           layout.size >= field.offset + 4,
           let pointer = reader.layerData(mesh, ["corner_data", "ldata"], type: cdMLoop) ?? mesh.pointer(["mloop"]), pointer != 0,
           let block = file.block(at: pointer), block.data.count / layout.size >= corners {
            return (block.data.lowerBound + field.offset, layout.size)
        }
        return nil
    }
}
