import Foundation

/// Array (`ArrayModifierData`): `count` copies (or as many as fit `length` with `fit_type` 1), each shifted by the
/// constant offset (`offset`, `offset_type` bit 0) plus the relative offset (`scale` times the mesh's size per
/// axis, bit 1). With merging (`flags` bit 0) each vertex of a copy merges with the nearest vertex of the previous
/// copy within `merge_dist`, and with bit 1 the first copy with the last; Blender then merges in "dump if equal"
/// mode (`MeshVertexMerge`). With an offset object (bit 2, `offset_ob`) each copy also goes through that object's
/// matrix relative to this one's, as radial arrays do. Caps and curve fitting are not reproduced (approximate).
enum ArrayModifier {
    static let offsetConstant: Int64 = 1 << 0
    static let offsetRelative: Int64 = 1 << 1
    static let offsetObject: Int64 = 1 << 2
    static let mergeAdjacent: Int64 = 1 << 0
    static let mergeFirstLast: Int64 = 1 << 1
    static let fitLength: Int64 = 1
    static let fitCurve: Int64 = 2

    static func apply(_ array: BlendStruct, to state: inout ModifierMeshState, context: inout ModifierContext) throws {
        let offsetType = array.integer(["offset_type"]) ?? offsetRelative
        let flags = array.integer(["flags"]) ?? 0
        let fitType = array.integer(["fit_type"]) ?? 0
        let merge = flags & mergeAdjacent != 0
        let mergeDistance = Swift.max(array.finiteFloat(["merge_dist"]) ?? 0.01, 0)

        var offset = SIMD3<Double>(repeating: 0)
        if offsetType & offsetConstant != 0 { offset += array.finiteVector(["offset"]) ?? .zero }
        if offsetType & offsetRelative != 0, let box = state.box {
            offset += (array.finiteVector(["scale"]) ?? .zero) * (box.high - box.low)
        }
        // Each copy is the previous one through `step`: the translation above, then (with an offset object) the
        // offset object's matrix relative to this object's, so copies can turn and scale as well.
        var step = AffineTransform.translation(offset)
        if offsetType & offsetObject != 0, let pointer = array.pointer(["offset_ob"]), pointer != 0 {
            if let offsetWorld = context.worldOf(pointer), let inverse = context.objectWorld.inverted() {
                step = step * inverse * offsetWorld
            } else {
                context.approximate("uses an offset object that could not be placed")
            }
        }
        if [array.pointer(["start_cap"]), array.pointer(["end_cap"])].contains(where: { ($0 ?? 0) != 0 }) {
            context.approximate("adds caps, which are not counted")
        }

        var count = Int(array.integer(["count"]) ?? 1)
        if fitType == fitLength {
            let length = array.finiteFloat(["length"]) ?? 0
            let shift = SIMD3(step.rows[0][3], step.rows[1][3], step.rows[2][3])
            let distance = (shift * shift).sum().squareRoot()
            let epsilon = Double(Float.ulpOfOne)
            let fitted = (length + epsilon) / distance + 1
            count = distance > epsilon && fitted.isFinite ? Int(clamping: Int64(Swift.min(fitted, 1e15).rounded(.down))) : 1
        } else if fitType == fitCurve {
            context.approximate("fits a curve, whose length is not measured")
        }
        count = Swift.max(count, 1)
        guard count > 1 else { return }

        let counts = state.counts
        let total = try SymbolicCount.multiply(counts.largest, count)
        guard case .geometry(let mesh) = state, context.fitsGeometry(total) else {
            if merge { context.approximate("merges copies of a mesh known only by its counts (after Subdivision, or too dense to rebuild)") }
            var box = state.box
            var transform = AffineTransform.identity
            // The box of every copy, while that stays cheap; the rest of a huge count is left out of the box.
            for _ in 1..<Swift.min(count, 10_000) {
                transform = transform * step
                box = unionBox(box, transformedBox(state.box, transform.apply))
            }
            state = .counts(MeshCounts(vertices: try SymbolicCount.multiply(counts.vertices, count),
                                       edges: try SymbolicCount.multiply(counts.edges, count),
                                       faces: try SymbolicCount.multiply(counts.faces, count),
                                       corners: try SymbolicCount.multiply(counts.corners, count), allQuads: counts.allQuads),
                            box: box)
            return
        }

        let n = mesh.positions.count
        var result = ModifierMesh()
        result.positions.reserveCapacity(n * count)
        result.cornerVertices.reserveCapacity(mesh.cornerVertices.count * count)
        var transform = AffineTransform.identity
        for copy in 0..<count {
            if copy > 0 { transform = transform * step }
            let base = Int32(copy * n)
            let placed = transform
            result.positions.append(contentsOf: mesh.positions.map { placed.apply($0) })
            result.edges.append(contentsOf: mesh.edges.map { $0 &+ SIMD2(base, base) })
            for face in 0..<mesh.faceCount {
                for corner in mesh.faceRange(face) { result.cornerVertices.append(mesh.cornerVertices[corner] + base) }
                result.faceOffsets.append(Int32(result.cornerVertices.count))
            }
        }
        guard merge, n > 0 else {
            state = .geometry(result)
            return
        }
        var target = [Int32](repeating: -1, count: result.positions.count)
        var merged = 0
        var exhausted = false
        var work = PointGrid.workBudget
        func mapDoubles(sources: Range<Int>, targets: Range<Int>) {
            var grid = PointGrid(points: result.positions, indices: targets, cellSize: mergeDistance, work: work)
            for source in sources where target[source] < 0 {
                guard let found = grid.nearest(to: result.positions[source], within: mergeDistance),
                      Int(found) != source else { continue }
                target[source] = found
                merged += 1
            }
            exhausted = exhausted || grid.exhausted
            work = grid.remainingWork
        }
        for copy in 1..<count {
            mapDoubles(sources: (copy * n)..<((copy + 1) * n), targets: ((copy - 1) * n)..<(copy * n))
        }
        if flags & mergeFirstLast != 0 {
            mapDoubles(sources: 0..<n, targets: ((count - 1) * n)..<(count * n))
        }
        if exhausted { context.approximate("merges with a distance too large to search exhaustively") }
        state = .geometry(merged == 0 ? result : MeshVertexMerge.merge(result, target: target, policy: .dropIfEqualToExisting))
    }
}
