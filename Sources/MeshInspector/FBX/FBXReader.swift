import Foundation

/// FBX entry points: binary 7.x (7100–7700, 32-bit records before 7500 and 64-bit after, zlib-compressed arrays)
/// and ASCII 7.x. Both encodings parse into the same node tree, so one analysis counts them.
enum FBXReader {
    static func inspectBinary(_ data: Data, limits: InspectionLimits) throws -> MeshReport {
        try checkSize(data, limits)
        return try data.withUnsafeBytes { bytes in
            let document = try FBXBinaryParser.parse(bytes, limits: limits)
            var analysis = FBXSceneAnalysis(document: document, decoder: FBXArrayDecoder(bytes: bytes, limits: limits), limits: limits)
            return try analysis.report()
        }
    }

    static func inspectASCII(_ data: Data, limits: InspectionLimits) throws -> MeshReport {
        try checkSize(data, limits)
        return try data.withUnsafeBytes { bytes in
            let document = try FBXASCIIParser.parse(bytes, limits: limits)
            var analysis = FBXSceneAnalysis(document: document, decoder: FBXArrayDecoder(bytes: bytes, limits: limits), limits: limits)
            return try analysis.report()
        }
    }

    private static func checkSize(_ data: Data, _ limits: InspectionLimits) throws {
        guard data.count <= limits.maxFileBytes else {
            throw MeshInspectionError(.limitExceeded, "The FBX file is larger than the \(limits.maxFileBytes)-byte limit.")
        }
    }
}
