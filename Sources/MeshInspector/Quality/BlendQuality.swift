import Foundation

/// The meshes, placements and images of a .blend file for the quality checks, through the same file, SDNA, scene,
/// instance and transform readers as the counts (`BlendReader`, `BlendGeometry`).
///
/// Meshes are read as stored, before modifiers, like the counts: positions, faces (face offsets or `MPoly`) and
/// their corners' vertices (`.corner_vert` or `MLoop`), edges (`.edge_verts` or `MEdge`, for loose edges), UV maps
/// (`MLoopUV` layers up to 3.4, float2 corner layers from 3.5) and colour layers. Blender meshes always have normals.
/// Images are the file's `Image` datablocks: generated ones are not files, packed ones are measured from their
/// packed bytes, and any other is missing from the upload (a .blend does not carry unpacked images).
enum BlendQuality {
    static let cdMEdge: Int64 = 3
    static let cdMLoopUV: Int64 = 16
    static let cdByteColor: Int64 = 17
    static let cdMCol: Int64 = 6
    static let cdPropColor: Int64 = 47
    static let cdPropFloat2: Int64 = 49
    static let imageSourceGenerated: Int64 = 4

    static func scene(_ data: Data, compression: BlendCompression, limits: InspectionLimits) throws -> QualityScene {
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
        if let inflated { return try inflated.withUnsafeBytes { try scene(uncompressed: $0, limits: limits) } }
        return try data.withUnsafeBytes { try scene(uncompressed: $0, limits: limits) }
    }

    static func scene(uncompressed bytes: UnsafeRawBufferPointer, limits: InspectionLimits) throws -> QualityScene {
        let file = try BlendFile(bytes: bytes, limits: limits)
        guard let dnaBlock = file.blocks(withCode: "DNA1").first else {
            throw MeshInspectionError(.malformed, "The .blend file has no struct description (DNA1 block).")
        }
        let dna = try BlendSDNA(block: dnaBlock, file: file)
        var result = QualityScene()
        result.textures = images(file: file, dna: dna)
        let sceneReader = BlendScene(file: file, dna: dna, limits: limits)
        guard let scene = sceneReader.currentScene() else { return result }
        result.metresPerUnit = sceneReader.metresPerUnit(scene)

        var transforms = BlendObjectTransforms(file: file, dna: dna, limits: limits)
        var instances = BlendInstances(file: file, dna: dna, limits: limits)
        let placements = try instances.placements(of: try sceneReader.visibleObjects(in: scene), transforms: &transforms)
        let reader = BlendMeshReader(file: file, dna: dna, limits: limits)
        var slots: [UInt64: Int] = [:]
        var budget = MeshBudget(limits: limits)
        for placement in placements {
            guard let object = BlendStruct.at(placement.object, as: "Object", in: file, dna: dna),
                  object.integer(["type"]) == BlendReader.objectTypeMesh,
                  let meshPointer = object.pointer(["data"]), meshPointer != 0,
                  let mesh = BlendStruct.at(meshPointer, as: "Mesh", in: file, dna: dna) else { continue }
            let slot: Int
            if let known = slots[meshPointer] {
                slot = known
            } else {
                slot = result.meshes.count
                result.meshes.append(try read(mesh, reader: reader, file: file, dna: dna, budget: &budget))
                slots[meshPointer] = slot
            }
            result.placements.append(QualityPlacement(mesh: slot, world: try placement.world ?? transforms.world(of: placement.object)))
        }
        return result
    }

    private struct Layer {
        var type: Int64
        var name: String
        var data: UInt64
    }

    /// The `CustomData` layers of one domain (`vdata`, `edata`, `ldata`…), first name that exists.
    private static func layers(_ mesh: BlendStruct, _ names: [String], file: BlendFile, dna: BlendSDNA) -> [Layer] {
        guard let data = mesh.nested(names, dna: dna), let pointer = data.pointer(["layers"]), let total = data.int(["totlayer"]),
              total > 0, let block = file.block(at: pointer), let layout = dna.layout(named: "CustomDataLayer"), layout.size > 0 else {
            return []
        }
        return (0..<Swift.min(total, block.data.count / layout.size)).compactMap { index in
            guard let layer = BlendStruct.element(index, in: block, as: layout, file: file), let type = layer.integer(["type"]),
                  let data = layer.pointer(["data"]), data != 0 else { return nil }
            return Layer(type: type, name: layer.string(["name"]) ?? "", data: data)
        }
    }

