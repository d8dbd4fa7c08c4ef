import Foundation

/// Per-mesh results of a glTF document, each worked out once however many nodes place the mesh.
struct GLTFMeshSummary {
    var counts = PrimitiveCounts()
    var materials = Set<Int>()
    /// Union of the primitives' POSITION boxes, in the mesh's own space.
    var box: GLTFBox?
}

/// Counts glTF meshes primitive by primitive (see `PrimitiveCounter` for Blender's rules).
///
/// Work is bounded by real data: index loops only run over bytes that exist, identical primitives are counted once,
/// and all index loops together may read at most `limits.maxElements` indices, so a small JSON cannot make the
/// same huge index buffer be read over and over.
struct GLTFMeshCounter {
    let document: GLTFDocument
    var buffers: GLTFBufferStore
    let limits: InspectionLimits
    var warnings = Warnings()

    private var summaries: [Int: GLTFMeshSummary] = [:]
    private var primitiveCounts: [PrimitiveKey: PrimitiveCounts] = [:]
    private var dracoCounts: [Int: PrimitiveCounts] = [:]
    private var dracoBoxes: [Int: GLTFBox] = [:]
    private var indicesRead = 0
    /// Set when some primitive could only be counted from its declarations (an unsupported Draco stream).
    private(set) var isApproximate = false

    private struct PrimitiveKey: Hashable {
        var position: Int
        var indices: Int?
        var mode: Int
    }

    init(document: GLTFDocument, buffers: GLTFBufferStore, limits: InspectionLimits) {
        self.document = document
        self.buffers = buffers
        self.limits = limits
    }

    /// nil when the mesh index does not exist (Blender then makes an empty object).
    mutating func summary(ofMesh index: Int) throws -> GLTFMeshSummary? {
        if let known = summaries[index] { return known }
        guard index < document.meshes.count else { return nil }
        var summary = GLTFMeshSummary()
        for primitive in document.meshes[index].primitives {
            // Blender skips primitives without positions entirely.
            guard let position = primitive.position else { continue }
            guard position < document.accessors.count else {
                throw GLTFDocument.malformed("a POSITION attribute refers to accessor \(position), which does not exist")
            }
            let counts = try count(primitive, position: position)
            summary.counts.vertices += counts.vertices
            summary.counts.triangles += counts.triangles
            if let material = primitive.material {
                guard material < document.materials.count else {
                    throw GLTFDocument.malformed("a primitive uses material \(material), which does not exist")
                }
                summary.materials.insert(material)
            }
            // A decoded Draco primitive's box comes from its decoded positions, as Blender's does.
            if let box = try primitive.draco.flatMap({ dracoBoxes[$0.bufferView] }) ?? GLTFBoundsAccumulator.localBox(
                ofAccessor: position, document: document, buffers: &buffers, warnings: &warnings) {
                summary.box = summary.box.map { $0.union(box) } ?? box
            }
        }
        summaries[index] = summary
        return summary
    }

    private mutating func count(_ primitive: GLTFDocument.Primitive, position: Int) throws -> PrimitiveCounts {
        if let draco = primitive.draco { return try countDraco(primitive, draco) }
        let key = PrimitiveKey(position: position, indices: primitive.indices, mode: primitive.mode)
        if let known = primitiveCounts[key] { return known }
        let counts = try countOnce(primitive, position: position)
        primitiveCounts[key] = counts
        return counts
    }

