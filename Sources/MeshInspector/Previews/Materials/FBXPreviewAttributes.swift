import Foundation

/// What an FBX preview draws beyond positions: each model's materials (`DiffuseColor`, and the texture connected
/// to it when its image is embedded in the file as a `Video`'s `Content`), the per-polygon material layer and the
/// first UV layer. Textures only referenced by file name are not in an FBX upload, so those materials keep their
/// colour. Unreadable layers leave the triangles clay or untextured rather than failing the preview.
struct FBXPreviewAttributes {
    let layout: PreviewTriangleLayout
    private(set) var materials: [PreviewMaterial] = []
    /// For each model, its material slots in connection order, as indices into `materials`.
    private var slotsOfModel: [String: [Int]] = [:]

    /// The layers of one geometry a writer needs.
    struct Layers {
        var polygonMaterials: [Int32]?
        var allSame = false
        var uv: [Double]?
        var uvIndices: [Int32]?
        var uvByPolygonVertex = true
    }

    init(_ document: FBXDocument, bytes: UnsafeRawBufferPointer) {
        var materialKeys: [String: Int] = [:]
        var materialNodes: [FBXNode] = []
        var textures: [String: FBXNode] = [:]
        var videos: [String: FBXNode] = [:]
        for object in document.root("Objects")?.children ?? [] {
            guard let key = object.property(0)?.objectKey else { continue }
            switch object.name {
            case "Material" where materialNodes.count < GLTFPreviewAttributes.maxMaterials:
                materialKeys[key] = materialNodes.count
                materialNodes.append(object)
            case "Texture": textures[key] = object
            case "Video": videos[key] = object
            default: break
            }
        }
        var textureOfMaterial: [Int: String] = [:]
        var videoOfTexture: [String: String] = [:]
        for connection in document.root("Connections")?.children ?? [] where connection.name == "C" {
            guard let child = connection.property(1)?.objectKey, let parent = connection.property(2)?.objectKey else { continue }
            if let material = materialKeys[child] {
                slotsOfModel[parent, default: []].append(material)
            } else if textures[child] != nil, let material = materialKeys[parent] {
                let slot = connection.property(3)?.stringValue ?? ""
                if slot == "DiffuseColor" || slot == "Diffuse" { textureOfMaterial[material] = child }
            } else if videos[child] != nil, textures[parent] != nil {
                videoOfTexture[parent] = child
            }
        }
        var decoded: [String: PreviewTexture?] = [:]
        for (index, node) in materialNodes.enumerated() {
            let table = node.propertyTable()
            let diffuse = table["DiffuseColor"] ?? table["Diffuse"] ?? []
            var material = PreviewMaterial(baseColor: SIMD3(repeating: 1))
            if diffuse.count >= 3, let r = diffuse[0].doubleValue, let g = diffuse[1].doubleValue, let b = diffuse[2].doubleValue {
                material.baseColor = PreviewMaterial.linear(r, g, b)
            }
            if let texture = textureOfMaterial[index], let video = videoOfTexture[texture], let node = videos[video] {
                if decoded[video] == nil { decoded[video] = Self.embeddedImage(node, bytes: bytes) }
                if let image = decoded[video] ?? nil {
                    material.texture = image
                    material.baseColor = SIMD3(repeating: 1)
                }
            }
            materials.append(material)
        }
        let anyTexture = materials.contains { $0.texture != nil }
        layout = PreviewTriangleLayout(
            hasNormals: false, hasTextureCoordinates: anyTexture, hasMaterials: !materials.isEmpty, hasEdgeFlags: true)
    }

    /// A `Video`'s embedded `Content`: raw bytes in binary files, base64 text in ASCII ones.
    private static func embeddedImage(_ video: FBXNode, bytes: UnsafeRawBufferPointer) -> PreviewTexture? {
        switch video.child("Content")?.property(0) {
        case .raw(let range)?:
            guard range.lowerBound >= 0, range.upperBound <= bytes.count else { return nil }
            return PreviewTextureDecoder.decode(UnsafeRawBufferPointer(rebasing: bytes[range]))
        case .string(let text)?:
            let cleaned = Array(text.utf8.filter { $0 != UInt8(ascii: ",") && $0 != UInt8(ascii: "\"") && $0 > 0x20 })
            guard let payload = try? cleaned.withUnsafeBytes({ try Base64.decode($0, limit: PreviewTextureDecoder.Limits.standard.maxDecodedBytes) })
            else { return nil }
            return payload.withUnsafeBytes { PreviewTextureDecoder.decode($0) }
        default:
            return nil
        }
    }