    private static func read(
        _ mesh: BlendStruct, reader: BlendMeshReader, file: BlendFile, dna: BlendSDNA, budget: inout MeshBudget
    ) throws -> QualityMesh {
        var result = QualityMesh()
        result.hasNormals = true
        guard let positions = try positions(of: mesh, reader: reader, file: file, dna: dna) else { return result }
        try budget.take(positions.count * 3)
        let read = file.read
        result.positions.reserveCapacity(positions.count * 3)
        for v in 0..<positions.count {
            let base = positions.start + v * positions.stride
            result.positions.append(read.float(base) ?? .nan)
            result.positions.append(read.float(base + 4) ?? .nan)
            result.positions.append(read.float(base + 8) ?? .nan)
        }
        let name = mesh.nested(["id"], dna: dna)?.string(["name"]).map { String($0.dropFirst(2)) } ?? "mesh"
        let faces = Int(mesh.integer(["faces_num", "totpoly"]) ?? 0)
        let corners = Int(mesh.integer(["corners_num", "totloop"]) ?? 0)
        let edgeCount = Int(mesh.integer(["edges_num", "totedge"]) ?? 0)
        let cornerLayers = layers(mesh, ["corner_data", "ldata"], file: file, dna: dna)

        // Faces and their corners' vertices; a face reaching outside the vertices or corners is left out.
        if faces > 0, corners > 0, let sizes = try faceSizes(mesh, faces: faces, corners: corners, name: name, reader: reader, file: file, dna: dna),
           let cornerVertices = cornerVertexLocation(cornerLayers, corners: corners, file: file, dna: dna) {
            try budget.take(corners)
            var keptCorners: [Int] = []
            keptCorners.reserveCapacity(corners)
            var start = 0
            for size in sizes {
                defer { start += size }
                guard size >= 3, start + size <= corners else { continue }
                var valid = true
                for corner in start..<(start + size) {
                    guard let vertex = read.int32(cornerVertices.start + corner * cornerVertices.stride), vertex >= 0,
                          Int(vertex) < positions.count else { valid = false; break }
                }
                guard valid else { continue }
                result.faceSizes.append(UInt32(size))
                for corner in start..<(start + size) {
                    result.corners.append(UInt32(read.int32(cornerVertices.start + corner * cornerVertices.stride) ?? 0))
                    keptCorners.append(corner)
                }
            }
            // UV maps: `MLoopUV` (≤3.4) or float2 corner attributes (3.5+), skipping internal "."-prefixed ones.
            for layer in cornerLayers where layer.type == cdMLoopUV || (layer.type == cdPropFloat2 && !layer.name.hasPrefix(".")) {
                let stride = layer.type == cdMLoopUV ? (dna.layout(named: "MLoopUV")?.size ?? 12) : 8
                guard stride >= 8, let block = file.block(at: layer.data), block.data.count / stride >= corners else { continue }
                try budget.take(keptCorners.count * 2)
                var uvs = [Float]()
                uvs.reserveCapacity(keptCorners.count * 2)
                for corner in keptCorners {
                    let offset = block.data.lowerBound + corner * stride
                    uvs.append(read.float(offset) ?? 0)
                    uvs.append(read.float(offset + 4) ?? 0)
                }
                result.uvSets.append(uvs)
            }
        }
        let vertexLayers = layers(mesh, ["vert_data", "vdata"], file: file, dna: dna)
        result.hasVertexColors = (cornerLayers + vertexLayers).contains { [cdByteColor, cdPropColor, cdMCol].contains($0.type) }

        // Edges, for the loose ones: `.edge_verts` int2 (3.6+) or `MEdge` records (v1, v2).
        if edgeCount > 0 {
            let edgeLayers = layers(mesh, ["edge_data", "edata"], file: file, dna: dna)
            var location: (start: Int, stride: Int, second: Int)?
            if let layer = edgeLayers.first(where: { $0.name == ".edge_verts" }), let block = file.block(at: layer.data),
               block.data.count / 8 >= edgeCount {
                location = (block.data.lowerBound, 8, 4)
            } else if let layout = dna.layout(named: "MEdge"), let v1 = layout.fields["v1"], let v2 = layout.fields["v2"],
                      let pointer = edgeLayers.first(where: { $0.type == cdMEdge })?.data ?? mesh.pointer(["medge"]), pointer != 0,
                      let block = file.block(at: pointer), layout.size > 0, block.data.count / layout.size >= edgeCount {
                location = (block.data.lowerBound + v1.offset, layout.size, v2.offset - v1.offset)
            }
            if let location {
                try budget.take(edgeCount * 2)
                result.edges.reserveCapacity(edgeCount * 2)
                for edge in 0..<edgeCount {
                    let offset = location.start + edge * location.stride
                    guard let a = read.int32(offset), let b = read.int32(offset + location.second), a >= 0, b >= 0,
                          Int(a) < positions.count, Int(b) < positions.count else { continue }
                    result.edges.append(UInt32(a))
                    result.edges.append(UInt32(b))
                }
            }
        }
        return result
    }

