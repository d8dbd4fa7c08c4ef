import Foundation

/// The meshes, placements and images of a glTF 2.0 file for the quality checks, read with the same document,
/// buffer store and scene graph as the counts (`GLTFDocument`, `GLTFBufferStore`, `GLTFSceneGraph`).
///
/// As Blender's importer does, each glTF mesh becomes one mesh of all its primitives; triangle strips alternate
/// their winding so neighbours stay consistent; triangles repeating an index are dropped (`Mesh.validate()`);
/// lines become edges and points loose vertices. UVs are turned to Blender's convention (v → 1 − v) so UDIM tiles
/// read the same as in Blender. Primitives whose data cannot be read (Draco, meshopt, missing buffers) are left out.
enum GLTFQuality {
    static func sceneFromGLB(_ data: Data, limits: InspectionLimits) throws -> QualityScene {
        let (json, binary) = try data.withUnsafeBytes { try GLTFReader.glbChunks($0) }
        return try scene(
            json: ByteRegion(storage: data, range: json), binary: binary.map { ByteRegion(storage: data, range: $0) },
            resources: .none, limits: limits)
    }

    static func sceneFromJSON(_ data: Data, resources: SceneResources, limits: InspectionLimits) throws -> QualityScene {
        try scene(json: ByteRegion(storage: data, range: 0..<data.count), binary: nil, resources: resources, limits: limits)
    }

    private static func scene(
        json: ByteRegion, binary: ByteRegion?, resources: SceneResources, limits: InspectionLimits
    ) throws -> QualityScene {
        let root = try json.withBytes { try JSONScanner.parse($0, maxDepth: limits.maxDepth) }
        let text = { (value: JSONText) throws -> String in try json.withBytes { try JSONScanner.string(value, in: $0) } }
        let document = try GLTFDocument(root, text: text)
        var buffers = GLTFBufferStore(document: document, json: json, binaryChunk: binary, resources: resources, limits: limits)
        let instances = try GLTFSceneGraph.meshInstances(document, maxDepth: limits.maxDepth)

        var scene = QualityScene()
        scene.keepsPolygons = false
        scene.metresPerUnit = 1
        var meshSlot: [Int: Int] = [:]
        var budget = MeshBudget(limits: limits)
        let rawMeshes = root["meshes"]?.arrayValue ?? []
        for instance in instances where instance.mesh < document.meshes.count {
            let slot: Int
            if let known = meshSlot[instance.mesh] {
                slot = known
            } else {
                let attributes = (rawMeshes[safe: instance.mesh]?["primitives"]?.arrayValue ?? []).map { $0["attributes"] }
                let mesh = try readMesh(
                    document.meshes[instance.mesh], attributes: attributes, document: document, buffers: &buffers,
                    text: text, budget: &budget)
                slot = scene.meshes.count
                scene.meshes.append(mesh)
                meshSlot[instance.mesh] = slot
            }
            // A skinned mesh ignores its node's transform; its joints place it.
            let world = instance.skin == nil ? instance.world : [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]
            scene.placements.append(QualityPlacement(mesh: slot, world: affine(columnMajor: world)))
        }
        scene.textures = try images(root, document: document, buffers: &buffers, resources: resources, text: text)
        return scene
    }

    static func affine(columnMajor m: [Double]) -> AffineTransform {
        AffineTransform(rows: [SIMD4(m[0], m[4], m[8], m[12]), SIMD4(m[1], m[5], m[9], m[13]), SIMD4(m[2], m[6], m[10], m[14])])
    }