    func layers(of geometry: FBXNode, decoder: inout FBXArrayDecoder) -> Layers {
        var layers = Layers()
        guard layout.width > 9 else { return layers }
        if let element = geometry.child("LayerElementMaterial"), case .array(let array)? = element.child("Materials")?.property(0) {
            layers.polygonMaterials = try? decoder.indices(array)
            layers.allSame = element.value(of: "MappingInformationType")?.stringValue == "AllSame"
        }
        if layout.hasTextureCoordinates, let element = geometry.child("LayerElementUV"),
           case .array(let array)? = element.child("UV")?.property(0) {
            layers.uv = try? decoder.doubles(array)
            if element.value(of: "ReferenceInformationType")?.stringValue != "Direct",
               case .array(let indexArray)? = element.child("UVIndex")?.property(0) {
                layers.uvIndices = try? decoder.indices(indexArray)
            }
            let mapping = element.value(of: "MappingInformationType")?.stringValue ?? "ByPolygonVertex"
            layers.uvByPolygonVertex = mapping == "ByPolygonVertex"
        }
        return layers
    }

    func writer(_ layers: Layers, model: String) -> Writer {
        Writer(layout: layout, layers: layers, slots: slotsOfModel[model] ?? [])
    }

    struct Writer {
        let layout: PreviewTriangleLayout
        let layers: Layers
        let slots: [Int]

        @inline(__always)
        func append(
            _ a: SIMD3<Float>, _ b: SIMD3<Float>, _ c: SIMD3<Float>, corners: (UInt32, UInt32, UInt32), vertices: [Int32],
            polygon: UInt32, to values: inout [Float]
        ) {
            guard layout.width > 9 else { return TriangleSubset<Float>.append(a, b, c, to: &values) }
            var material = UInt32.max
            if let polygonMaterials = layers.polygonMaterials, !polygonMaterials.isEmpty {
                let entry = layers.allSame ? 0 : Int(polygon)
                if entry < polygonMaterials.count {
                    let slot = Int(polygonMaterials[entry])
                    if slot >= 0, slot < slots.count { material = UInt32(slots[slot]) }
                }
            } else if let first = slots.first {
                material = UInt32(first)
            }
            var coordinates: (SIMD2<Float>, SIMD2<Float>, SIMD2<Float>)?
            if let uv = layers.uv {
                func coordinate(_ corner: UInt32) -> SIMD2<Float>? {
                    var entry = Int(corner)
                    if !layers.uvByPolygonVertex {
                        let raw = vertices[entry]
                        entry = Int(raw < 0 ? ~raw : raw)
                    }
                    if let indices = layers.uvIndices {
                        guard entry < indices.count else { return nil }
                        entry = Int(indices[entry])
                    }
                    guard entry >= 0, entry * 2 + 1 < uv.count else { return nil }
                    // FBX has v up the image; previews follow glTF, v down.
                    return SIMD2(Float(uv[entry * 2]), 1 - Float(uv[entry * 2 + 1]))
                }
                if let ta = coordinate(corners.0), let tb = coordinate(corners.1), let tc = coordinate(corners.2) {
                    coordinates = (ta, tb, tc)
                }
            }
            // Fan corners (start, start + k + 1, start + k + 2): the edge from the first corner is inside the polygon
            // unless k is 0, the edge back to it unless the third corner ends the polygon (a negative index).
            let last = Int(corners.2) < vertices.count ? vertices[Int(corners.2)] < 0 : true
            let edges: UInt32 = (corners.1 &- corners.0 > 1 ? 1 : 0) | (last ? 0 : 4)
            layout.append(a, b, c, normals: nil, coordinates: coordinates, material: material, edges: edges, to: &values)
        }
    }
}
