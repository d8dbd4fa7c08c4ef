import Foundation

/// What a glTF preview draws beyond positions: each primitive's material (base colour factor and texture), its
/// NORMAL and the TEXCOORD_n set its base-colour texture names, read from the same buffers the positions are.
///
/// Only the glTF-specific reading lives here; `GLTFGeometry` asks `corners(mesh:primitive:world:buffers:)` for
/// a writer per primitive and calls it for each triangle it keeps. Anything unreadable here (a missing image, a
/// malformed attribute) leaves that part out — the colour without its texture, flat normals — instead of failing
/// a preview whose shape is fine.
struct GLTFPreviewAttributes {
    let layout: PreviewTriangleLayout
    private(set) var materials: [PreviewMaterial] = []
    /// TEXCOORD set each material's base-colour texture reads (nil: no texture).
    private var textureSets: [Int?] = []
    private let root: JSONValue
    private let json: ByteRegion
    private let resources: SceneResources
    /// Decoded vertex attributes per (mesh, primitive), shared by every instance.
    private var cache: [Int: (normals: [SIMD3<Float>]?, coordinates: [SIMD2<Float>]?)] = [:]
    private var cachedValues = 0
    private let limits: InspectionLimits

    init(root: JSONValue, document: GLTFDocument, json: ByteRegion, resources: SceneResources, buffers: inout GLTFBufferStore, limits: InspectionLimits) {
        self.root = root
        self.json = json
        self.resources = resources
        self.limits = limits
        var images: [Int: PreviewTexture?] = [:]
        for material in document.materials.prefix(Self.maxMaterials) {
            let pbr = material["pbrMetallicRoughness"]
            var colour = SIMD3<Float>(repeating: 1)
            if let factor = pbr?["baseColorFactor"]?.arrayValue?.compactMap(\.numberValue), factor.count >= 3 {
                colour = PreviewMaterial.linear(factor[0], factor[1], factor[2])
            }
            var result = PreviewMaterial(baseColor: colour)
            var set: Int?
            if let info = pbr?["baseColorTexture"], let textureIndex = info["index"]?.indexValue,
               textureIndex < document.textures.count,
               let imageIndex = document.textures[textureIndex]["source"]?.indexValue {
                if images[imageIndex] == nil {
                    images[imageIndex] = Self.image(imageIndex, root: root, document: document, json: json, resources: resources, buffers: &buffers)
                }
                if let texture = images[imageIndex] ?? nil {
                    result.texture = texture
                    set = info["texCoord"]?.indexValue ?? 0
                    if let transform = info["extensions"]?["KHR_texture_transform"], transform.isObject {
                        set = transform["texCoord"]?.indexValue ?? set
                        result.textureTransform = Self.transform(transform)
                    }
                }
            }
            materials.append(result)
            textureSets.append(set)
        }
        let primitives = (root["meshes"]?.arrayValue ?? []).flatMap { $0["primitives"]?.arrayValue ?? [] }
        let anyNormals = primitives.contains { $0["attributes"]?["NORMAL"] != nil }
        let anyCoordinates = textureSets.contains { $0 != nil }
        layout = PreviewTriangleLayout(hasNormals: anyNormals, hasTextureCoordinates: anyCoordinates, hasMaterials: !materials.isEmpty)
    }

    /// More materials than this are drawn in clay: no real asset comes near, a hostile one could list millions.
    static let maxMaterials = 4096

    /// u' = T · R · S · u, as KHR_texture_transform defines it (rotation counter-clockwise in UV space).
    private static func transform(_ value: JSONValue) -> (row0: SIMD3<Float>, row1: SIMD3<Float>) {
        func pair(_ key: String, _ fallback: SIMD2<Float>) -> SIMD2<Float> {
            guard let values = value[key]?.arrayValue?.compactMap(\.numberValue), values.count == 2,
                  values.allSatisfy(\.isFinite) else { return fallback }
            return SIMD2(Float(values[0]), Float(values[1]))
        }
        let offset = pair("offset", .zero), scale = pair("scale", SIMD2(1, 1))
        let rotation = Float(value["rotation"]?.numberValue.flatMap { $0.isFinite ? $0 : nil } ?? 0)
        let (c, s) = (cos(rotation), sin(rotation))
        return (SIMD3(c * scale.x, s * scale.y, offset.x), SIMD3(-s * scale.x, c * scale.y, offset.y))
    }

