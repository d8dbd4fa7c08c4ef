import Foundation

/// Reads glTF 2.0 files (`.glb` containers and `.gltf` JSON with embedded or bundled buffers). A lone `.gltf` whose
/// buffers are separate files fails with a reason saying what to upload (`LoneGLTFFiles`).
///
/// It reads the JSON and the index buffers (decoding Draco and meshopt streams first), and vertex data only where a
/// POSITION accessor lacks the min/max the specification requires or is compressed. Counts follow Blender 3.4's importer with default options
/// (see `PrimitiveCounter` for one primitive):
/// - every node without a parent, and all its descendants, becomes an object, whichever scene lists it;
/// - Blender's scene statistics count a mesh shared by several objects once: the importer shares one Blender mesh
///   between nodes that use the same glTF mesh, unless the node is skinned (its armature modifier gives each object
///   its own evaluated mesh) or the mesh has morph targets. `meshCount` counts mesh objects, instances included.
/// - materials are those used by imported primitives; textures are the distinct images those materials use.
/// - the bounding box is the union of each POSITION accessor's min/max, transformed by its node's world matrix
///   (skinned meshes: untransformed, their bind pose), in the file's own axes (Y up) and metres, as glTF defines them.
enum GLTFReader {
    static func inspectGLB(_ data: Data, limits: InspectionLimits) throws -> MeshReport {
        let (json, binary) = try data.withUnsafeBytes { try glbChunks($0) }
        return try analyze(
            json: ByteRegion(storage: data, range: json),
            binary: binary.map { ByteRegion(storage: data, range: $0) },
            format: .glb, resources: .none, limits: limits)
    }

    static func inspectJSON(_ data: Data, resources: SceneResources, limits: InspectionLimits) throws -> MeshReport {
        try analyze(
            json: ByteRegion(storage: data, range: 0..<data.count), binary: nil,
            format: .gltf, resources: resources, limits: limits)
    }

    /// Splits a GLB into its JSON chunk and (optional) BIN chunk, checking every length against the real size.
    static func glbChunks(_ bytes: UnsafeRawBufferPointer) throws -> (json: Range<Int>, binary: Range<Int>?) {
        var reader = ByteCursor(bytes)
        guard bytes.count >= 12 else { throw MeshInspectionError(.truncated, "The GLB file is shorter than its header.") }
        guard try reader.uint32() == 0x4654_6C67 else {
            throw MeshInspectionError(.unrecognized, "The file does not start with the GLB magic 'glTF'.")
        }
        let version = try reader.uint32()
        guard version == 2 else {
            throw MeshInspectionError(.unsupported, "GLB version \(version) is not supported; only version 2 is.")
        }
        let declaredLength = Int(try reader.uint32())
        guard declaredLength <= bytes.count else {
            throw MeshInspectionError(
                .truncated, "The GLB header says \(declaredLength) bytes, but the file has only \(bytes.count).")
        }
        var json: Range<Int>?
        var binary: Range<Int>?
        while reader.offset + 8 <= declaredLength {
            let length = Int(try reader.uint32())
            let type = try reader.uint32()
            let start = reader.offset
            guard length <= declaredLength - start else {
                throw MeshInspectionError(.truncated, "A GLB chunk of \(length) bytes runs past the end of the file.")
            }
            if json == nil {
                guard type == 0x4E4F_534A else {
                    throw MeshInspectionError(.malformed, "The first GLB chunk is not the JSON chunk.")
                }
                json = start..<(start + length)
            } else if type == 0x004E_4942, binary == nil {
                binary = start..<(start + length)
            }
            try reader.skip(length)
        }
        guard let json else { throw MeshInspectionError(.truncated, "The GLB file has no JSON chunk.") }
        return (json, binary)
    }