    /// A Draco primitive is counted from its decoded faces, as Blender's importer decodes it before building the
    /// mesh. Streams this decoder does not support fall back to the declarations, and the report says so.
    private mutating func countDraco(
        _ primitive: GLTFDocument.Primitive, _ draco: GLTFDocument.DracoSource
    ) throws -> PrimitiveCounts {
        if let known = dracoCounts[draco.bufferView] { return known }
        let counts: PrimitiveCounts
        switch try GLTFDracoPrimitive.decode(draco, buffers: &buffers, limits: limits, needPositions: true) {
        case .failure(let unavailable):
            warnings.add(unavailable.reason)
            isApproximate = true
            counts = try declaredCounts(primitive)
        case .success(let mesh):
            indicesRead += mesh.faces.count
            guard indicesRead <= limits.maxElements else {
                throw MeshInspectionError(
                    .limitExceeded, "The file's primitives hold more than \(limits.maxElements) indices in all.")
            }
            counts = try PrimitiveCounter.count(
                DecodedIndices(values: mesh.faces), mode: primitive.mode, positionCount: mesh.pointCount)
            if let positions = mesh.positions, positions.count >= 3 {
                var low = [Double](repeating: .infinity, count: 3), high = [Double](repeating: -.infinity, count: 3)
                for (index, value) in positions.enumerated() where value.isFinite {
                    low[index % 3] = min(low[index % 3], Double(value))
                    high[index % 3] = max(high[index % 3], Double(value))
                }
                if low.allSatisfy(\.isFinite) { dracoBoxes[draco.bufferView] = GLTFBox(low: low, high: high) }
            }
        }
        dracoCounts[draco.bufferView] = counts
        return counts
    }

    private mutating func countOnce(_ primitive: GLTFDocument.Primitive, position: Int) throws -> PrimitiveCounts {
        let positionAccessor = document.accessors[position]
        // POSITION's range is checked even though its data is not read: Blender would read it and fail.
        let positionElement = (gltfComponentSize(positionAccessor.componentType) ?? 4) * positionAccessor.componentCount
        let positionLayout = try buffers.layout(ofAccessor: position, elementSize: positionElement)
        let positions = positionAccessor.count

        guard let indicesIndex = primitive.indices else {
            if case .failure(let unavailable) = positionLayout { warnings.add(unavailable.reason) }
            return try PrimitiveCounter.sequential(count: positions, mode: primitive.mode)
        }
        let (indexAccessor, indexSize) = try document.indexAccessor(indicesIndex)
        guard !indexAccessor.isSparse else {
            throw MeshInspectionError(.unsupported, "Sparse index accessors are not supported.")
        }
        switch try buffers.layout(ofAccessor: indicesIndex, elementSize: indexSize) {
        case .failure(let unavailable):
            warnings.add(unavailable.reason)
            return try declaredCounts(primitive)
        case .success(nil):
            return try PrimitiveCounter.zeros(count: indexAccessor.count, mode: primitive.mode, positionCount: positions)
        case .success(let layout?):
            indicesRead += layout.count
            guard indicesRead <= limits.maxElements else {
                throw MeshInspectionError(
                    .limitExceeded, "The file's primitives hold more than \(limits.maxElements) indices in all.")
            }
            return try layout.region.withBytes { bytes in
                guard let base = bytes.baseAddress?.advanced(by: layout.offset) else { return PrimitiveCounts() }
                let mode = primitive.mode
                switch indexSize {
                case 1:
                    return try PrimitiveCounter.count(
                        PackedIndices<UInt8>(base: base, stride: layout.stride, count: layout.count),
                        mode: mode, positionCount: positions)
                case 2:
                    return try PrimitiveCounter.count(
                        PackedIndices<UInt16>(base: base, stride: layout.stride, count: layout.count),
                        mode: mode, positionCount: positions)
                default:
                    return try PrimitiveCounter.count(
                        PackedIndices<UInt32>(base: base, stride: layout.stride, count: layout.count),
                        mode: mode, positionCount: positions)
                }
            }
        }
    }

    /// Counts from accessor declarations alone, for data that cannot be read (compressed, or not uploaded): every
    /// declared vertex is assumed used and no triangle degenerate.
    private func declaredCounts(_ primitive: GLTFDocument.Primitive) throws -> PrimitiveCounts {
        guard let position = primitive.position, position < document.accessors.count else { return PrimitiveCounts() }
        let vertices = document.accessors[position].count
        let corners = primitive.indices.flatMap { $0 < document.accessors.count ? document.accessors[$0].count : nil }
            ?? vertices
        var counts = try PrimitiveCounter.sequential(count: corners, mode: primitive.mode)
        counts.vertices = counts.vertices > 0 ? vertices : 0
        return counts
    }
}
