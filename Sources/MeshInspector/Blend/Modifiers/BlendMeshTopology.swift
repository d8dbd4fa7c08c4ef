import Foundation

/// Reads a `Mesh` datablock's full topology for the modifier evaluator, through the SDNA like `BlendMeshReader`:
///
/// | data           | ≤ 3.5                              | 3.6+                                     |
/// |----------------|------------------------------------|------------------------------------------|
/// | positions      | `MVert.co` / `position` layer      | `position` layer                         |
/// | face sizes     | `MPoly.totloop`                    | `face_offset_indices` / `poly_offset_indices` |
/// | corner vertex  | `MLoop.v` (`CD_MLOOP` layer)       | `.corner_vert` int layer                 |
/// | edges          | `MEdge.v1`/`v2` (`CD_MEDGE` layer) | `.edge_verts` int2 layer                 |
///
/// Blender 5's `attribute_storage` is searched for `.corner_vert` and `.edge_verts` as well. Fails (the caller
/// counts the mesh as stored) when a layer is missing, as in pre-2.63 meshes; every index is checked against the vertex count, so a damaged mesh is refused
/// rather than trusted.
struct BlendMeshTopology {
    static let cdMEdge: Int64 = 3
    static let cdMLoop: Int64 = 26
    static let cdPropInt32: Int64 = 11

    let file: BlendFile
    let dna: BlendSDNA
    let limits: InspectionLimits
    let reader: BlendMeshReader

    enum Failure: Error {
        case missing(String)
        case damaged(String)
    }

    func read(_ mesh: BlendStruct, geometry: BlendMeshReader.Geometry, name: String) throws(Failure) -> ModifierMesh {
        let vertices = geometry.vertexCount
        let faces = Int(mesh.integer(["faces_num", "totpoly"]) ?? 0)
        let corners = Int(mesh.integer(["corners_num", "totloop"]) ?? 0)
        let edgeCount = Int(mesh.integer(["edges_num", "totedge"]) ?? 0)
        guard faces >= 0, corners >= 0, edgeCount >= 0, vertices <= limits.maxElements, faces <= limits.maxElements,
              corners <= limits.maxElements, edgeCount <= limits.maxElements else {
            throw .damaged("impossible element counts")
        }
        var result = ModifierMesh()

        if vertices > 0 {
            guard let positions = geometry.positions else { throw .missing("vertex positions") }
            result.positions.reserveCapacity(vertices)
            reader.forEachPosition(positions) { result.positions.append($0) }
            guard result.positions.count == vertices else { throw .damaged("vertex positions cut short") }
        }

        let sizes: [Int]
        do {
            guard let found = try reader.polygonSizes(mesh, faces: faces, corners: corners, name: name) else {
                throw Failure.missing("face sizes")
            }
            sizes = found
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .damaged("face sizes")
        }
        result.faceOffsets.reserveCapacity(faces + 1)
        var total = 0
        for size in sizes {
            guard size >= 3 else { throw .damaged("a face with fewer than three corners") }
            total += size
            guard total <= corners else { throw .damaged("faces using more corners than stored") }
            result.faceOffsets.append(Int32(total))
        }
        guard total == corners else { throw .damaged("faces and corners disagree") }

        if corners > 0 {
            guard let (start, stride) = cornerVertexLocation(mesh, corners: corners) else { throw .missing("corner vertices") }
            result.cornerVertices.reserveCapacity(corners)
            let read = file.read
            for corner in 0..<corners {
                guard let vertex = read.int32(start + corner * stride), vertex >= 0, Int(vertex) < vertices else {
                    throw .damaged("a corner pointing at a missing vertex")
                }
                result.cornerVertices.append(vertex)
            }
        }

        if edgeCount > 0 {
            guard let (start, stride) = edgeLocation(mesh, edges: edgeCount) else { throw .missing("edges") }
            result.edges.reserveCapacity(edgeCount)
            let read = file.read
            for edge in 0..<edgeCount {
                guard let a = read.int32(start + edge * stride), let b = read.int32(start + edge * stride + 4),
                      a >= 0, b >= 0, Int(a) < vertices, Int(b) < vertices, a != b else {
                    throw .damaged("an edge pointing at a missing vertex")
                }
                result.edges.append(SIMD2(a, b))
            }
            result.sharpEdges = sharpEdges(mesh, edges: result.edges)
        }
        return result
    }

