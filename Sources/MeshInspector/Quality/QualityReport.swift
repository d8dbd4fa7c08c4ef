import Foundation

/// A marketplace quality check of one uploaded model, in the spirit of TurboSquid's CheckMate and CGTrader's
/// validator: topology, UVs, materials and textures, size and placement, each finding worded for the creator.
///
/// Verdict rules (`QualityRules.findings`):
/// - **fail**: edges shared by more than two faces (`non_manifold_edges`), neighbouring faces wound in opposite
///   directions (`inconsistent_winding`), textures the file refers to but does not contain (`missing_textures`).
/// - **warn**: holes (`boundary_edges`), loose vertices or edges (`loose_geometry`), faces without area
///   (`zero_area_faces`), faces of more than four corners (`ngons`), no UV map (`no_uvs`), UVs outside the 0–1
///   square unless they look like UDIM tiles (`uv_outside_unit`), more than 5% of the UV area used twice
///   (`uv_overlap`), rotated or scaled mesh objects (`unapplied_transforms`), an origin further from its geometry's
///   centre than the geometry is large (`pivot_far`), no materials (`no_materials`), and a model smaller than 1 mm
///   or larger than 1 km (`huge_or_tiny`, only when the file's units are known).
/// - **pass** otherwise; the report's verdict is the worst of its findings.
public struct QualityReport: Codable, Sendable, Equatable {
    public enum Verdict: String, Codable, Sendable, Comparable {
        case pass, warn, fail

        private var rank: Int {
            switch self {
            case .pass: 0
            case .warn: 1
            case .fail: 2
            }
        }

        public static func < (lhs: Verdict, rhs: Verdict) -> Bool { lhs.rank < rhs.rank }
    }

    public struct Finding: Codable, Sendable, Equatable {
        /// Stable id, e.g. "non_manifold_edges"; see `QualityReport` for the list.
        public var check: String
        public var verdict: Verdict
        public var message: String

        public init(check: String, verdict: Verdict, message: String) {
            self.check = check
            self.verdict = verdict
            self.message = message
        }
    }

    /// Worst of the findings; pass when there are none.
    public var verdict: Verdict = .pass
    public var findings: [Finding] = []

    // Topology: vertices welded by exact position within each mesh, every counted mesh once.
    /// Edges used by more than two faces.
    public var nonManifoldEdges = 0
    /// Edges used by one face: the rims of holes.
    public var boundaryEdges = 0
    /// Edges between two faces that run along it in the same direction (one of them is flipped).
    public var inconsistentWindingEdges = 0
    /// Vertices no edge or face uses.
    public var looseVertices = 0
    /// Edges no face uses.
    public var looseEdges = 0
    /// Faces whose area is zero (all corners on one line or point).
    public var zeroAreaFaces = 0
    /// Faces of more than four corners; nil where the format stores only triangles (glTF).
    public var ngonCount: Int?
    /// Closed: no boundary and no non-manifold edges, and at least one face.
    public var isManifold = false

    // Attributes
    /// Most UV maps on any one mesh.
    public var uvSetCount = 0
    public var uvsOutsideUnitSquare = false
    /// True when the UVs outside 0–1 sit tile by tile in UDIM tiles (1001, 1002, …), which is not a problem.
    public var uvsLookLikeUDIM = false
    /// Share of the UV area (first UV map) covered more than once; nil without UVs.
    public var uvOverlapRatio: Double?
    public var hasNormals = false
    public var hasVertexColors = false

    // Materials and textures
    public var materialCount = 0
    public var textures: [TextureInfo] = []
    public var missingTextureCount = 0

    // Size and placement
    /// x, y, z extent in metres (units and scale applied); nil when the file's units are unknown (OBJ).
    public var sizeMetres: [Double]?
    /// x, y, z extent in the file's own units, known or not: for OBJ, the only size there is.
    public var sizeFileUnits: [Double]?
    public var unitsKnown = false
    /// Mesh objects with a rotation or scale other than identity.
    public var objectsWithUnappliedTransforms = 0
    /// Distance from an object's origin to its geometry's centre over the geometry's size, for the worst object.
    public var pivotDistanceRatio: Double?

    public init() {}
}

/// An image a material uses, with its size as its header states it.
public struct TextureInfo: Codable, Sendable, Equatable {
    /// The file name or reference as the model names it.
    public var name: String
    public var width: Int?
    public var height: Int?
    /// The file refers to the image but does not contain it (nor does its zip bundle).
    public var missing: Bool

    public init(name: String, width: Int? = nil, height: Int? = nil, missing: Bool) {
        self.name = name
        self.width = width
        self.height = height
        self.missing = missing
    }
}
