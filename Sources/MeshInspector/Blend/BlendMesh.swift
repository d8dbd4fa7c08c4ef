import Foundation

/// Counts of one `Mesh` datablock and where its vertex positions are, read through the file's SDNA so the same
/// code follows every layout from 2.80 to 4.x:
///
/// | data            | 2.80–3.5                      | 3.6                    | 4.0                  | 4.1+                  |
/// |-----------------|-------------------------------|------------------------|----------------------|-----------------------|
/// | counts          | `totvert` `totpoly` `totloop` | same                   | `totvert` `faces_num` `totloop` | `verts_num` `faces_num` `corners_num` |
/// | positions       | `CD_MVERT` layer (≤3.4) or `position` float3 layer in `vdata` | `position` | in `vert_data` | same |
/// | polygon sizes   | `CD_MPOLY` layer in `pdata` (`loopstart`, `totloop`) | `poly_offset_indices` | `face_offset_indices` | same |
///
/// Blender 5 moved generic attributes (positions included) into `attribute_storage`; that is read as well.
/// Counts are of the mesh as stored; objects with modifiers are evaluated on top of this by
/// `BlendObjectEvaluation` (Modifiers/), which reads the full topology through `BlendMeshTopology`.
struct BlendMeshReader {
    static let cdMVert: Int64 = 0
    static let cdMFace: Int64 = 4
    static let cdMPoly: Int64 = 25
    static let cdPropFloat3: Int64 = 48
    /// `bke::AttrType::Float3` and `AttrDomain::Point` in Blender 5's attribute storage.
    static let attributeFloat3: Int64 = 7
    static let attributeDomainPoint: Int64 = 0

    struct Positions {
        var start: Int
        var stride: Int
        var count: Int
    }

    struct Geometry {
        var vertexCount = 0
        var polygonCount = 0
        var triangleCount = 0
        var positions: Positions?
        var warnings: [String] = []
    }

    let file: BlendFile
    let dna: BlendSDNA
    let limits: InspectionLimits

    func read(_ mesh: BlendStruct) throws -> Geometry {
        let name = mesh.nested(["id"], dna: dna)?.string(["name"]).map { String($0.dropFirst(2)) } ?? "mesh"
        var geometry = Geometry()
        let vertices = try count(mesh, ["verts_num", "totvert"], "vertices", name)
        let faces = try count(mesh, ["faces_num", "totpoly"], "faces", name)
        let corners = try count(mesh, ["corners_num", "totloop"], "face corners", name)
        geometry.vertexCount = vertices
        geometry.polygonCount = faces
        if faces == 0, let legacy = try legacyFaces(mesh, name: name) {
            // Before 2.63 meshes stored only triangles and quads (`MFace`); Blender turns each into a polygon.
            geometry.polygonCount = legacy.faces
            geometry.triangleCount = legacy.triangles
            geometry.positions = try positions(mesh, vertices: vertices, name: name)
            return geometry
        }

        if let sizes = try polygonSizes(mesh, faces: faces, corners: corners, name: name) {
            var triangles = 0
            var total = 0
            for size in sizes where size >= 3 {
                triangles += size - 2
            }
            for size in sizes { total += size }
            geometry.triangleCount = triangles
            if total != corners {
                geometry.warnings.append("Mesh \"\(name)\": its faces use \(total) corners but it declares \(corners).")
            }
        } else {
            // Σ(n−2) = corners − 2·faces for any valid mesh, the figure Blender's statistics use.
            geometry.triangleCount = Swift.max(corners - 2 * faces, 0)
            if faces > 0 {
                geometry.warnings.append("Mesh \"\(name)\": face sizes not found; triangles computed from the corner count.")
            }
        }

        geometry.positions = try positions(mesh, vertices: vertices, name: name)
        if geometry.positions == nil, vertices > 0 {
            // Every vertex needs twelve bytes of position somewhere in the file.
            guard vertices <= file.bytes.count / 12 else {
                throw MeshInspectionError(.malformed, "Mesh \"\(name)\" declares \(vertices) vertices, more than the file could hold.")
            }
            geometry.warnings.append("Mesh \"\(name)\": vertex positions not found, so it is left out of the bounding box.")
        }
        return geometry
    }