    /// The decoded image `index`: from a bufferView (GLB), a data: URI, or a file of the zip bundle.
    private static func image(
        _ index: Int, root: JSONValue, document: GLTFDocument, json: ByteRegion, resources: SceneResources,
        buffers: inout GLTFBufferStore
    ) -> PreviewTexture? {
        guard let images = root["images"]?.arrayValue, index < images.count else { return nil }
        let image = images[index]
        if let viewIndex = image["bufferView"]?.indexValue, viewIndex < document.bufferViews.count {
            let view = document.bufferViews[viewIndex]
            guard case .available(let region)? = try? buffers.buffer(view.buffer),
                  view.byteOffset >= 0, view.byteLength >= 0, view.byteOffset <= region.range.count - view.byteLength
            else { return nil }
            return region.withBytes { bytes in
                PreviewTextureDecoder.decode(UnsafeRawBufferPointer(rebasing: bytes[view.byteOffset..<(view.byteOffset + view.byteLength)]))
            }
        }
        guard let uri = image["uri"]?.textValue else { return nil }
        let isData = json.withBytes { URIDecoding.isDataURI(UnsafeRawBufferPointer(rebasing: $0[uri.start..<uri.end])) }
        if isData {
            let payload: [UInt8]? = try? json.withBytes { bytes in
                let text = uri.hasEscapes ? Array(try JSONScanner.string(uri, in: bytes).utf8) : Array(bytes[uri.start..<uri.end])
                return try text.withUnsafeBytes { try URIDecoding.dataURIPayload($0, limit: PreviewTextureDecoder.Limits.standard.maxDecodedBytes) }
            }
            return payload.flatMap { payload in payload.withUnsafeBytes { PreviewTextureDecoder.decode($0) } }
        }
        guard let reference = try? json.withBytes({ try JSONScanner.string(uri, in: $0) }),
              let path = URIDecoding.percentDecoded(reference),
              let data = try? resources.data(forReference: path) else { return nil }
        return PreviewTextureDecoder.decode(data)
    }

    /// Writes one primitive's triangles with their attributes; `world` places its normals.
    struct CornerWriter {
        let layout: PreviewTriangleLayout
        let normals: [SIMD3<Float>]?
        let coordinates: [SIMD2<Float>]?
        let material: UInt32
        let normalMatrix: PreviewTransform

