import Foundation

/// Edge and vertex topology of one mesh, as Blender's "Select Non-Manifold" and "Select Loose" see it once the
/// mesh's vertices are merged by exact position (glTF and OBJ split vertices along UV seams; merging them first
/// keeps a seam from looking like a hole).
///
/// Everything is flat arrays and open-addressing hash tables sized from the mesh's own counts: no object per edge,
/// linear time, memory a small multiple of the corner count.
struct MeshTopology: Equatable {
    var nonManifoldEdges = 0
    var boundaryEdges = 0
    var inconsistentWindingEdges = 0
    var looseVertices = 0
    var looseEdges = 0
    var zeroAreaFaces = 0
    var ngons = 0
    var faces = 0
    /// Box of the vertices, in the mesh's space; nil when it has no finite vertex.
    var low: SIMD3<Float>?
    var high: SIMD3<Float>?

    /// Faces whose area is below this share of the square of the mesh's size count as having none.
    static let zeroAreaTolerance: Double = 1e-12

    static func analyze(_ mesh: QualityMesh) -> MeshTopology {
        var result = MeshTopology()
        let vertexCount = mesh.vertexCount
        let welded = weld(mesh.positions, count: vertexCount)
        var used = [Bool](repeating: false, count: vertexCount)

        // Box, for the zero-area tolerance and for placement.
        var low = SIMD3<Float>(repeating: .infinity)
        var high = SIMD3<Float>(repeating: -.infinity)
        mesh.positions.withUnsafeBufferPointer { p in
            for v in 0..<vertexCount {
                let point = SIMD3(p[v * 3], p[v * 3 + 1], p[v * 3 + 2])
                guard point.x.isFinite, point.y.isFinite, point.z.isFinite else { continue }
                low = pointwiseMin(low, point)
                high = pointwiseMax(high, point)
            }
        }
        if low.x.isFinite {
            result.low = low
            result.high = high
        }
        let extent = low.x.isFinite ? Double((high - low).max()) : 0
        let areaFloor = extent * extent * zeroAreaTolerance

        var edges = EdgeTable(expected: mesh.corners.count + mesh.edges.count / 2)
        mesh.positions.withUnsafeBufferPointer { p in
            mesh.corners.withUnsafeBufferPointer { corners in
                welded.withUnsafeBufferPointer { w in
                    var start = 0
                    for size in mesh.faceSizes {
                        let n = Int(size)
                        guard n > 0, start + n <= corners.count else { break }
                        defer { start += n }
                        // Extractors check indices; a face that still points past the vertices is left out.
                        var valid = true
                        for i in 0..<n where Int(corners[start + i]) >= vertexCount { valid = false }
                        guard valid else { continue }
                        result.faces += 1
                        if n > 4 { result.ngons += 1 }
                        // Newell's normal: twice the area vector of any planar or near-planar polygon.
                        var normal = SIMD3<Double>()
                        let first = Int(corners[start])
                        for i in 0..<n {
                            let va = Int(corners[start + i])
                            let vb = Int(corners[start + (i + 1) % n])
                            used[va] = true
                            let a = w[va], b = w[vb]
                            if a != b { edges.addFaceEdge(a, b) }
                            let pa = SIMD3<Double>(Double(p[va * 3]), Double(p[va * 3 + 1]), Double(p[va * 3 + 2]))
                                - SIMD3<Double>(Double(p[first * 3]), Double(p[first * 3 + 1]), Double(p[first * 3 + 2]))
                            let pb = SIMD3<Double>(Double(p[vb * 3]), Double(p[vb * 3 + 1]), Double(p[vb * 3 + 2]))
                                - SIMD3<Double>(Double(p[first * 3]), Double(p[first * 3 + 1]), Double(p[first * 3 + 2]))
                            normal += SIMD3(pa.y * pb.z - pa.z * pb.y, pa.z * pb.x - pa.x * pb.z, pa.x * pb.y - pa.y * pb.x)
                        }
                        let area = ((normal * normal).sum()).squareRoot() / 2
                        if !(area > areaFloor) { result.zeroAreaFaces += 1 }
                    }
                }
            }
        }
        var loneEdges = 0
        welded.withUnsafeBufferPointer { w in
            var i = 0
            while i + 1 < mesh.edges.count {
                let va = Int(mesh.edges[i]), vb = Int(mesh.edges[i + 1])
                i += 2
                guard va < vertexCount, vb < vertexCount else { continue }
                used[va] = true
                used[vb] = true
                let a = w[va], b = w[vb]
                if a != b, edges.addLoneEdge(a, b) { loneEdges += 1 }
            }
        }
        let counts = edges.summary()
        result.nonManifoldEdges = counts.nonManifold
        result.boundaryEdges = counts.boundary
        result.inconsistentWindingEdges = counts.inconsistent
        result.looseEdges = counts.loose

        // A welded vertex is used when any of the vertices merged into it is.
        var weldedUsed = [Bool](repeating: false, count: vertexCount)
        for v in 0..<vertexCount where used[v] { weldedUsed[Int(welded[v])] = true }
        var counted = [Bool](repeating: false, count: vertexCount)
        func countLoose(_ v: Int) {
            let id = Int(welded[v])
            if !weldedUsed[id], !counted[id] {
                counted[id] = true
                result.looseVertices += 1
            }
        }
        if let points = mesh.pointVertices {
            for v in points where Int(v) < vertexCount { countLoose(Int(v)) }
        } else {
            for v in 0..<vertexCount { countLoose(v) }
        }
        return result
    }

