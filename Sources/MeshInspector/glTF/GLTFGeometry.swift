import Foundation

/// World-space triangles of a glTF 2.0 scene, read with the same document, buffer and scene-graph code the counts
/// use (`GLTFDocument`, `GLTFBufferStore`, `GLTFSceneGraph`), so every range is checked the same way.
///
/// Every mesh instance is drawn through its node's world matrix. Triangles, strips and fans are drawn; points and
/// lines are not. Positions may be floats or (KHR_mesh_quantization) normalised or plain integers; meshopt views
/// come decoded from the buffer store and Draco primitives from `GLTFDracoPrimitive`. Primitives whose data cannot
/// be read here — sparse positions, Draco streams whose positions this decoder does not cover, buffers missing from
/// the upload — are left out of the picture rather than failing it.
enum GLTFGeometry {
    static func fromGLB(_ data: Data, limits: InspectionLimits, maxTriangles: Int) throws -> PreviewGeometry {
        let (json, binary) = try data.withUnsafeBytes { try GLTFReader.glbChunks($0) }
        return try extract(
            json: ByteRegion(storage: data, range: json), binary: binary.map { ByteRegion(storage: data, range: $0) },
            resources: .none, limits: limits, maxTriangles: maxTriangles)
    }

    static func fromJSON(
        _ data: Data, resources: SceneResources, limits: InspectionLimits, maxTriangles: Int
    ) throws -> PreviewGeometry {
        try extract(
            json: ByteRegion(storage: data, range: 0..<data.count), binary: nil, resources: resources, limits: limits,
            maxTriangles: maxTriangles)
    }

    private static func extract(
        json: ByteRegion, binary: ByteRegion?, resources: SceneResources, limits: InspectionLimits, maxTriangles: Int
    ) throws -> PreviewGeometry {
        let root = try json.withBytes { try JSONScanner.parse($0, maxDepth: limits.maxDepth) }
        let document = try GLTFDocument(root) { text in try json.withBytes { try JSONScanner.string(text, in: $0) } }
        var buffers = GLTFBufferStore(
            document: document, json: json, binaryChunk: binary, resources: resources, limits: limits)
        let instances = try GLTFSceneGraph.meshInstances(document, maxDepth: limits.maxDepth)
        var attributes = GLTFPreviewAttributes(
            root: root, document: document, json: json, resources: resources, buffers: &buffers, limits: limits)

        // Declared counts give the total up front, so the stride is fixed before anything is read and an instance
        // whose triangles are all skipped costs nothing.
        var total = 0
        for instance in instances where instance.mesh < document.meshes.count {
            for primitive in document.meshes[instance.mesh].primitives {
                let (sum, overflow) = total.addingReportingOverflow(declaredTriangles(primitive, document))
                total = overflow ? Int.max : sum
            }
        }
        var subset = TriangleSubset<Float>(budget: maxTriangles, width: attributes.layout.width, expectedTotal: total)
        for instance in instances where instance.mesh < document.meshes.count {
            let world = PreviewTransform(columnMajor: instance.world)
            for (index, primitive) in document.meshes[instance.mesh].primitives.enumerated() {
                let writer = attributes.corners(
                    mesh: instance.mesh, primitive: index, materialIndex: primitive.material, world: world,
                    buffers: &buffers, document: document)
                try draw(primitive, world: world, writer: writer, document: document, buffers: &buffers, into: &subset)
            }
        }
        return attributes.layout.geometry(subset, materials: attributes.materials)
    }

    private static func declaredTriangles(_ primitive: GLTFDocument.Primitive, _ document: GLTFDocument) -> Int {
        guard let position = primitive.position, position < document.accessors.count else { return 0 }
        let corners = primitive.indices.flatMap { $0 < document.accessors.count ? document.accessors[$0].count : nil }
            ?? document.accessors[position].count
        return triangles(corners: corners, mode: primitive.mode)
    }

    private static func triangles(corners: Int, mode: Int) -> Int {
        switch mode {
        case 4: corners / 3
        case 5, 6: Swift.max(0, corners - 2)
        default: 0
        }
    }

