import Foundation

/// The 3D formats HWC3D accepts. A zip bundle is reported as the format of the scene file inside it.
public enum MeshFormat: String, Codable, Sendable, CaseIterable {
    case glb, gltf, obj, fbx, blend
}

/// What the sniffer decided an upload is, from its bytes alone.
public enum DetectedMeshFile: Equatable, Sendable {
    case glb
    case gltf
    case obj
    case fbxBinary
    case fbxASCII
    /// `BLENDER` header, possibly inside a gzip or zstd stream.
    case blend(compression: BlendCompression)
    /// A zip holding a `.gltf` or `.obj` scene with its buffers, materials and textures.
    case zipBundle(scene: MeshFormat)

    public var format: MeshFormat {
        switch self {
        case .glb: .glb
        case .gltf: .gltf
        case .obj: .obj
        case .fbxBinary, .fbxASCII: .fbx
        case .blend: .blend
        case .zipBundle(let scene): scene
        }
    }
}

public enum BlendCompression: String, Sendable, Equatable {
    case none, gzip, zstd
}

public struct BoundingBox: Codable, Sendable, Equatable {
    public var min: [Double]
    public var max: [Double]
    public init(min: [Double], max: [Double]) {
        self.min = min
        self.max = max
    }
}

/// Counts as Blender's scene statistics report them for the same file once imported, triangulated.
public struct MeshReport: Codable, Sendable, Equatable {
    public var format: MeshFormat
    /// e.g. "2.0" for glTF, "7400" for FBX, "3.4.1"-style for BLEND ("304"), nil where the format has none.
    public var formatVersion: String?
    public var vertexCount: Int
    public var triangleCount: Int
    /// Faces as authored (quads, n-gons) where the format keeps polygons (OBJ, FBX, BLEND); nil for glTF.
    public var polygonCount: Int?
    public var meshCount: Int
    public var materialCount: Int
    public var textureCount: Int
    public var animationCount: Int
    public var isRigged: Bool
    /// Axis-aligned, in metres, where the file's units are known.
    public var boundingBox: BoundingBox?
    /// Things a reader noticed but could still count around (unsupported extensions, missing textures...).
    public var warnings: [String]
    /// True when a count is known not to be Blender's exact figure (a modifier that could not be evaluated, data
    /// that could not be decoded); the warnings say which.
    public var isApproximate: Bool = false
    /// Modifier types applied before counting, by Blender's names ("Mirror", "Subdivision Surface"), each once.
    public var evaluatedModifiers: [String] = []
    /// Modifier types on counted objects that were not evaluated: those meshes count as stored.
    public var unevaluatedModifiers: [String] = []
    /// The marketplace quality check (topology, UVs, textures, size and placement); nil when the file has no mesh.
    public var quality: QualityReport?

    public init(
        format: MeshFormat, formatVersion: String? = nil, vertexCount: Int = 0, triangleCount: Int = 0,
        polygonCount: Int? = nil, meshCount: Int = 0, materialCount: Int = 0, textureCount: Int = 0,
        animationCount: Int = 0, isRigged: Bool = false, boundingBox: BoundingBox? = nil, warnings: [String] = []
    ) {
        self.format = format
        self.formatVersion = formatVersion
        self.vertexCount = vertexCount
        self.triangleCount = triangleCount
        self.polygonCount = polygonCount
        self.meshCount = meshCount
        self.materialCount = materialCount
        self.textureCount = textureCount
        self.animationCount = animationCount
        self.isRigged = isRigged
        self.boundingBox = boundingBox
        self.warnings = warnings
    }
}

/// Hard ceilings for untrusted input: every reader checks them before it allocates or recurses.
public struct InspectionLimits: Sendable {
    /// Largest input file.
    public var maxFileBytes: Int = 100 * 1024 * 1024
    /// Largest total a decompressor (zip entry, gzip/zstd blend, FBX array) may produce.
    public var maxInflatedBytes: Int = 512 * 1024 * 1024
    /// Largest number of vertices, indices or faces any one array or file may declare.
    public var maxElements: Int = 200_000_000
    /// Deepest node hierarchy / FBX node nesting / JSON nesting.
    public var maxDepth: Int = 256
    /// Most entries a zip bundle may hold.
    public var maxZipEntries: Int = 10_000
    /// Largest size one zip bundle entry may inflate to (the scene, a buffer, a texture).
    public var maxZipEntryBytes: Int = 256 * 1024 * 1024

    public init() {}
    public static let standard = InspectionLimits()
}

/// Why a file could not be analysed, worded for the creator who uploaded it.
public struct MeshInspectionError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case unrecognized, truncated, malformed, limitExceeded, unsupported
    }
    public var kind: Kind
    public var reason: String
    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }
    public var description: String { reason }
}