    /// First byte and stride of the corners' vertex indices (`.corner_vert`, or `MLoop.v`).
    private func cornerVertexLocation(_ mesh: BlendStruct, corners: Int) -> (Int, Int)? {
        if let pointer = reader.layerData(mesh, ["corner_data", "ldata"], type: Self.cdPropInt32, named: ".corner_vert"),
           let block = file.block(at: pointer), block.data.count / 4 >= corners {
            return (block.data.lowerBound, 4)
        }
        if let pointer = reader.storedAttribute(mesh, named: ".corner_vert"), let block = file.block(at: pointer), block.data.count / 4 >= corners {
            return (block.data.lowerBound, 4)
        }
        if let layout = dna.layout(named: "MLoop"), let field = layout.fields["v"], layout.size >= field.offset + 4,
           let pointer = reader.layerData(mesh, ["corner_data", "ldata"], type: Self.cdMLoop) ?? mesh.pointer(["mloop"]),
           pointer != 0, let block = file.block(at: pointer), block.data.count / layout.size >= corners {
            return (block.data.lowerBound + field.offset, layout.size)
        }
        return nil
    }

    /// First byte and stride of the edges' vertex pairs (`.edge_verts`, or `MEdge.v1`/`v2`, adjacent ints).
    private func edgeLocation(_ mesh: BlendStruct, edges: Int) -> (Int, Int)? {
        if let pointer = namedLayer(mesh, ["edge_data", "edata"], named: ".edge_verts"),
           let block = file.block(at: pointer), block.data.count / 8 >= edges {
            return (block.data.lowerBound, 8)
        }
        if let pointer = reader.storedAttribute(mesh, named: ".edge_verts"), let block = file.block(at: pointer), block.data.count / 8 >= edges {
            return (block.data.lowerBound, 8)
        }
        if let layout = dna.layout(named: "MEdge"), let v1 = layout.fields["v1"], let v2 = layout.fields["v2"],
           v2.offset == v1.offset + 4, layout.size >= v1.offset + 8,
           let pointer = reader.layerData(mesh, ["edge_data", "edata"], type: Self.cdMEdge) ?? mesh.pointer(["medge"]),
           pointer != 0, let block = file.block(at: pointer), block.data.count / layout.size >= edges {
            return (block.data.lowerBound + v1.offset, layout.size)
        }
        return nil
    }

    /// Edges marked sharp: the `sharp_edge` boolean layer (3.5+) or `MEdge.flag & ME_SHARP` (bit 9, checked
    /// against Blender 3.4.1).
    private func sharpEdges(_ mesh: BlendStruct, edges: [SIMD2<Int32>]) -> Set<UInt64> {
        var sharp = Set<UInt64>()
        let read = file.read
        if let pointer = namedLayer(mesh, ["edge_data", "edata"], named: "sharp_edge"), let block = file.block(at: pointer),
           block.data.count >= edges.count {
            for (index, edge) in edges.enumerated() where (read.uint8(block.data.lowerBound + index) ?? 0) != 0 {
                sharp.insert(ModifierMesh.edgeKey(edge.x, edge.y))
            }
            return sharp
        }
        if let layout = dna.layout(named: "MEdge"), let flag = layout.fields["flag"], flag.size == 2,
           let pointer = reader.layerData(mesh, ["edge_data", "edata"], type: Self.cdMEdge) ?? mesh.pointer(["medge"]),
           pointer != 0, let block = file.block(at: pointer), block.data.count / layout.size >= edges.count {
            for (index, edge) in edges.enumerated() {
                let value = read.uint16(block.data.lowerBound + index * layout.size + flag.offset) ?? 0
                if value & (1 << 9) != 0 { sharp.insert(ModifierMesh.edgeKey(edge.x, edge.y)) }
            }
        }
        return sharp
    }

    /// The data of a `CustomData` layer found by name whatever its type number (`.edge_verts` is an int2 layer).
    private func namedLayer(_ mesh: BlendStruct, _ customData: [String], named wanted: String) -> UInt64? {
        guard let data = mesh.nested(customData, dna: dna), let layersPointer = data.pointer(["layers"]),
              let total = data.int(["totlayer"]), total > 0,
              let block = file.block(at: layersPointer), let layout = dna.layout(named: "CustomDataLayer"), layout.size > 0 else {
            return nil
        }
        for index in 0..<Swift.min(total, block.data.count / layout.size) {
            guard let layer = BlendStruct.element(index, in: block, as: layout, file: file),
                  layer.string(["name"]) == wanted, let pointer = layer.pointer(["data"]), pointer != 0 else { continue }
            return pointer
        }
        return nil
    }
}