    private static func readMesh(
        _ mesh: GLTFDocument.Mesh, attributes: [JSONValue?], document: GLTFDocument, buffers: inout GLTFBufferStore,
        text: (JSONText) throws -> String, budget: inout MeshBudget
    ) throws -> QualityMesh {
        var result = QualityMesh()
        result.pointVertices = []
        // Vertices of a POSITION accessor already added to this mesh: primitives sharing one share its vertices.
        var baseOfAccessor: [Int: Int] = [:]
        var uvSets: [[Float]] = []
        for (primitiveIndex, primitive) in mesh.primitives.enumerated() {
            guard !primitive.isDracoCompressed, let positionIndex = primitive.position,
                  positionIndex < document.accessors.count else { continue }
            let accessor = document.accessors[positionIndex]
            guard accessor.componentCount == 3, !accessor.isSparse, let componentSize = gltfComponentSize(accessor.componentType),
                  case .success(let layout?) = try buffers.layout(ofAccessor: positionIndex, elementSize: componentSize * 3)
            else { continue }
            let vertexCount = layout.count
            let base: Int
            if let known = baseOfAccessor[positionIndex] {
                base = known
            } else {
                try budget.take(vertexCount * 3)
                base = result.vertexCount
                baseOfAccessor[positionIndex] = base
                let reader = PositionReader(layout: layout, componentType: accessor.componentType, normalized: accessor.normalized)
                let identity = PreviewTransform(columnMajor: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
                result.positions.reserveCapacity(result.positions.count + vertexCount * 3)
                layout.region.withBytes { bytes in
                    for v in 0..<vertexCount {
                        let p = reader.point(v, bytes, identity)
                        result.positions.append(p.x); result.positions.append(p.y); result.positions.append(p.z)
                    }
                }
            }
            let attributeObject = attributes[safe: primitiveIndex] ?? nil
            if attributeObject?["NORMAL"] != nil { result.hasNormals = true }
            if attributeObject?["COLOR_0"] != nil { result.hasVertexColors = true }

            // The primitive's corners, as indices into its POSITION accessor.
            var local: [UInt32] = []
            if let indicesIndex = primitive.indices {
                let (indexAccessor, indexSize) = try document.indexAccessor(indicesIndex)
                guard !indexAccessor.isSparse,
                      case .success(let indexLayout?) = try buffers.layout(ofAccessor: indicesIndex, elementSize: indexSize)
                else { continue }
                try budget.take(indexLayout.count)
                local.reserveCapacity(indexLayout.count)
                indexLayout.region.withBytes { bytes in
                    for i in 0..<indexLayout.count {
                        let offset = indexLayout.offset + i * indexLayout.stride
                        let value: UInt32 = switch indexSize {
                        case 1: UInt32(bytes[offset])
                        case 2: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
                        default: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                        }
                        local.append(value)
                    }
                }
                guard local.allSatisfy({ Int($0) < vertexCount }) else {
                    throw MeshInspectionError(.malformed, "A primitive uses a vertex its POSITION accessor does not have.")
                }
            } else {
                try budget.take(vertexCount)
                local = (0..<UInt32(truncatingIfNeeded: vertexCount)).map { $0 }
            }

            let firstCorner = result.corners.count
            switch primitive.mode {
            case 4, 5, 6:
                let triangles = primitive.mode == 4 ? local.count / 3 : Swift.max(0, local.count - 2)
                for t in 0..<triangles {
                    let (a, b, c): (UInt32, UInt32, UInt32) = switch primitive.mode {
                    case 4: (local[t * 3], local[t * 3 + 1], local[t * 3 + 2])
                    case 5: t % 2 == 0 ? (local[t], local[t + 1], local[t + 2]) : (local[t + 1], local[t], local[t + 2])
                    default: (local[0], local[t + 1], local[t + 2])
                    }
                    guard a != b, b != c, a != c else { continue }
                    result.faceSizes.append(3)
                    result.corners.append(UInt32(base) + a)
                    result.corners.append(UInt32(base) + b)
                    result.corners.append(UInt32(base) + c)
                }
            case 1, 2, 3:
                let segments = primitive.mode == 1 ? local.count / 2 : Swift.max(0, local.count - 1) + (primitive.mode == 2 && local.count > 2 ? 1 : 0)
                for s in 0..<segments {
                    let (a, b) = primitive.mode == 1 ? (local[s * 2], local[s * 2 + 1]) : (local[s], local[(s + 1) % local.count])
                    result.edges.append(UInt32(base) + a)
                    result.edges.append(UInt32(base) + b)
                }
            case 0:
                for v in local { result.pointVertices?.append(UInt32(base) + v) }
            default:
                continue
            }

            // UVs per corner of the faces just added (Blender's v runs the other way).
            let addedCorners = result.corners.count - firstCorner
            guard addedCorners > 0, let attributeObject, case .object(let members) = attributeObject else { continue }
            for (key, value) in members where key.hasPrefix("TEXCOORD_") {
                guard let set = Int(key.dropFirst(9)), set >= 0, set < 8, let uvAccessorIndex = value.indexValue,
                      uvAccessorIndex < document.accessors.count else { continue }
                while uvSets.count <= set { uvSets.append([Float](repeating: 0, count: firstCorner * 2)) }
                let uvAccessor = document.accessors[uvAccessorIndex]
                guard uvAccessor.componentCount == 2, !uvAccessor.isSparse, let size = gltfComponentSize(uvAccessor.componentType),
                      case .success(let uvLayout?) = try buffers.layout(ofAccessor: uvAccessorIndex, elementSize: size * 2),
                      uvLayout.count >= vertexCount else { continue }
                uvSets[set].reserveCapacity(result.corners.count * 2)
                uvSets[set].append(contentsOf: repeatElement(0, count: firstCorner * 2 - uvSets[set].count))
                uvLayout.region.withBytes { bytes in
                    for corner in firstCorner..<result.corners.count {
                        let vertex = Int(result.corners[corner]) - base
                        let offset = uvLayout.offset + vertex * uvLayout.stride
                        let u = component(bytes, offset, uvAccessor.componentType, uvAccessor.normalized)
                        let v = component(bytes, offset + size, uvAccessor.componentType, uvAccessor.normalized)
                        uvSets[set].append(u)
                        uvSets[set].append(1 - v)
                    }
                }
            }
            // Sets this primitive lacks read as 0, 0 in Blender.
            for set in uvSets.indices where uvSets[set].count < result.corners.count * 2 {
                uvSets[set].append(contentsOf: repeatElement(0, count: result.corners.count * 2 - uvSets[set].count))
            }
        }
        for set in uvSets.indices where uvSets[set].count < result.corners.count * 2 {
            uvSets[set].append(contentsOf: repeatElement(0, count: result.corners.count * 2 - uvSets[set].count))
        }
        result.uvSets = uvSets
        return result
    }

    @inline(__always)
    private static func component(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _ type: Int, _ normalized: Bool) -> Float {
        switch type {
        case 5126: return bytes.loadUnaligned(fromByteOffset: offset, as: Float.self)
        case 5121: return Float(bytes[offset]) / (normalized ? 255 : 1)
        case 5123: return Float(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))) / (normalized ? 65535 : 1)
        case 5120: return max(Float(Int8(bitPattern: bytes[offset])) / (normalized ? 127 : 1), normalized ? -1 : -.infinity)
        case 5122: return max(Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int16.self))) / (normalized ? 32767 : 1), normalized ? -1 : -.infinity)
        default: return 0
        }
    }

    /// Every image of the document, its size read from its header wherever its bytes are: the GLB's binary chunk, a
    /// data: URI, or a file of the zip bundle. An external file that is not there is missing.
    private static func images(
        _ root: JSONValue, document: GLTFDocument, buffers: inout GLTFBufferStore, resources: SceneResources,
        text: (JSONText) throws -> String
    ) throws -> [TextureInfo] {
        var result: [TextureInfo] = []
        for (index, image) in (root["images"]?.arrayValue ?? []).enumerated() {
            let uri = try image["uri"]?.textValue.map(text)
            let name = try image["name"]?.textValue.map(text)
            var info = TextureInfo(name: name ?? uri.map { String($0.prefix(200)) } ?? "image \(index)", missing: false)
            var size: (width: Int, height: Int)?
            if let viewIndex = image["bufferView"]?.indexValue {
                if viewIndex < document.bufferViews.count, case .available(let region) = try buffers.buffer(document.bufferViews[viewIndex].buffer) {
                    let view = document.bufferViews[viewIndex]
                    let end = Swift.min(region.range.count, view.byteOffset + Swift.min(view.byteLength, region.range.count))
                    if view.byteOffset < end {
                        size = region.withBytes { TextureHeaders.dimensions(UnsafeRawBufferPointer(rebasing: $0[view.byteOffset..<end])) }
                    }
                }
            } else if let uri {
                if uri.lowercased().hasPrefix("data:") {
                    let bytes = Array(uri.utf8)
                    if let decoded = try? bytes.withUnsafeBytes({ try URIDecoding.dataURIPayload($0, limit: 64 << 20) }) {
                        size = decoded.withUnsafeBytes { TextureHeaders.dimensions($0) }
                    }
                    if name == nil { info.name = "embedded image \(index)" }
                } else if let path = URIDecoding.percentDecoded(uri), let data = try resources.data(forReference: path) {
                    size = TextureHeaders.dimensions(data)
                } else {
                    info.missing = true
                }
            }
            info.width = size?.width
            info.height = size?.height
            result.append(info)
        }
        return result
    }
}

/// Caps the elements all extracted meshes of one file hold together, so a small file cannot make the quality pass
/// allocate without bound (the same mesh placed many times is read once anyway).
struct MeshBudget {
    private var remaining: Int

    init(limits: InspectionLimits) {
        remaining = limits.maxElements
    }

    mutating func take(_ elements: Int) throws {
        guard elements >= 0, elements <= remaining else {
            throw MeshInspectionError(.limitExceeded, "The file's meshes hold more than the \(remaining) elements the quality check reads.")
        }
        remaining -= elements
    }
}