    private static func draw(
        _ primitive: GLTFDocument.Primitive, world: PreviewTransform, writer: GLTFPreviewAttributes.CornerWriter,
        document: GLTFDocument,
        buffers: inout GLTFBufferStore, into subset: inout TriangleSubset<Float>
    ) throws {
        if let draco = primitive.draco, [4, 5, 6].contains(primitive.mode) {
            if try !drawDraco(draco, mode: primitive.mode, world: world, writer: writer, buffers: &buffers, into: &subset) {
                subset.offer(declaredTriangles(primitive, document)) { _, _ in }
            }
            return
        }
        guard [4, 5, 6].contains(primitive.mode),
              let positionIndex = primitive.position, positionIndex < document.accessors.count else {
            subset.offer(declaredTriangles(primitive, document)) { _, _ in }
            return
        }
        let accessor = document.accessors[positionIndex]
        guard accessor.componentCount == 3, !accessor.isSparse, let componentSize = gltfComponentSize(accessor.componentType),
              case .success(let positionLayout?) = try buffers.layout(ofAccessor: positionIndex, elementSize: componentSize * 3)
        else {
            subset.offer(declaredTriangles(primitive, document)) { _, _ in }
            return
        }
        let positions = PositionReader(layout: positionLayout, componentType: accessor.componentType, normalized: accessor.normalized)

        guard let indicesIndex = primitive.indices else {
            let count = triangles(corners: positionLayout.count, mode: primitive.mode)
            try positionLayout.region.withBytes { positionBytes in
                try emit(count, mode: primitive.mode, corner: { $0 }, positions: positions, positionBytes, world, writer, &subset)
            }
            return
        }
        let (indexAccessor, indexSize) = try document.indexAccessor(indicesIndex)
        guard !indexAccessor.isSparse,
              case .success(let indexLayout?) = try buffers.layout(ofAccessor: indicesIndex, elementSize: indexSize)
        else {
            // Sparse, unreadable, or all zeros (no bufferView): nothing visible either way.
            subset.offer(declaredTriangles(primitive, document)) { _, _ in }
            return
        }
        let count = triangles(corners: indexLayout.count, mode: primitive.mode)
        try positionLayout.region.withBytes { positionBytes in
            try indexLayout.region.withBytes { indexBytes in
                guard let base = indexBytes.baseAddress?.advanced(by: indexLayout.offset) else { return }
                switch indexSize {
                case 1:
                    let indices = PackedIndices<UInt8>(base: base, stride: indexLayout.stride, count: indexLayout.count)
                    try emit(count, mode: primitive.mode, corner: { Int(indices.index(at: $0)) }, positions: positions, positionBytes, world, writer, &subset)
                case 2:
                    let indices = PackedIndices<UInt16>(base: base, stride: indexLayout.stride, count: indexLayout.count)
                    try emit(count, mode: primitive.mode, corner: { Int(indices.index(at: $0)) }, positions: positions, positionBytes, world, writer, &subset)
                default:
                    let indices = PackedIndices<UInt32>(base: base, stride: indexLayout.stride, count: indexLayout.count)
                    try emit(count, mode: primitive.mode, corner: { Int(indices.index(at: $0)) }, positions: positions, positionBytes, world, writer, &subset)
                }
            }
        }
    }

    /// A Draco primitive, drawn from its decoded faces and positions; one whose positions could not be decoded (or
    /// whose stream is not supported) is left out of the picture, as unreadable data is elsewhere.
    private static func drawDraco(
        _ draco: GLTFDocument.DracoSource, mode: Int, world: PreviewTransform, writer: GLTFPreviewAttributes.CornerWriter,
        buffers: inout GLTFBufferStore, into subset: inout TriangleSubset<Float>
    ) throws -> Bool {
        guard case .success(let mesh) = try GLTFDracoPrimitive.decode(
            draco, buffers: &buffers, limits: buffers.limits, needPositions: true),
            let positions = mesh.positions else { return false }
        let faces = mesh.faces
        let count = triangles(corners: faces.count, mode: mode)
        subset.offer(count) { triangle, values in
            let (first, second, third): (Int, Int, Int) = switch mode {
            case 4: (Int(faces[triangle * 3]), Int(faces[triangle * 3 + 1]), Int(faces[triangle * 3 + 2]))
            case 5: (Int(faces[triangle]), Int(faces[triangle + 1]), Int(faces[triangle + 2]))
            default: (Int(faces[0]), Int(faces[triangle + 1]), Int(faces[triangle + 2]))
            }
            // The decoder checked every face index against the point count.
            func point(_ index: Int) -> SIMD3<Float> {
                world.apply(positions[index * 3], positions[index * 3 + 1], positions[index * 3 + 2])
            }
            // The writer lays out what else a triangle carries (its material); the decoded points have no
            // accessor-read normals or UVs.
            writer.append(point(first), point(second), point(third), first, second, third, to: &values)
        }
        return true
    }

