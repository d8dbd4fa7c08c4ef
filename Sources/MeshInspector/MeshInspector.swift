import Foundation

/// Entry points for analysing an uploaded 3D file. No server code: the app, the `hwc3d inspect` command and the
/// fuzz targets all come through here.
///
/// Every failure is a `MeshInspectionError` whose reason is worded for the creator; `.unrecognized` means the bytes
/// are not an accepted 3D format at all.
public enum MeshInspector {
    /// Decides what a file is from its bytes (never its name).
    public static func detect(fileAt path: String, limits: InspectionLimits = .standard) throws -> DetectedMeshFile {
        try MeshFileSniffer.detect(fileAt: path, limits: limits)
    }

    /// In-memory form of `detect(fileAt:limits:)`.
    public static func detect(_ data: Data, limits: InspectionLimits = .standard) throws -> DetectedMeshFile {
        try MeshFileSniffer.detect(data, limits: limits)
    }

    public static func inspect(fileAt path: String, limits: InspectionLimits = .standard) throws -> MeshReport {
        // One mapping serves both steps, so the file is opened (and size-checked) once.
        let bytes = try MappedFile(path: path, limits: limits)
        let detected = try MeshFileSniffer.detect(bytes.data, limits: limits)
        return try inspect(bytes.data, as: detected, limits: limits)
    }

    public static func inspect(
        fileAt path: String, as detected: DetectedMeshFile, limits: InspectionLimits = .standard
    ) throws -> MeshReport {
        let bytes = try MappedFile(path: path, limits: limits)
        return try inspect(bytes.data, as: detected, limits: limits)
    }

    /// Sniffs and analyses bytes already in memory.
    public static func inspect(_ data: Data, limits: InspectionLimits = .standard) throws -> MeshReport {
        try inspect(data, as: detect(data, limits: limits), limits: limits)
    }

    /// In-memory form, used by the fuzz targets and tests. `detected` must come from `detect`: a reader handed the
    /// wrong format fails with a reason rather than guessing.
    public static func inspect(
        _ data: Data, as detected: DetectedMeshFile, limits: InspectionLimits = .standard
    ) throws -> MeshReport {
        guard data.count <= limits.maxFileBytes else {
            throw MeshInspectionError(
                .limitExceeded, "The file is \(data.count) bytes; the limit is \(limits.maxFileBytes) bytes.")
        }
        // The quality check reads the file alongside the counts (see `QualityInspector.inspect`).
        return try QualityInspector.inspect(data, as: detected, limits: limits) {
            switch detected {
            case .glb: try GLTFReader.inspectGLB(data, limits: limits)
            case .gltf: try GLTFReader.inspectJSON(data, resources: .none, limits: limits)
            case .obj: try OBJReader.inspect(data, resources: .none, limits: limits)
            case .fbxBinary: try FBXReader.inspectBinary(data, limits: limits)
            case .fbxASCII: try FBXReader.inspectASCII(data, limits: limits)
            case .blend(let compression): try BlendReader.inspect(data, compression: compression, limits: limits)
            case .zipBundle: try ZipBundleReader.inspect(data, limits: limits)
            }
        }
    }
}