    private static func analyze(
        json: ByteRegion, binary: ByteRegion?, format: MeshFormat, resources: SceneResources,
        limits: InspectionLimits
    ) throws -> MeshReport {
        let root = try json.withBytes { try JSONScanner.parse($0, maxDepth: limits.maxDepth) }
        let document = try GLTFDocument(root) { text in try json.withBytes { try JSONScanner.string(text, in: $0) } }
        var counter = GLTFMeshCounter(
            document: document,
            buffers: GLTFBufferStore(
                document: document, json: json, binaryChunk: binary, resources: resources, limits: limits),
            limits: limits)
        var report = MeshReport(format: format, formatVersion: document.version)
        if format == .gltf, !resources.isBundle {
            try LoneGLTFFiles.requireBuffers(document: document, json: json)
            if let warning = LoneGLTFFiles.missingImagesWarning(json: json) { counter.warnings.add(warning) }
        }

        for name in document.extensionsRequired where !understoodExtensions.contains(name) {
            counter.warnings.add("The file requires the extension \(name), which Blender 3.4 cannot import.")
        }
        let instances = try GLTFSceneGraph.meshInstances(document, maxDepth: limits.maxDepth)
        if instances.isEmpty, !document.meshes.isEmpty {
            counter.warnings.add("No node places the file's meshes in the scene, so Blender imports no geometry.")
        }
        var countedMeshes = Set<Int>()
        var usedMaterials = Set<Int>()
        var bounds = GLTFBoundsAccumulator()
        // Everything per mesh is worked out once, so a mesh placed by a million nodes costs a million box
        // transforms, not a million re-counts.
        for instance in instances {
            guard let summary = try counter.summary(ofMesh: instance.mesh) else {
                counter.warnings.add("Node \(instance.node) refers to mesh \(instance.mesh), which does not exist; Blender imports an empty object.")
                continue
            }
            report.meshCount += 1
            let sharesEvaluatedMesh = instance.skin == nil && !document.meshes[instance.mesh].hasMorphTargets
            if !sharesEvaluatedMesh || countedMeshes.insert(instance.mesh).inserted {
                report.vertexCount += summary.counts.vertices
                report.triangleCount += summary.counts.triangles
            }
            usedMaterials.formUnion(summary.materials)
            // The specification ignores a skinned mesh node's own transform (its joints place it), as Blender does.
            if let box = summary.box { bounds.add(box, world: instance.skin == nil ? instance.world : Self.identity) }
        }
        report.materialCount = usedMaterials.count
        report.textureCount = imagesUsed(by: usedMaterials, in: document).count
        report.animationCount = document.animationCount
        report.isRigged = document.skinCount > 0
        report.boundingBox = bounds.box
        report.warnings = counter.warnings.list
        report.isApproximate = report.isApproximate || counter.isApproximate
        return report
    }

    private static let identity: [Double] = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]

    /// Extensions Blender 3.4's importer reads; any other required one means Blender would refuse or misread it.
    private static let understoodExtensions: Set<String> = [
        "KHR_draco_mesh_compression", "KHR_mesh_quantization", "KHR_texture_transform", "KHR_materials_unlit",
        "KHR_materials_pbrSpecularGlossiness", "KHR_lights_punctual", "KHR_materials_emissive_strength",
        "KHR_materials_clearcoat", "KHR_materials_transmission", "KHR_materials_volume", "KHR_materials_sheen",
        "KHR_materials_specular", "KHR_materials_ior", "KHR_materials_variants", "KHR_texture_basisu",
    ]

    /// Distinct images reached from the given materials through any `…Texture` slot (core or extension).
    private static func imagesUsed(by materials: Set<Int>, in document: GLTFDocument) -> Set<Int> {
        var textureIndices = Set<Int>()
        var pending = materials.compactMap { $0 < document.materials.count ? document.materials[$0] : nil }
        while let value = pending.popLast() {
            switch value {
            case .object(let members):
                for (key, member) in members {
                    if key.hasSuffix("Texture") || key.hasSuffix("texture"), let index = member["index"]?.indexValue {
                        textureIndices.insert(index)
                    }
                    pending.append(member)
                }
            case .array(let elements):
                pending.append(contentsOf: elements)
            default:
                break
            }
        }
        var images = Set<Int>()
        for index in textureIndices where index < document.textures.count {
            let texture = document.textures[index]
            let source = texture["source"]?.indexValue
                ?? texture["extensions"].flatMap { extensions -> Int? in
                    guard case .object(let members) = extensions else { return nil }
                    return members.lazy.compactMap { $0.value["source"]?.indexValue }.first
                }
            if let source, source < document.imageCount { images.insert(source) }
        }
        return images
    }
}

/// Warnings without repeats, in the order first seen.
struct Warnings {
    private(set) var list: [String] = []
    private var seen = Set<String>()

    mutating func add(_ warning: String) {
        if seen.insert(warning).inserted { list.append(warning) }
    }
}
