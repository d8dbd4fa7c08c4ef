import Foundation

/// World-space triangles of an OBJ file, from the same pass the counts make (`OBJScan`), which hands over each
/// polygon Blender's importer builds (faces with repeated vertices rebuilt, dropped and duplicate faces left out)
/// as it reads them.
///
/// OBJ has no transforms: vertices are already in the scene's space, Y up by the convention every exporter follows.
/// Faces are split into fans from their first corner, which draws convex polygons exactly and most concave ones
/// closely enough for a picture. The face count is not known before the end of the file, so the kept subset thins
/// itself as it goes (see `TriangleSubset`); corners are kept as vertex indices, resolved once the scan is done.
/// Each triangle also keeps its corners' `vt` indices and its `usemtl` material, which `OBJPreviewMaterials`
/// turns into colours and textures from the bundle's MTL files.
enum OBJGeometry {
    static func extract(
        _ data: Data, resources: SceneResources = .none, limits: InspectionLimits, maxTriangles: Int
    ) throws -> PreviewGeometry {
        var faces = FaceFans(budget: maxTriangles)
        let scan = try OBJReader.scan(data, limits: limits) { pass in
            // A second pass (see `OBJReader.scan`) starts the picture over.
            let fans = FaceFans(budget: maxTriangles)
            faces = fans
            pass.faceSink = { corners in fans.add(corners) }
            pass.faceTextureSink = { coordinates, material in fans.addDetails(coordinates, material: material) }
        }

        let materials = OBJPreviewMaterials.read(scan.usedMaterials, libraries: scan.materialLibraries, resources: resources, limits: limits)
        let layout = PreviewTriangleLayout(
            hasNormals: false, hasTextureCoordinates: !scan.textureCoordinates.isEmpty, hasMaterials: !materials.isEmpty,
            hasEdgeFlags: true)
        var kept = TriangleSubset<Float>(budget: Int.max, width: layout.width)
        let coordinates = scan.coordinates
        let textureCoordinates = scan.textureCoordinates
        kept.offer(faces.subset.count) { triangle, values in
            faces.subset.values.withUnsafeBufferPointer { corners in
                coordinates.withUnsafeBufferPointer { xyz in
                    let row = triangle * FaceFans.width
                    // The scan drops any face referring to a vertex not yet defined, so every index is in range.
                    func point(_ vertex: UInt32) -> SIMD3<Float> {
                        let base = Int(vertex) * 3
                        return SIMD3(xyz[base], xyz[base + 1], xyz[base + 2])
                    }
                    // `vt` has v up the image; previews follow glTF, v down.
                    func uv(_ index: UInt32) -> SIMD2<Float>? {
                        let entry = Int(Int32(bitPattern: index))
                        guard entry >= 0, entry * 2 + 1 < textureCoordinates.count else { return nil }
                        return SIMD2(textureCoordinates[entry * 2], 1 - textureCoordinates[entry * 2 + 1])
                    }
                    var uvs: (SIMD2<Float>, SIMD2<Float>, SIMD2<Float>)?
                    if let a = uv(corners[row + 3]), let b = uv(corners[row + 4]), let c = uv(corners[row + 5]) { uvs = (a, b, c) }
                    layout.append(
                        point(corners[row]), point(corners[row + 1]), point(corners[row + 2]), normals: nil, coordinates: uvs,
                        material: corners[row + 6], edges: corners[row + 7], to: &values)
                }
            }
        }
        var geometry = layout.geometry(kept, materials: materials)
        geometry.sourceTriangleCount = faces.subset.offered
        return geometry
    }
}

/// Collects fan triangles of the faces `OBJScan` reads; a class because the scan calls it through a closure.
/// Each triangle is eight values: three vertex indices, three `vt` indices (-1 as a bit pattern for none), the
/// material ordinal (-1 for none) and its interior-edge bits.
private final class FaceFans {
    static let width = 8
    var subset: TriangleSubset<UInt32>
    private var pending: [UInt32] = []

    init(budget: Int) {
        subset = TriangleSubset(budget: budget, width: Self.width)
    }

    func add(_ corners: UnsafeBufferPointer<UInt32>) {
        pending.removeAll(keepingCapacity: true)
        pending.append(contentsOf: corners)
    }

    /// Called right after `add` with the same face's texture-coordinate indices and material.
    func addDetails(_ coordinates: UnsafeBufferPointer<Int32>, material: Int) {
        let corners = pending
        guard corners.count >= 3 else { return }
        subset.offer(corners.count - 2) { triangle, values in
            func coordinate(_ corner: Int) -> UInt32 {
                corner < coordinates.count ? UInt32(bitPattern: coordinates[corner]) : UInt32.max
            }
            values.append(corners[0])
            values.append(corners[triangle + 1])
            values.append(corners[triangle + 2])
            values.append(coordinate(0))
            values.append(coordinate(triangle + 1))
            values.append(coordinate(triangle + 2))
            values.append(UInt32(bitPattern: Int32(truncatingIfNeeded: material)))
            values.append(PreviewTriangleLayout.fanEdges(triangle, of: corners.count - 2))
        }
    }
}
