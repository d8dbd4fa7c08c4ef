import Foundation

/// One mesh as the quality checks read it, in flat arrays: what each format's extractor fills in from its own
/// parser, and all `MeshTopology` and `UVCoverage` need. Positions are in the mesh's own space.
struct QualityMesh {
    /// x, y, z per vertex.
    var positions: [Float] = []
    /// Corners of each face, in order.
    var faceSizes: [UInt32] = []
    /// The vertex of each corner, face after face.
    var corners: [UInt32] = []
    /// Edges stated on their own (OBJ `l`, glTF lines, .blend edges), two vertices each; those no face uses are
    /// loose.
    var edges: [UInt32] = []
    /// The vertices that exist on their own (glTF points, an OBJ point cloud); nil when every vertex of
    /// `positions` is part of the mesh whether used or not (FBX control points, .blend vertices).
    var pointVertices: [UInt32]?
    /// u, v per corner for each UV map, aligned with `corners`.
    var uvSets: [[Float]] = []
    var hasNormals = false
    var hasVertexColors = false

    var vertexCount: Int { positions.count / 3 }
}

/// Where a mesh is placed: its world matrix (3×4), without the file-wide unit and axis conversion, so a rotation
/// or scale left on the object shows.
struct QualityPlacement {
    /// Index into the scene's meshes.
    var mesh: Int
    /// The object's matrix as Blender's importer leaves it (its origin and its rotation and scale).
    var world: AffineTransform
    /// Mesh space to object space: FBX geometric transforms, which Blender bakes into the mesh.
    var geometric: AffineTransform = .identity
}

/// Everything a format extractor hands the checks.
struct QualityScene {
    var meshes: [QualityMesh] = []
    var placements: [QualityPlacement] = []
    var textures: [TextureInfo] = []
    /// False where the format stores only triangles (glTF), so n-gons are not reported at all.
    var keepsPolygons = true
    /// Metres per file unit; nil when the format does not say (OBJ).
    var metresPerUnit: Double?
}
