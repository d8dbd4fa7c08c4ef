/// A primitive's index values, read in place from the file so a large index buffer is never copied.
protocol IndexSource {
    var count: Int { get }
    /// Only called with `0 <= position < count`.
    func index(at position: Int) -> UInt32
}

/// Indices stored as `Element`s every `stride` bytes from `base`; the caller has checked the whole range lies
/// inside the buffer.
struct PackedIndices<Element: FixedWidthInteger & UnsignedInteger>: IndexSource {
    let base: UnsafeRawPointer
    let stride: Int
    let count: Int

    @inline(__always)
    func index(at position: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: base.loadUnaligned(fromByteOffset: position &* stride, as: Element.self))
    }
}

/// Indices decoded into memory (a Draco mesh's faces).
struct DecodedIndices: IndexSource {
    let values: [UInt32]
    var count: Int { values.count }

    @inline(__always)
    func index(at position: Int) -> UInt32 { values[position] }
}

struct PrimitiveCounts: Equatable {
    var vertices = 0
    var triangles = 0
}

/// Counts a glTF primitive the way Blender's glTF importer (3.4, default options) builds it.
///
/// The importer gives each primitive its own vertices, one per distinct index the primitive uses (unused vertices
/// are dropped, identical positions are not merged), turns strips and fans into triangles, and then runs
/// `Mesh.validate()`, which deletes triangles that repeat a vertex and all but one of triangles with the same three
/// vertices. POINTS and LINES modes make vertices (and edges) but no faces.
enum PrimitiveCounter {
    /// A non-indexed primitive: corner i uses vertex i, so every vertex is used once and no triangle repeats one.
    /// Counted without a loop: the count is declared, and may not be backed by any data.
    static func sequential(count: Int, mode: Int) throws -> PrimitiveCounts {
        switch mode {
        case 0, 1, 2, 3: return PrimitiveCounts(vertices: count, triangles: 0)
        case 4: return PrimitiveCounts(vertices: count, triangles: count / 3)
        case 5, 6: return count >= 3 ? PrimitiveCounts(vertices: count, triangles: count - 2) : PrimitiveCounts()
        default: throw MeshInspectionError(.unsupported, "Primitive mode \(mode) is not a glTF 2.0 mode.")
        }
    }

    /// An index accessor without a bufferView, which glTF defines as all zeros: one vertex, and every triangle
    /// degenerate.
    static func zeros(count: Int, mode: Int, positionCount: Int) throws -> PrimitiveCounts {
        let used = try sequential(count: count, mode: mode).vertices > 0
        guard used else { return PrimitiveCounts() }
        guard positionCount > 0 else {
            throw MeshInspectionError(.malformed, "A primitive uses vertex 0, but its POSITION accessor is empty.")
        }
        return PrimitiveCounts(vertices: 1, triangles: 0)
    }

    static func count<Indices: IndexSource>(
        _ indices: Indices, mode: Int, positionCount: Int
    ) throws -> PrimitiveCounts {
        let makesTriangles: Bool
        let usedCount: Int
        switch mode {
        case 0, 1, 2, 3:
            makesTriangles = false
            usedCount = indices.count
        case 4:
            makesTriangles = true
            usedCount = indices.count
        case 5, 6:
            makesTriangles = true
            usedCount = indices.count >= 3 ? indices.count : 0
        default:
            throw MeshInspectionError(.unsupported, "Primitive mode \(mode) is not a glTF 2.0 mode.")
        }
        guard usedCount > 0 else { return PrimitiveCounts() }

        var maxIndex: UInt32 = 0
        for position in 0..<usedCount {
            maxIndex = max(maxIndex, indices.index(at: position))
        }
        guard Int(maxIndex) < positionCount else {
            throw MeshInspectionError(
                .malformed,
                "A primitive uses vertex \(maxIndex), but its POSITION accessor has only \(positionCount) vertices.")
        }
        let vertexSlots = Int(maxIndex) + 1

        var counts = PrimitiveCounts()
        counts.vertices = distinctIndexCount(indices, usedCount: usedCount, slots: vertexSlots)
        if makesTriangles {
            counts.triangles = distinctTriangleCount(indices, mode: mode, slots: vertexSlots)
        }
        return counts
    }

