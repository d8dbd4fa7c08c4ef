import Foundation

/// How an extractor packs one triangle's values into a `TriangleSubset<Float>` when it has more than positions to
/// give: nine coordinates, then (if present) nine normal components, six texture coordinates and the material
/// index's bit pattern. Keeping them in one row means decimation keeps or drops a triangle's values together.
struct PreviewTriangleLayout {
    var hasNormals: Bool
    var hasTextureCoordinates: Bool
    var hasMaterials: Bool
    /// Whether each row ends with the triangle's interior-edge bits (`PreviewGeometry.interiorEdges`).
    var hasEdgeFlags = false

    static let positionsOnly = PreviewTriangleLayout(hasNormals: false, hasTextureCoordinates: false, hasMaterials: false)

    var width: Int {
        9 + (hasNormals ? 9 : 0) + (hasTextureCoordinates ? 6 : 0) + (hasMaterials ? 1 : 0) + (hasEdgeFlags ? 1 : 0)
    }

    /// Interior-edge bits of fan triangle `index` (0-based) of a polygon split into `count` fan triangles
    /// (corners 0, index + 1, index + 2): its edge from corner 0 is inside unless it is the first triangle, its
    /// edge back to corner 0 unless it is the last.
    @inline(__always)
    static func fanEdges(_ index: Int, of count: Int) -> UInt32 {
        (index > 0 ? 1 : 0) | (index < count - 1 ? 4 : 0)
    }

    /// Appends a triangle and the attributes the layout has room for, unless a coordinate is NaN or infinite.
    /// Missing attributes are written as NaN (normals, coordinates) so the renderer knows to do without them.
    @inline(__always)
    func append(
        _ a: SIMD3<Float>, _ b: SIMD3<Float>, _ c: SIMD3<Float>,
        normals: (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)?, coordinates: (SIMD2<Float>, SIMD2<Float>, SIMD2<Float>)?,
        material: UInt32, edges: UInt32 = 0, to values: inout [Float]
    ) {
        let before = values.count
        TriangleSubset<Float>.append(a, b, c, to: &values)
        guard values.count > before else { return }
        if hasNormals {
            if let (na, nb, nc) = normals {
                for n in [na, nb, nc] { values.append(n.x); values.append(n.y); values.append(n.z) }
            } else {
                for _ in 0..<9 { values.append(.nan) }
            }
        }
        if hasTextureCoordinates {
            if let (ta, tb, tc) = coordinates {
                for t in [ta, tb, tc] { values.append(t.x); values.append(t.y) }
            } else {
                for _ in 0..<6 { values.append(.nan) }
            }
        }
        if hasMaterials { values.append(Float(bitPattern: material)) }
        if hasEdgeFlags { values.append(Float(bitPattern: edges)) }
    }

    /// Splits the rows of a subset built with this layout into `PreviewGeometry`'s arrays.
    func geometry(_ subset: TriangleSubset<Float>, materials: [PreviewMaterial]) -> PreviewGeometry {
        let width = self.width
        guard width > 9 else { return subset.geometry() }
        let count = subset.count
        var positions = [Float](), normals = [Float](), coordinates = [Float](), indices = [UInt32](), edges = [UInt8]()
        positions.reserveCapacity(count * 9)
        if hasNormals { normals.reserveCapacity(count * 9) }
        if hasTextureCoordinates { coordinates.reserveCapacity(count * 6) }
        if hasMaterials { indices.reserveCapacity(count) }
        if hasEdgeFlags { edges.reserveCapacity(count) }
        subset.values.withUnsafeBufferPointer { values in
            for triangle in 0..<count {
                var offset = triangle * width
                positions.append(contentsOf: values[offset..<(offset + 9)]); offset += 9
                if hasNormals { normals.append(contentsOf: values[offset..<(offset + 9)]); offset += 9 }
                if hasTextureCoordinates { coordinates.append(contentsOf: values[offset..<(offset + 6)]); offset += 6 }
                if hasMaterials { indices.append(values[offset].bitPattern); offset += 1 }
                if hasEdgeFlags { edges.append(UInt8(truncatingIfNeeded: values[offset].bitPattern & 7)) }
            }
        }
        var geometry = PreviewGeometry(
            positions: positions, sourceTriangleCount: subset.offered, normals: hasNormals ? normals : nil,
            textureCoordinates: hasTextureCoordinates ? coordinates : nil, materialIndices: hasMaterials ? indices : nil,
            materials: materials)
        if hasEdgeFlags, edges.count == count { geometry.interiorEdges = edges }
        return geometry
    }
}
