import Foundation

/// World-space triangles of an OBJ file, from the same pass the counts make (`OBJScan`), which hands over each
/// polygon Blender's importer builds (faces with repeated vertices rebuilt, dropped and duplicate faces left out)
/// as it reads them.
///
/// OBJ has no transforms: vertices are already in the scene's space, Y up by the convention every exporter follows.
/// Faces are split into fans from their first corner, which draws convex polygons exactly and most concave ones
/// closely enough for a picture. The face count is not known before the end of the file, so the kept subset thins
/// itself as it goes (see `TriangleSubset`); corners are kept as vertex indices, resolved once the scan is done.
enum OBJGeometry {
    static func extract(_ data: Data, limits: InspectionLimits, maxTriangles: Int) throws -> PreviewGeometry {
        var faces = FaceFans(budget: maxTriangles)
        let scan = try OBJReader.scan(data, limits: limits) {
            // A second pass (see `OBJReader.scan`) starts the picture over.
            let pass = FaceFans(budget: maxTriangles)
            faces = pass
            return { corners in pass.add(corners) }
        }

        let coordinates = scan.coordinates
        var positions: [Float] = []
        positions.reserveCapacity(faces.subset.count * 9)
        faces.subset.values.withUnsafeBufferPointer { corners in
            coordinates.withUnsafeBufferPointer { xyz in
                var corner = 0
                while corner + 2 < corners.count {
                    // The scan drops any face referring to a vertex not yet defined, so every index is in range.
                    func point(_ vertex: UInt32) -> SIMD3<Float> {
                        let base = Int(vertex) * 3
                        return SIMD3(xyz[base], xyz[base + 1], xyz[base + 2])
                    }
                    TriangleSubset<Float>.append(
                        point(corners[corner]), point(corners[corner + 1]), point(corners[corner + 2]), to: &positions)
                    corner += 3
                }
            }
        }
        return PreviewGeometry(positions: positions, sourceTriangleCount: faces.subset.offered)
    }
}

/// Collects fan triangles of the faces `OBJScan` reads; a class because the scan calls it through a closure.
private final class FaceFans {
    var subset: TriangleSubset<UInt32>

    init(budget: Int) {
        subset = TriangleSubset(budget: budget, width: 3)
    }

    func add(_ corners: UnsafeBufferPointer<UInt32>) {
        subset.offer(corners.count - 2) { triangle, values in
            values.append(corners[0])
            values.append(corners[triangle + 1])
            values.append(corners[triangle + 2])
        }
    }
}