    private func count(_ mesh: BlendStruct, _ names: [String], _ what: String, _ name: String) throws -> Int {
        guard let value = mesh.integer(names) else { return 0 }
        guard value >= 0 else {
            throw MeshInspectionError(.malformed, "Mesh \"\(name)\" declares a negative number of \(what) (\(value)).")
        }
        guard value <= Int64(limits.maxElements) else {
            throw MeshInspectionError(.limitExceeded, "Mesh \"\(name)\" declares \(value) \(what), more than the \(limits.maxElements) allowed.")
        }
        return Int(value)
    }

    /// Corners per face, from face offsets (3.6+) or `MPoly` records (≤3.5); nil when the file has neither.
    func polygonSizes(_ mesh: BlendStruct, faces: Int, corners: Int, name: String) throws -> [Int]? {
        guard faces > 0 else { return [] }
        if let pointer = mesh.pointer(["face_offset_indices", "poly_offset_indices"]), pointer != 0 {
            guard let block = file.block(at: pointer), block.data.count / 4 >= faces + 1 else {
                throw MeshInspectionError(.malformed, "Mesh \"\(name)\" declares \(faces) faces but its face offsets are missing or short.")
            }
            var sizes: [Int] = []
            sizes.reserveCapacity(faces)
            var previous = Int(file.read.int32(block.data.lowerBound) ?? 0)
            for i in 1...faces {
                let next = Int(file.read.int32(block.data.lowerBound + i * 4) ?? -1)
                guard next >= previous, next <= corners else {
                    throw MeshInspectionError(.malformed, "Mesh \"\(name)\" has face offsets that go backwards or past its corners.")
                }
                sizes.append(next - previous)
                previous = next
            }
            return sizes
        }
        let pointer = layerData(mesh, ["face_data", "pdata"], type: Self.cdMPoly) ?? mesh.pointer(["mpoly"]) ?? 0
        guard pointer != 0, let layout = dna.layout(named: "MPoly") else { return nil }
        guard let block = file.block(at: pointer), layout.size > 0, block.data.count / layout.size >= faces else {
            throw MeshInspectionError(.malformed, "Mesh \"\(name)\" declares \(faces) faces but stores fewer.")
        }
        var sizes: [Int] = []
        sizes.reserveCapacity(faces)
        for i in 0..<faces {
            guard let record = BlendStruct.element(i, in: block, as: layout, file: file),
                  let size = record.int(["totloop"]), size >= 0, size <= corners else {
                throw MeshInspectionError(.malformed, "Mesh \"\(name)\" has a face with an impossible corner count.")
            }
            sizes.append(size)
        }
        return sizes
    }

    /// Pre-2.63 `MFace` records (`v1`…`v4`, a triangle when `v4` is 0), from `fdata` or the `mface` pointer.
    private func legacyFaces(_ mesh: BlendStruct, name: String) throws -> (faces: Int, triangles: Int)? {
        let count = try self.count(mesh, ["totface_legacy", "totface"], "legacy faces", name)
        guard count > 0, let layout = dna.layout(named: "MFace"), layout.size > 0,
              let pointer = layerData(mesh, ["fdata_legacy", "fdata"], type: Self.cdMFace) ?? mesh.pointer(["mface"]), pointer != 0 else {
            return nil
        }
        guard let block = file.block(at: pointer), block.data.count / layout.size >= count else {
            throw MeshInspectionError(.malformed, "Mesh \"\(name)\" declares \(count) faces but stores fewer.")
        }
        var triangles = 0
        for i in 0..<count {
            let quad = BlendStruct.element(i, in: block, as: layout, file: file)?.integer(["v4"]).map { $0 != 0 } ?? false
            triangles += quad ? 2 : 1
        }
        return (count, triangles)
    }