    private static func distinctIndexCount<Indices: IndexSource>(
        _ indices: Indices, usedCount: Int, slots: Int
    ) -> Int {
        var seen = [UInt64](repeating: 0, count: (slots + 63) / 64)
        var distinct = 0
        seen.withUnsafeMutableBufferPointer { seen in
            for position in 0..<usedCount {
                let index = Int(indices.index(at: position))
                let bit: UInt64 = 1 << UInt64(index & 63)
                let word = seen[index >> 6]
                if word & bit == 0 {
                    seen[index >> 6] = word | bit
                    distinct += 1
                }
            }
        }
        return distinct
    }

    @inline(__always)
    private static func forEachTriangle<Indices: IndexSource>(
        _ indices: Indices, mode: Int, _ body: (UInt32, UInt32, UInt32) -> Void
    ) {
        let count = indices.count
        switch mode {
        case 4:
            var corner = 0
            while corner + 3 <= count {
                body(indices.index(at: corner), indices.index(at: corner + 1), indices.index(at: corner + 2))
                corner += 3
            }
        case 5:
            guard count >= 3 else { return }
            for first in 0..<(count - 2) {
                body(indices.index(at: first), indices.index(at: first + 1), indices.index(at: first + 2))
            }
        case 6:
            guard count >= 3 else { return }
            let hub = indices.index(at: 0)
            for first in 1..<(count - 1) {
                body(hub, indices.index(at: first), indices.index(at: first + 1))
            }
        default:
            return
        }
    }

    /// Triangles left after dropping degenerate ones and duplicates (same vertex set, any order).
    ///
    /// Duplicates share their lowest vertex, so triangles are bucketed by it (a counting sort, linear time and
    /// memory) and only each bucket's few entries are compared; real index buffers keep neighbouring triangles on
    /// neighbouring vertices, so the scatter stays mostly cache-local.
    private static func distinctTriangleCount<Indices: IndexSource>(
        _ indices: Indices, mode: Int, slots: Int
    ) -> Int {
        var bucketEnds = [UInt32](repeating: 0, count: slots + 1)
        var valid = 0
        bucketEnds.withUnsafeMutableBufferPointer { ends in
            forEachTriangle(indices, mode: mode) { a, b, c in
                guard a != b, b != c, a != c else { return }
                ends[Int(min(a, b, c)) + 1] &+= 1
                valid += 1
            }
            for slot in 0..<slots {
                ends[slot + 1] &+= ends[slot]
            }
        }
        guard valid > 1 else { return valid }

        // Each triangle's two upper vertices, packed so a bucket sorts as plain integers.
        var keys = [UInt64](repeating: 0, count: valid)
        var distinct = 0
        bucketEnds.withUnsafeMutableBufferPointer { ends in
            keys.withUnsafeMutableBufferPointer { keys in
                forEachTriangle(indices, mode: mode) { a, b, c in
                    guard a != b, b != c, a != c else { return }
                    let low = min(a, b, c)
                    let high = max(a, b, c)
                    let middle = a ^ b ^ c ^ low ^ high
                    let slot = Int(low)
                    keys[Int(ends[slot])] = UInt64(middle) << 32 | UInt64(high)
                    ends[slot] &+= 1
                }
                // After the scatter, ends[v] is where bucket v stops and bucket v + 1 starts.
                var start = 0
                for slot in 0..<slots {
                    let end = Int(ends[slot])
                    let size = end - start
                    if size == 1 {
                        distinct += 1
                    } else if size > 1 {
                        var bucket = UnsafeMutableBufferPointer(rebasing: keys[start..<end])
                        bucket.sort()
                        distinct += 1
                        for position in 1..<size where bucket[position] != bucket[position - 1] {
                            distinct += 1
                        }
                    }
                    start = end
                }
            }
        }
        return distinct
    }
}