    /// Where the mesh's positions are: the `position` float3 layer (3.5+) or `MVert.co` (up to 3.4) read directly;
    /// other layouts (Blender 5's attribute storage) through `BlendMeshReader.read`.
    private static func positions(
        of mesh: BlendStruct, reader: BlendMeshReader, file: BlendFile, dna: BlendSDNA
    ) throws -> BlendMeshReader.Positions? {
        let count = Int(mesh.integer(["verts_num", "totvert"]) ?? 0)
        guard count > 0, count <= reader.limits.maxElements else { return nil }
        if let pointer = reader.layerData(mesh, ["vert_data", "vdata"], type: BlendMeshReader.cdPropFloat3, named: "position"),
           let block = file.block(at: pointer), block.data.count / 12 >= count {
            return BlendMeshReader.Positions(start: block.data.lowerBound, stride: 12, count: count)
        }
        if let layout = dna.layout(named: "MVert"), let co = layout.fields["co"], co.offset >= 0, layout.size >= co.offset + 12,
           let pointer = reader.layerData(mesh, ["vert_data", "vdata"], type: BlendMeshReader.cdMVert), pointer != 0,
           let block = file.block(at: pointer), block.data.count / layout.size >= count {
            return BlendMeshReader.Positions(start: block.data.lowerBound + co.offset, stride: layout.size, count: count)
        }
        return try reader.read(mesh).positions
    }

    /// Corners per face: face offsets (3.6+) through `BlendMeshReader`, `MPoly.totloop` (up to 3.5) read at its
    /// field offset rather than field by field, which matters on a million faces.
    private static func faceSizes(
        _ mesh: BlendStruct, faces: Int, corners: Int, name: String, reader: BlendMeshReader, file: BlendFile, dna: BlendSDNA
    ) throws -> [Int]? {
        let hasOffsets = (mesh.pointer(["face_offset_indices", "poly_offset_indices"]) ?? 0) != 0
        guard !hasOffsets, let layout = dna.layout(named: "MPoly"), let field = layout.fields["totloop"], field.offset >= 0,
              layout.size >= field.offset + 4,
              let pointer = reader.layerData(mesh, ["face_data", "pdata"], type: BlendMeshReader.cdMPoly), pointer != 0,
              let block = file.block(at: pointer), block.data.count / layout.size >= faces
        else { return try reader.polygonSizes(mesh, faces: faces, corners: corners, name: name) }
        let read = file.read
        var sizes = [Int]()
        sizes.reserveCapacity(faces)
        for face in 0..<faces {
            let size = Int(read.int32(block.data.lowerBound + face * layout.size + field.offset) ?? -1)
            guard size >= 0, size <= corners else {
                throw MeshInspectionError(.malformed, "Mesh \"\(name)\" has a face with an impossible corner count.")
            }
            sizes.append(size)
        }
        return sizes
    }

    private static func cornerVertexLocation(_ layers: [Layer], corners: Int, file: BlendFile, dna: BlendSDNA) -> (start: Int, stride: Int)? {
        if let layer = layers.first(where: { $0.name == ".corner_vert" }), let block = file.block(at: layer.data), block.data.count / 4 >= corners {
            return (block.data.lowerBound, 4)
        }
        if let layout = dna.layout(named: "MLoop"), let field = layout.fields["v"], field.offset >= 0, layout.size >= field.offset + 4,
           let layer = layers.first(where: { $0.type == BlendGeometry.cdMLoop }), let block = file.block(at: layer.data),
           block.data.count / layout.size >= corners {
            return (block.data.lowerBound + field.offset, layout.size)
        }
        return nil
    }

    /// The file's images (viewers and render results left out, as in the counts).
    private static func images(file: BlendFile, dna: BlendSDNA) -> [TextureInfo] {
        var result: [TextureInfo] = []
        let maxItems = Swift.min(file.blocks.count + 1, BlendFile.maxBlocks)
        for block in file.blocks(withCode: "IM") {
            guard let image = BlendStruct.first(in: block, as: "Image", file: file, dna: dna) else { continue }
            let source = image.integer(["source"]) ?? 1
            guard source != BlendReader.imageSourceViewer else { continue }
            let idName = image.nested(["id"], dna: dna)?.string(["name"]).map { String($0.dropFirst(2)) } ?? "image"
            let path = image.string(["filepath", "name"]) ?? ""
            if source == imageSourceGenerated {
                result.append(TextureInfo(name: idName, width: image.int(["gen_x"]), height: image.int(["gen_y"]), missing: false))
                continue
            }
            var packed: UInt64? = image.pointer(["packedfile"]).flatMap { $0 == 0 ? nil : $0 }
            if packed == nil, let list = try? image.list(["packedfiles"], itemType: "ImagePackedFile", dna: dna, maxItems: maxItems) {
                packed = list.lazy.compactMap { $0.pointer(["packedfile"]) }.first { $0 != 0 }
            }
            var info = TextureInfo(name: path.isEmpty ? idName : path, missing: true)
            if let packed, let packedFile = BlendStruct.at(packed, as: "PackedFile", in: file, dna: dna),
               let data = packedFile.pointer(["data"]), let dataBlock = file.block(at: data) {
                info.missing = false
                let size = TextureHeaders.dimensions(UnsafeRawBufferPointer(rebasing: file.bytes[dataBlock.data]))
                info.width = size?.width
                info.height = size?.height
            }
            result.append(info)
        }
        return result
    }
}