    private func positions(_ mesh: BlendStruct, vertices: Int, name: String) throws -> Positions? {
        guard vertices > 0 else { return nil }
        func checked(_ pointer: UInt64, stride: Int, offset: Int) throws -> Positions {
            guard let block = file.block(at: pointer), stride >= 12, offset >= 0, offset + 12 <= stride,
                  block.data.count / stride >= vertices else {
                throw MeshInspectionError(.malformed, "Mesh \"\(name)\" declares \(vertices) vertices but stores fewer positions.")
            }
            return Positions(start: block.data.lowerBound + offset, stride: stride, count: vertices)
        }
        if let pointer = layerData(mesh, ["vert_data", "vdata"], type: Self.cdPropFloat3, named: "position") {
            return try checked(pointer, stride: 12, offset: 0)
        }
        if let layout = dna.layout(named: "MVert"), let co = layout.fields["co"],
           let pointer = layerData(mesh, ["vert_data", "vdata"], type: Self.cdMVert) ?? mesh.pointer(["mvert"]), pointer != 0 {
            return try checked(pointer, stride: layout.size, offset: co.offset)
        }
        if let pointer = storedAttribute(mesh, named: "position", pointFloat3: true) {
            return try checked(pointer, stride: 12, offset: 0)
        }
        return nil
    }

    /// The data pointer of the first `CustomData` layer of `type` (and name, if given).
    func layerData(_ mesh: BlendStruct, _ customData: [String], type: Int64, named wanted: String? = nil) -> UInt64? {
        guard let data = mesh.nested(customData, dna: dna), let layersPointer = data.pointer(["layers"]),
              let total = data.int(["totlayer"]), total > 0,
              let block = file.block(at: layersPointer), let layout = dna.layout(named: "CustomDataLayer"), layout.size > 0 else {
            return nil
        }
        for index in 0..<Swift.min(total, block.data.count / layout.size) {
            guard let layer = BlendStruct.element(index, in: block, as: layout, file: file),
                  layer.integer(["type"]) == type else { continue }
            if let wanted, layer.string(["name"]) != wanted { continue }
            if let pointer = layer.pointer(["data"]), pointer != 0 { return pointer }
        }
        return nil
    }

    /// Blender 5's `attribute_storage`: an array of `Attribute { name*, data_type, domain, storage_type, data* }`,
    /// `data` pointing at an `AttributeArray { data*, size }` for stored arrays. `pointFloat3` asks for a float3
    /// attribute on points (positions); the topology arrays (`.corner_vert`, `.edge_verts`) are found by name alone.
    /// The caller checks the array is long enough.
    func storedAttribute(_ mesh: BlendStruct, named wanted: String, pointFloat3: Bool = false) -> UInt64? {
        guard let storage = mesh.nested(["attribute_storage"], dna: dna),
              let arrayPointer = storage.pointer(["dna_attributes"]), let total = storage.int(["dna_attributes_num"]), total > 0,
              let block = file.block(at: arrayPointer), let layout = dna.layout(named: "Attribute"), layout.size > 0 else {
            return nil
        }
        for index in 0..<Swift.min(total, block.data.count / layout.size) {
            guard let attribute = BlendStruct.element(index, in: block, as: layout, file: file),
                  !pointFloat3 || attribute.integer(["data_type"]) == Self.attributeFloat3,
                  !pointFloat3 || attribute.integer(["domain"]) == Self.attributeDomainPoint,
                  attribute.integer(["storage_type"]) == 0,
                  let namePointer = attribute.pointer(["name"]), let nameBlock = file.block(at: namePointer),
                  cString(nameBlock) == wanted,
                  let holder = attribute.pointer(["data"]).flatMap({ BlendStruct.at($0, as: "AttributeArray", in: file, dna: dna) }),
                  let data = holder.pointer(["data"]), data != 0 else { continue }
            return data
        }
        return nil
    }

    private func cString(_ block: BlendFile.Block) -> String {
        var end = block.data.lowerBound
        while end < block.data.upperBound, file.bytes[end] != 0 { end += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: file.bytes[block.data.lowerBound..<end]), as: UTF8.self)
    }

    /// Calls `body` with every vertex position (file units, object space).
    func forEachPosition(_ positions: Positions, _ body: (SIMD3<Double>) -> Void) {
        let read = file.read
        for i in 0..<positions.count {
            let base = positions.start + i * positions.stride
            guard let x = read.float(base), let y = read.float(base + 4), let z = read.float(base + 8) else { return }
            body(SIMD3(Double(x), Double(y), Double(z)))
        }
    }
}
