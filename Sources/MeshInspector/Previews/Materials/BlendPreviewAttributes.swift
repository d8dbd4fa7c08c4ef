import Foundation

/// What a .blend preview draws beyond positions: each mesh's material slots, the face's material index and the
/// first UV map. A material's colour is its Principled BSDF's Base Color when the node tree has one (with the image
/// linked into it, if that image is packed in the file), otherwise its viewport colour (`Material.r/g/b`).
/// Object-level material slots and images outside the file are not read: those faces keep the mesh material's
/// colour.
struct BlendPreviewAttributes {
    static let cdMLoopUV: Int64 = 16
    static let cdPropFloat2: Int64 = 49
    static let cdMPoly: Int64 = 25

    let layout: PreviewTriangleLayout
    private(set) var materials: [PreviewMaterial] = []
    private let file: BlendFile
    private let dna: BlendSDNA
    private let reader: BlendMeshReader
    /// Index in `materials` of each Material block already read, by its address.
    private var known: [UInt64: Int] = [:]

    init(file: BlendFile, dna: BlendSDNA, meshes: [BlendStruct], reader: BlendMeshReader) {
        self.file = file
        self.dna = dna
        self.reader = reader
        var anyTexture = false
        for mesh in meshes {
            for pointer in Self.slots(of: mesh, file: file) where pointer != 0 && known[pointer] == nil {
                guard materials.count < GLTFPreviewAttributes.maxMaterials,
                      let material = BlendStruct.at(pointer, as: "Material", in: file, dna: dna) else { continue }
                let read = Self.material(material, file: file, dna: dna)
                anyTexture = anyTexture || read.texture != nil
                known[pointer] = materials.count
                materials.append(read)
            }
        }
        layout = PreviewTriangleLayout(
            hasNormals: false, hasTextureCoordinates: anyTexture, hasMaterials: !materials.isEmpty, hasEdgeFlags: true)
    }

    /// `Mesh.mat`: an array of `totcol` Material pointers.
    private static func slots(of mesh: BlendStruct, file: BlendFile) -> [UInt64] {
        guard let count = mesh.int(["totcol"]), count > 0, let array = mesh.pointer(["mat"]),
              let block = file.block(at: array) else { return [] }
        let size = file.header.pointerSize
        return (0..<Swift.min(count, block.data.count / size, 32_767)).map { file.read.pointer(block.data.lowerBound + $0 * size) ?? 0 }
    }

    private static func material(_ material: BlendStruct, file: BlendFile, dna: BlendSDNA) -> PreviewMaterial {
        var result = PreviewMaterial(baseColor: SIMD3(
            material.floats(["r"])?.first ?? 0.8, material.floats(["g"])?.first ?? 0.8, material.floats(["b"])?.first ?? 0.8))
        result.baseColor = PreviewMaterial.linear(Double(result.baseColor.x), Double(result.baseColor.y), Double(result.baseColor.z))
        guard material.integer(["use_nodes"]) != 0, let treePointer = material.pointer(["nodetree"]),
              let tree = BlendStruct.at(treePointer, as: "bNodeTree", in: file, dna: dna),
              let nodes = try? tree.list(["nodes"], itemType: "bNode", dna: dna, maxItems: 4096),
              let principled = nodes.first(where: { $0.string(["idname"]) == "ShaderNodeBsdfPrincipled" }),
              let inputs = try? principled.list(["inputs"], itemType: "bNodeSocket", dna: dna, maxItems: 256),
              let baseColour = inputs.first(where: { $0.string(["identifier"]) == "Base Color" || $0.string(["name"]) == "Base Color" })
        else { return result }
        if let value = baseColour.pointer(["default_value"]).flatMap({ BlendStruct.at($0, as: "bNodeSocketValueRGBA", in: file, dna: dna) }),
           let rgba = value.floats(["value"]), rgba.count >= 3 {
            result.baseColor = PreviewMaterial.linear(Double(rgba[0]), Double(rgba[1]), Double(rgba[2]))
        }
        // An image texture node linked into Base Color, its image packed into the file.
        let links = (try? tree.list(["links"], itemType: "bNodeLink", dna: dna, maxItems: 16_384)) ?? []
        for link in links {
            guard let target = link.pointer(["tosock"]), file.block(at: target)?.data.lowerBound == baseColour.start,
                  let from = link.pointer(["fromnode"]).flatMap({ BlendStruct.at($0, as: "bNode", in: file, dna: dna) }),
                  from.string(["idname"]) == "ShaderNodeTexImage",
                  let image = from.pointer(["id"]).flatMap({ BlendStruct.at($0, as: "Image", in: file, dna: dna) }),
                  let texture = packedImage(image, file: file, dna: dna) else { continue }
            result.texture = texture
            result.baseColor = SIMD3(repeating: 1)
            break
        }
        return result
    }

    /// `Image.packedfile`, or the first of `Image.packedfiles` (2.83+), decoded.
    private static func packedImage(_ image: BlendStruct, file: BlendFile, dna: BlendSDNA) -> PreviewTexture? {
        var packed = image.pointer(["packedfile"]).flatMap { BlendStruct.at($0, as: "PackedFile", in: file, dna: dna) }
        if packed == nil, let first = (try? image.list(["packedfiles"], itemType: "ImagePackedFile", dna: dna, maxItems: 64))?.first {
            packed = first.pointer(["packedfile"]).flatMap { BlendStruct.at($0, as: "PackedFile", in: file, dna: dna) }
        }
        guard let packed, let size = packed.int(["size"]), size > 0, let data = packed.pointer(["data"]),
              let block = file.block(at: data), block.data.count >= size else { return nil }
        return PreviewTextureDecoder.decode(UnsafeRawBufferPointer(rebasing: file.bytes[block.data.lowerBound..<(block.data.lowerBound + size)]))
    }

