import Foundation

/// Per-corner normals for shading: the file's own where it gave them, otherwise smoothed the way Blender's
/// auto smooth does — a corner takes the area-weighted average of the faces around its vertex whose normals are
/// within `maxAngle` of its own face's, so curved surfaces look round and creases (a cube's edges) stay sharp.
///
/// The triangles are world-space soup, so vertices are found again by welding corners with bit-identical
/// positions: every reader emits a shared vertex as the same floats, so this recovers the file's connectivity
/// without asking each format for it.
///
/// Only the triangles a view shows are shaded, so only they are computed, and only among themselves: a hidden
/// neighbour (behind the silhouette, or too small to cover a sample) does not bend a visible corner's normal,
/// which changes nothing a picture can show and halves the work on a closed model.
struct SmoothNormals {
    /// For each triangle of the geometry, its row in `normals`, or -1 when it was not computed.
    let slot: [Int32]
    /// Nine floats per computed triangle, unit length (zero for a face without area).
    let normals: [Float]

    /// `triangles` lists the triangles to compute, in increasing order.
    init(positions: UnsafeBufferPointer<Float>, fileNormals: [Float]?, maxAngleDegrees: Float, triangles: [Int32]) {
        var slot = [Int32](repeating: -1, count: positions.count / 9)
        for (row, triangle) in triangles.enumerated() { slot[Int(triangle)] = Int32(row) }
        self.slot = slot
        normals = Self.cornerNormals(positions: positions, fileNormals: fileNormals, maxAngleDegrees: maxAngleDegrees, triangles: triangles)
    }

    @inline(__always)
    func corners(of triangle: Int) -> (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)? {
        let row = Int(slot[triangle])
        guard row >= 0 else { return nil }
        return normals.withUnsafeBufferPointer { n in
            let base = row * 9
            return (SIMD3(n[base], n[base + 1], n[base + 2]), SIMD3(n[base + 3], n[base + 4], n[base + 5]),
                    SIMD3(n[base + 6], n[base + 7], n[base + 8]))
        }
    }

