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

        // Pass one: faces (areas, used vertices) and how many edges start at each welded vertex; pass two files
        // every edge under its lower vertex. Sequential passes over flat arrays rather than a hash table: an
        // edge table probed at random costs a cache miss per corner on a million-face mesh.
        var buckets = EdgeBuckets(vertexCount: vertexCount)
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
                        let origin = SIMD3<Double>(Double(p[first * 3]), Double(p[first * 3 + 1]), Double(p[first * 3 + 2]))
                        for i in 0..<n {
                            let va = Int(corners[start + i])
                            let vb = Int(corners[start + (i + 1 == n ? 0 : i + 1)])
                            used[va] = true
                            let a = w[va], b = w[vb]
                            if a != b { buckets.count(a, b) }
                            let pa = SIMD3<Double>(Double(p[va * 3]), Double(p[va * 3 + 1]), Double(p[va * 3 + 2])) - origin
                            let pb = SIMD3<Double>(Double(p[vb * 3]), Double(p[vb * 3 + 1]), Double(p[vb * 3 + 2])) - origin
                            normal += SIMD3(pa.y * pb.z - pa.z * pb.y, pa.z * pb.x - pa.x * pb.z, pa.x * pb.y - pa.y * pb.x)
                        }
                        let area = ((normal * normal).sum()).squareRoot() / 2
                        if !(area > areaFloor) { result.zeroAreaFaces += 1 }
                    }
                }
            }
        }
        func forEachLoneEdge(_ body: (UInt32, UInt32) -> Void) {
            var i = 0
            while i + 1 < mesh.edges.count {
                let va = Int(mesh.edges[i]), vb = Int(mesh.edges[i + 1])
                i += 2
                guard va < vertexCount, vb < vertexCount else { continue }
                used[va] = true
                used[vb] = true
                let a = welded[va], b = welded[vb]
                if a != b { body(a, b) }
            }
        }
        forEachLoneEdge { buckets.count($0, $1) }
        buckets.prepare()
        mesh.corners.withUnsafeBufferPointer { corners in
            welded.withUnsafeBufferPointer { w in
                var start = 0
                for size in mesh.faceSizes {
                    let n = Int(size)
                    guard n > 0, start + n <= corners.count else { break }
                    defer { start += n }
                    var valid = true
                    for i in 0..<n where Int(corners[start + i]) >= vertexCount { valid = false }
                    guard valid else { continue }
                    for i in 0..<n {
                        let a = w[Int(corners[start + i])], b = w[Int(corners[start + (i + 1 == n ? 0 : i + 1)])]
                        if a != b { buckets.add(a, b, tag: a < b ? EdgeBuckets.forward : EdgeBuckets.backward) }
                    }
                }
            }
        }
        forEachLoneEdge { buckets.add($0, $1, tag: EdgeBuckets.lone) }
        let counts = buckets.summary()
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
                        let hash = mix(UInt64(x) << 32 | UInt64(y)) ^ mix(UInt64(z) &+ 0x9E37_79B9_7F4A_7C15)
                        var slot = Int(truncatingIfNeeded: hash) & mask
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

    /// SplitMix64's finaliser: every input bit reaches every output bit, so the low bits a table uses are well
    /// spread even for keys that differ only in a few high bits (vertex numbers packed into 64 bits).
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A power of two at least 1.5× `count` (and 16), for a linear-probing table that stays under two-thirds full.
    static func tableCapacity(for count: Int) -> Int {
        var capacity = 16
        while capacity < count + count / 2 { capacity <<= 1 }
        return capacity
    }
}

/// Every edge filed under its lower (welded) vertex, with the higher vertex and how it was met: a face running
/// from the lower vertex to the higher (`forward`), the other way (`backward`), or an edge stated on its own
/// (`lone`). A counting sort: `count` every edge, `prepare`, then `add` every edge again in any order.
///
/// A manifold edge between consistently wound faces is met twice, once each way.
private struct EdgeBuckets {
    static let backward: UInt64 = 0
    static let forward: UInt64 = 1
    static let lone: UInt64 = 2

    /// Before `prepare`: at `v + 2`, the edges whose lower vertex is `v`. After the `add`s: bucket `v` is
    /// `starts[v] ..< starts[v + 1]`.
    private var starts: [UInt32]
    private var entries: [UInt64] = []

    init(vertexCount: Int) {
        starts = [UInt32](repeating: 0, count: vertexCount + 2)
    }

    @inline(__always)
    mutating func count(_ a: UInt32, _ b: UInt32) {
        starts[Int(Swift.min(a, b)) + 2] &+= 1
    }

    mutating func prepare() {
        starts.withUnsafeMutableBufferPointer { s in
            var total: UInt32 = 0
            for i in 0..<s.count {
                total &+= s[i]
                s[i] = total
            }
        }
        entries = [UInt64](repeating: 0, count: Int(starts.last ?? 0))
    }

    @inline(__always)
    mutating func add(_ a: UInt32, _ b: UInt32, tag: UInt64) {
        let bucket = Int(Swift.min(a, b)) + 1
        let position = Int(starts[bucket])
        guard position < entries.count else { return }
        entries[position] = UInt64(Swift.max(a, b)) << 2 | tag
        starts[bucket] = UInt32(position + 1)
    }

    mutating func summary() -> (nonManifold: Int, boundary: Int, inconsistent: Int, loose: Int) {
        var nonManifold = 0, boundary = 0, inconsistent = 0, loose = 0
        let starts = self.starts
        entries.withUnsafeMutableBufferPointer { entries in
            for v in 0..<(starts.count - 2) {
                let begin = Int(starts[v]), end = Int(starts[v + 1])
                guard begin < end else { continue }
                var bucket = UnsafeMutableBufferPointer(rebasing: entries[begin..<end])
                if bucket.count > 1 {
                    if bucket.count <= 16 {
                        // Insertion sort: buckets are a vertex's few edges.
                        for i in 1..<bucket.count {
                            let value = bucket[i]
                            var j = i
                            while j > 0, bucket[j - 1] > value {
                                bucket[j] = bucket[j - 1]
                                j -= 1
                            }
                            bucket[j] = value
                        }
                    } else {
                        bucket.sort()
                    }
                }
                var i = 0
                while i < bucket.count {
                    let other = bucket[i] >> 2
                    var faces = 0, forward = 0, stated = false
                    while i < bucket.count, bucket[i] >> 2 == other {
                        switch bucket[i] & 3 {
                        case Self.forward: faces += 1; forward += 1
                        case Self.backward: faces += 1
                        default: stated = true
                        }
                        i += 1
                    }
                    switch faces {
                    case 0: if stated { loose += 1 }
                    case 1: boundary += 1
                    case 2: if forward != 1 { inconsistent += 1 }
                    default: nonManifold += 1
                    }
                }
            }
        }
        return (nonManifold, boundary, inconsistent, loose)
    }
}