    /// Offers `count` triangles of a list, strip or fan; `corner(k)` is the vertex of the k-th corner (already
    /// inside the index buffer, whose range the buffer store checked), itself checked against the positions.
    @inline(__always)
    private static func emit(
        _ count: Int, mode: Int, corner: (Int) -> Int, positions: PositionReader, _ positionBytes: UnsafeRawBufferPointer,
        _ world: PreviewTransform, _ writer: GLTFPreviewAttributes.CornerWriter, _ subset: inout TriangleSubset<Float>
    ) throws {
        let vertexCount = positions.layout.count
        try subset.offer(count) { triangle, values in
            let (first, second, third): (Int, Int, Int) = switch mode {
            case 4: (corner(triangle * 3), corner(triangle * 3 + 1), corner(triangle * 3 + 2))
            case 5: (corner(triangle), corner(triangle + 1), corner(triangle + 2))
            default: (corner(0), corner(triangle + 1), corner(triangle + 2))
            }
            guard first < vertexCount, second < vertexCount, third < vertexCount else {
                throw MeshInspectionError(
                    .malformed,
                    "A primitive uses vertex \(Swift.max(first, second, third)), but its POSITION accessor has only \(vertexCount) vertices.")
            }
            writer.append(
                positions.point(first, positionBytes, world), positions.point(second, positionBytes, world),
                positions.point(third, positionBytes, world), first, second, third, to: &values)
        }
    }
}

/// Reads VEC3 positions in any encoding glTF allows for them (KHR_mesh_quantization included) from a range the
/// buffer store has already checked.
struct PositionReader {
    let layout: GLTFBufferStore.ElementLayout
    let componentType: Int
    let normalized: Bool

    @inline(__always)
    func point(_ index: Int, _ bytes: UnsafeRawBufferPointer, _ world: PreviewTransform) -> SIMD3<Float> {
        let offset = layout.offset + index * layout.stride
        switch componentType {
        case 5126:
            return world.apply(
                bytes.loadUnaligned(fromByteOffset: offset, as: Float.self),
                bytes.loadUnaligned(fromByteOffset: offset + 4, as: Float.self),
                bytes.loadUnaligned(fromByteOffset: offset + 8, as: Float.self))
        case 5120:
            return world.apply(signed(bytes, offset, Int8.self, 127), signed(bytes, offset + 1, Int8.self, 127), signed(bytes, offset + 2, Int8.self, 127))
        case 5121:
            return world.apply(unsigned(bytes, offset, UInt8.self, 255), unsigned(bytes, offset + 1, UInt8.self, 255), unsigned(bytes, offset + 2, UInt8.self, 255))
        case 5122:
            return world.apply(signed(bytes, offset, Int16.self, 32767), signed(bytes, offset + 2, Int16.self, 32767), signed(bytes, offset + 4, Int16.self, 32767))
        case 5123:
            return world.apply(unsigned(bytes, offset, UInt16.self, 65535), unsigned(bytes, offset + 2, UInt16.self, 65535), unsigned(bytes, offset + 4, UInt16.self, 65535))
        default:
            // 32-bit unsigned positions are not valid glTF; the component size is known, so read them plainly.
            return world.apply(
                Float(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)),
                Float(bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)),
                Float(bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt32.self)))
        }
    }

    @inline(__always)
    private func signed<T: FixedWidthInteger & SignedInteger>(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _: T.Type, _ scale: Float) -> Float {
        let value = Float(T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self)))
        return normalized ? Swift.max(value / scale, -1) : value
    }

    @inline(__always)
    private func unsigned<T: FixedWidthInteger & UnsignedInteger>(_ bytes: UnsafeRawBufferPointer, _ offset: Int, _: T.Type, _ scale: Float) -> Float {
        let value = Float(T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self)))
        return normalized ? value / scale : value
    }
}