    private static func cornerNormals(
        positions: UnsafeBufferPointer<Float>, fileNormals: [Float]?, maxAngleDegrees: Float, triangles: [Int32]
    ) -> [Float] {
        let triangleCount = triangles.count
        var result = [Float](repeating: 0, count: triangleCount * 9)
        var faces = [SIMD4<Float>](repeating: .zero, count: triangleCount)
        var needed = 0
        result.withUnsafeMutableBufferPointer { out in
            for row in 0..<triangleCount {
                let base = Int(triangles[row]) * 9
                let a = SIMD3(positions[base], positions[base + 1], positions[base + 2])
                let b = SIMD3(positions[base + 3], positions[base + 4], positions[base + 5])
                let c = SIMD3(positions[base + 6], positions[base + 7], positions[base + 8])
                let face = simdCross(b - a, c - a)
                let length = (face * face).sum().squareRoot()
                let unit = length > 0 && length.isFinite ? face / length : SIMD3<Float>.zero
                // Unit normal and area weight.
                faces[row] = SIMD4(unit, length.isFinite ? length : 0)
                let outBase = row * 9
                if let fileNormals, fileNormals[base].isFinite {
                    for corner in 0..<3 {
                        let offset = base + corner * 3
                        var normal = SIMD3(fileNormals[offset], fileNormals[offset + 1], fileNormals[offset + 2])
                        let normalLength = (normal * normal).sum().squareRoot()
                        normal = normalLength > 1e-12 && normalLength.isFinite ? normal / normalLength : unit
                        out[outBase + corner * 3] = normal.x; out[outBase + corner * 3 + 1] = normal.y
                        out[outBase + corner * 3 + 2] = normal.z
                    }
                } else {
                    needed += 1
                    for corner in 0..<3 {
                        out[outBase + corner * 3] = unit.x; out[outBase + corner * 3 + 1] = unit.y
                        out[outBase + corner * 3 + 2] = unit.z
                    }
                }
            }
        }
        guard needed > 0, maxAngleDegrees > 0, triangleCount < Int(Int32.max) / 3 else { return result }
        let threshold = cos(Swift.min(maxAngleDegrees, 180) * Float.pi / 180)

        // Weld: corners with the same position (bits, -0 folded into +0) become one vertex, numbered in order of
        // first appearance. The table grows with the vertices, so a closed mesh's table stays small and in cache.
        let cornerCount = triangleCount * 3
        var vertexPositions: [SIMD3<Float>] = []
        var cornerVertex = [Int32](repeating: 0, count: cornerCount)
        var capacity = 1024
        var table = [Int32](repeating: -1, count: capacity)
        @inline(__always) func hash(_ point: SIMD3<Float>) -> Int {
            var value = UInt64(point.x.bitPattern) &* 0x9E37_79B9_7F4A_7C15
            value = (value ^ UInt64(point.y.bitPattern)) &* 0xC2B2_AE3D_27D4_EB4F
            value = (value ^ UInt64(point.z.bitPattern)) &* 0x1656_67B1_9E37_79F9
            return Int(truncatingIfNeeded: value >> 24)
        }
        for corner in 0..<cornerCount {
            let base = Int(triangles[corner / 3]) * 9 + corner % 3 * 3
            let point = SIMD3(positions[base] + 0, positions[base + 1] + 0, positions[base + 2] + 0)
            if vertexPositions.count * 2 >= capacity {
                capacity *= 2
                table = [Int32](repeating: -1, count: capacity)
                let mask = capacity - 1
                table.withUnsafeMutableBufferPointer { table in
                    for (vertex, known) in vertexPositions.enumerated() {
                        var slot = hash(known) & mask
                        while table[slot] >= 0 { slot = (slot + 1) & mask }
                        table[slot] = Int32(vertex)
                    }
                }
            }
            let mask = capacity - 1
            var slot = hash(point) & mask
            let vertex: Int32 = table.withUnsafeMutableBufferPointer { table in
                while true {
                    let other = table[slot]
                    if other < 0 {
                        table[slot] = Int32(vertexPositions.count)
                        vertexPositions.append(point)
                        return table[slot]
                    }
                    let known = vertexPositions[Int(other)]
                    if known.x.bitPattern == point.x.bitPattern, known.y.bitPattern == point.y.bitPattern,
                       known.z.bitPattern == point.z.bitPattern {
                        return other
                    }
                    slot = (slot + 1) & mask
                }
            }
            cornerVertex[corner] = vertex
        }
        table = []
        // Corners grouped by vertex: `start[v]..<start[v + 1]` in `members`.
        let vertexCount = vertexPositions.count
        vertexPositions = []
        var start = [Int32](repeating: 0, count: vertexCount + 1)
        for corner in 0..<cornerCount { start[Int(cornerVertex[corner]) + 1] += 1 }
        for index in 0..<vertexCount { start[index + 1] += start[index] }
        var members = [Int32](repeating: 0, count: cornerCount)
        var cursor = start
        for corner in 0..<cornerCount {
            let vertex = Int(cornerVertex[corner])
            members[Int(cursor[vertex])] = Int32(corner)
            cursor[vertex] += 1
        }
        cursor = []

        result.withUnsafeMutableBufferPointer { out in
            for row in 0..<triangleCount {
                if let fileNormals, fileNormals[Int(triangles[row]) * 9].isFinite { continue }
                let own = SIMD3(faces[row].x, faces[row].y, faces[row].z)
                guard own != .zero else { continue }
                for corner in (row * 3)..<(row * 3 + 3) {
                    let vertex = Int(cornerVertex[corner])
                    var sum = SIMD3<Float>.zero
                    for member in Int(start[vertex])..<Int(start[vertex + 1]) {
                        let face = faces[Int(members[member]) / 3]
                        let unit = SIMD3(face.x, face.y, face.z)
                        if (unit * own).sum() >= threshold { sum += unit * face.w }
                    }
                    let length = (sum * sum).sum().squareRoot()
                    let normal = length > 0 && length.isFinite ? sum / length : own
                    out[corner * 3] = normal.x; out[corner * 3 + 1] = normal.y; out[corner * 3 + 2] = normal.z
                }
            }
        }
        return result
    }
}