    /// `fanFaces` holds, per fan triangle, its three corner indices and its face index.
    func writer(for mesh: BlendStruct, faces fanFaces: [UInt32]) -> Writer {
        guard layout.hasMaterials || layout.hasTextureCoordinates else {
            return Writer(layout: layout, read: file.read, fanFaces: fanFaces, slots: [], materialIndex: nil, uv: nil)
        }
        let slots = Self.slots(of: mesh, file: file).map { known[$0].map(UInt32.init) ?? UInt32.max }
        let faces = mesh.int(["faces_num", "totpoly"]) ?? 0
        let corners = mesh.int(["corners_num", "totloop"]) ?? 0
        var materialIndex: (start: Int, stride: Int, size: Int)?
        if let pointer = reader.layerData(mesh, ["face_data", "pdata"], type: BlendGeometry.cdPropInt32, named: "material_index"),
           let block = file.block(at: pointer), block.data.count / 4 >= faces {
            materialIndex = (block.data.lowerBound, 4, 4)
        } else if let layout = dna.layout(named: "MPoly"), let field = layout.fields["mat_nr"], field.offset >= 0,
                  layout.size >= field.offset + 2, let pointer = reader.layerData(mesh, ["face_data", "pdata"], type: Self.cdMPoly),
                  let block = file.block(at: pointer), block.data.count / layout.size >= faces {
            materialIndex = (block.data.lowerBound + field.offset, layout.size, 2)
        }
        var uv: (start: Int, stride: Int)?
        if layout.hasTextureCoordinates {
            if let pointer = reader.layerData(mesh, ["corner_data", "ldata"], type: Self.cdMLoopUV),
               let block = file.block(at: pointer), block.data.count / 12 >= corners {
                uv = (block.data.lowerBound, 12)
            } else if let pointer = reader.layerData(mesh, ["corner_data", "ldata"], type: Self.cdPropFloat2),
                      let block = file.block(at: pointer), block.data.count / 8 >= corners {
                uv = (block.data.lowerBound, 8)
            }
        }
        return Writer(layout: layout, read: file.read, fanFaces: fanFaces, slots: slots, materialIndex: materialIndex, uv: uv)
    }

    struct Writer {
        let layout: PreviewTriangleLayout
        var read: BlendPrimitiveReader?
        var fanFaces: [UInt32] = []
        var slots: [UInt32] = []
        var materialIndex: (start: Int, stride: Int, size: Int)?
        var uv: (start: Int, stride: Int)?

        init(layout: PreviewTriangleLayout) { self.layout = layout }

        init(layout: PreviewTriangleLayout, read: BlendPrimitiveReader, fanFaces: [UInt32], slots: [UInt32],
             materialIndex: (start: Int, stride: Int, size: Int)?, uv: (start: Int, stride: Int)?) {
            self.layout = layout
            self.read = read
            self.fanFaces = fanFaces
            self.slots = slots
            self.materialIndex = materialIndex
            self.uv = uv
        }

        @inline(__always)
        func append(_ a: SIMD3<Float>, _ b: SIMD3<Float>, _ c: SIMD3<Float>, triangle: Int, to values: inout [Float]) {
            guard layout.width > 9, let read, triangle * 4 + 3 < fanFaces.count else {
                return TriangleSubset<Float>.append(a, b, c, to: &values)
            }
            let face = Int(fanFaces[triangle * 4 + 3])
            var slot = 0
            if let materialIndex {
                let offset = materialIndex.start + face * materialIndex.stride
                slot = Int(materialIndex.size == 4 ? read.int32(offset) ?? 0 : Int32(read.int16(offset) ?? 0))
            }
            // Blender clamps a material index past the last slot to the last slot.
            let material = slots.isEmpty ? UInt32.max : slots[Swift.min(Swift.max(slot, 0), slots.count - 1)]
            var coordinates: (SIMD2<Float>, SIMD2<Float>, SIMD2<Float>)?
            if let uv {
                func coordinate(_ k: Int) -> SIMD2<Float> {
                    let offset = uv.start + Int(fanFaces[triangle * 4 + k]) * uv.stride
                    // Blender's UVs have v up the image; previews follow glTF, v down.
                    return SIMD2(read.float(offset) ?? .nan, 1 - (read.float(offset + 4) ?? .nan))
                }
                coordinates = (coordinate(0), coordinate(1), coordinate(2))
            }
            // Fan corners (start, start + k + 1, start + k + 2): the edge from the first corner is inside the face unless
            // k is 0, the edge back to it unless this is the face's last fan triangle.
            let sameFaceNext = triangle * 4 + 7 < fanFaces.count && Int(fanFaces[triangle * 4 + 7]) == face
            let edges: UInt32 = (fanFaces[triangle * 4 + 1] &- fanFaces[triangle * 4] > 1 ? 1 : 0) | (sameFaceNext ? 4 : 0)
            layout.append(a, b, c, normals: nil, coordinates: coordinates, material: material, edges: edges, to: &values)
        }
    }
}