        @inline(__always)
        func append(_ a: SIMD3<Float>, _ b: SIMD3<Float>, _ c: SIMD3<Float>, _ i: Int, _ j: Int, _ k: Int, to values: inout [Float]) {
            guard layout.width > 9 else { return TriangleSubset<Float>.append(a, b, c, to: &values) }
            var cornerNormals: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)?
            if let normals, i < normals.count, j < normals.count, k < normals.count {
                cornerNormals = (normalMatrix.applyLinear(normals[i]), normalMatrix.applyLinear(normals[j]), normalMatrix.applyLinear(normals[k]))
            }
            var cornerCoordinates: (SIMD2<Float>, SIMD2<Float>, SIMD2<Float>)?
            if let coordinates, i < coordinates.count, j < coordinates.count, k < coordinates.count {
                cornerCoordinates = (coordinates[i], coordinates[j], coordinates[k])
            }
            layout.append(a, b, c, normals: cornerNormals, coordinates: cornerCoordinates, material: material, to: &values)
        }
    }

    /// Most attribute values held decoded at once, across primitives (each value a normal or a coordinate pair).
    static let maxCachedValues = 64 << 20

    mutating func corners(
        mesh: Int, primitive: Int, materialIndex: Int?, world: PreviewTransform, buffers: inout GLTFBufferStore,
        document: GLTFDocument
    ) -> CornerWriter {
        let material = materialIndex.flatMap { $0 < materials.count ? UInt32($0) : nil } ?? UInt32.max
        guard layout.width > 9 else {
            return CornerWriter(layout: layout, normals: nil, coordinates: nil, material: material, normalMatrix: world)
        }
        let key = mesh &* 65_536 &+ primitive
        if cache[key] == nil {
            let attributes = root["meshes"]?.arrayValue?[safe: mesh]?["primitives"]?.arrayValue?[safe: primitive]?["attributes"]
            var normals: [SIMD3<Float>]?
            if layout.hasNormals, let index = attributes?["NORMAL"]?.indexValue {
                normals = Self.vectors(index, components: 3, document: document, buffers: &buffers, budget: Self.maxCachedValues - cachedValues)
                    .map { $0.map { SIMD3($0.x, $0.y, $0.z) } }
                cachedValues += normals?.count ?? 0
            }
            var coordinates: [SIMD2<Float>]?
            if layout.hasTextureCoordinates, let materialIndex, materialIndex < textureSets.count, let set = textureSets[materialIndex],
               let index = attributes?["TEXCOORD_\(set)"]?.indexValue {
                coordinates = Self.vectors(index, components: 2, document: document, buffers: &buffers, budget: Self.maxCachedValues - cachedValues)
                    .map { $0.map { SIMD2($0.x, $0.y) } }
                cachedValues += coordinates?.count ?? 0
            }
            cache[key] = (normals, coordinates)
        }
        let entry = cache[key] ?? (nil, nil)
        return CornerWriter(
            layout: layout, normals: entry.normals, coordinates: entry.coordinates, material: material,
            normalMatrix: world.normalMatrix())
    }

    /// An accessor's VEC2 or VEC3 elements as floats (normalised integers scaled as glTF says), or nil when it
    /// cannot be read.
    private static func vectors(
        _ index: Int, components: Int, document: GLTFDocument, buffers: inout GLTFBufferStore, budget: Int
    ) -> [SIMD4<Float>]? {
        guard index < document.accessors.count else { return nil }
        let accessor = document.accessors[index]
        guard accessor.componentCount == components, !accessor.isSparse, accessor.count <= budget,
              let size = gltfComponentSize(accessor.componentType),
              case .success(let layout?)? = try? buffers.layout(ofAccessor: index, elementSize: size * components)
        else { return nil }
        let type = accessor.componentType, normalized = accessor.normalized
        return layout.region.withBytes { bytes in
            var result: [SIMD4<Float>] = []
            result.reserveCapacity(layout.count)
            for element in 0..<layout.count {
                let base = layout.offset + element * layout.stride
                var value = SIMD4<Float>.zero
                for component in 0..<components {
                    let at = base + component * size
                    let raw: Float
                    switch type {
                    case 5126: raw = bytes.loadUnaligned(fromByteOffset: at, as: Float.self)
                    case 5120: let v = Float(bytes.loadUnaligned(fromByteOffset: at, as: Int8.self)); raw = normalized ? Swift.max(v / 127, -1) : v
                    case 5121: let v = Float(bytes.loadUnaligned(fromByteOffset: at, as: UInt8.self)); raw = normalized ? v / 255 : v
                    case 5122: let v = Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: Int16.self))); raw = normalized ? Swift.max(v / 32767, -1) : v
                    case 5123: let v = Float(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))); raw = normalized ? v / 65535 : v
                    default: raw = Float(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
                    }
                    value[component] = raw
                }
                result.append(value)
            }
            return result
        }
    }
}

extension PreviewTransform {
    /// The 3 × 3 part alone, for directions.
    @inline(__always)
    func applyLinear(_ v: SIMD3<Float>) -> SIMD3<Float> {
        let p = SIMD4(v, 0)
        return SIMD3((row0 * p).sum(), (row1 * p).sum(), (row2 * p).sum())
    }

    /// The inverse transpose of the 3 × 3 part (scaled by the determinant, which normalising removes), which
    /// carries normals through non-uniform scales; a mirror keeps its sign so normals stay outward.
    func normalMatrix() -> PreviewTransform {
        let a = SIMD3(row0.x, row0.y, row0.z), b = SIMD3(row1.x, row1.y, row1.z), c = SIMD3(row2.x, row2.y, row2.z)
        // For rows a, b, c the cofactor matrix has rows b × c, c × a, a × b, and equals (M⁻¹)ᵀ · det(M).
        let r0 = simdCross(b, c), r1 = simdCross(c, a), r2 = simdCross(a, b)
        let sign: Float = (a * r0).sum() < 0 ? -1 : 1
        var result = self
        result.row0 = SIMD4(r0 * sign, 0)
        result.row1 = SIMD4(r1 * sign, 0)
        result.row2 = SIMD4(r2 * sign, 0)
        return result
    }
}