    /// For each vertex, the lowest-numbered vertex at exactly the same position (-0 and 0 are the same).
    static func weld(_ positions: [Float], count: Int) -> [UInt32] {
        var result = [UInt32](repeating: 0, count: count)
        let capacity = tableCapacity(for: count)
        let mask = capacity - 1
        var table = [UInt32](repeating: UInt32.max, count: capacity)
        positions.withUnsafeBufferPointer { p in
            table.withUnsafeMutableBufferPointer { slots in
                result.withUnsafeMutableBufferPointer { out in
                    for v in 0..<count {
                        // Adding 0 turns -0 into +0, so both hash and compare alike.
                        let x = (p[v * 3] + 0).bitPattern, y = (p[v * 3 + 1] + 0).bitPattern, z = (p[v * 3 + 2] + 0).bitPattern
                        var hash = UInt64(x) &* 0x9E37_79B9_7F4A_7C15
                        hash = (hash ^ UInt64(y)) &* 0xC2B2_AE3D_27D4_EB4F
                        hash = (hash ^ UInt64(z)) &* 0x1656_67B1_9E37_79F9
                        var slot = Int(truncatingIfNeeded: hash >> 20) & mask
                        while true {
                            let other = slots[slot]
                            if other == UInt32.max {
                                slots[slot] = UInt32(v)
                                out[v] = UInt32(v)
                                break
                            }
                            let o = Int(other)
                            if (p[o * 3] + 0).bitPattern == x, (p[o * 3 + 1] + 0).bitPattern == y, (p[o * 3 + 2] + 0).bitPattern == z {
                                out[v] = other
                                break
                            }
                            slot = (slot + 1) & mask
                        }
                    }
                }
            }
        }
        return result
    }

    /// A power of two at least 1.5× `count` (and 16), for a linear-probing table that stays under two-thirds full.
    static func tableCapacity(for count: Int) -> Int {
        var capacity = 16
        while capacity < count + count / 2 { capacity <<= 1 }
        return capacity
    }
}

/// Undirected edges keyed by their two (welded) vertices, counting the faces on each and how many of them run
/// from the lower-numbered vertex to the higher: a manifold edge between consistently wound faces has two faces,
/// one each way.
private struct EdgeTable {
    private var keys: [UInt64]
    /// Low 16 bits: faces on the edge (saturating); high 16 bits: faces running low → high (saturating). Bit 15 of
    /// the low half is never reached by the saturation, so it marks an edge stated on its own.
    private var counts: [UInt32]
    private let mask: Int
    private static let empty = UInt64.max
    private static let loneFlag: UInt32 = 0x8000

    init(expected: Int) {
        let capacity = MeshTopology.tableCapacity(for: expected)
        keys = [UInt64](repeating: Self.empty, count: capacity)
        counts = [UInt32](repeating: 0, count: capacity)
        mask = capacity - 1
    }

    @inline(__always)
    private mutating func slot(_ a: UInt32, _ b: UInt32) -> Int {
        let key = UInt64(Swift.min(a, b)) << 32 | UInt64(Swift.max(a, b))
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 24) & mask
        return keys.withUnsafeMutableBufferPointer { keys in
            while true {
                let stored = keys[slot]
                if stored == key { return slot }
                if stored == Self.empty {
                    keys[slot] = key
                    return slot
                }
                slot = (slot + 1) & mask
            }
        }
    }

    @inline(__always)
    mutating func addFaceEdge(_ a: UInt32, _ b: UInt32) {
        let index = slot(a, b)
        var value = counts[index]
        if value & 0x7FFF < 0x7FFF { value += 1 }
        if a < b, value >> 16 < 0x7FFF { value += 1 << 16 }
        counts[index] = value
    }

    /// Marks an edge stated on its own; true the first time that edge is stated.
    mutating func addLoneEdge(_ a: UInt32, _ b: UInt32) -> Bool {
        let index = slot(a, b)
        guard counts[index] & Self.loneFlag == 0 else { return false }
        counts[index] |= Self.loneFlag
        return true
    }

    func summary() -> (nonManifold: Int, boundary: Int, inconsistent: Int, loose: Int) {
        var nonManifold = 0, boundary = 0, inconsistent = 0, loose = 0
        for index in 0..<keys.count where keys[index] != Self.empty {
            let value = counts[index]
            let faces = value & 0x7FFF
            let forward = value >> 16
            switch faces {
            case 0: if value & Self.loneFlag != 0 { loose += 1 }
            case 1: boundary += 1
            case 2: if forward != 1 { inconsistent += 1 }
            default: nonManifold += 1
            }
        }
        return (nonManifold, boundary, inconsistent, loose)
    }
}
