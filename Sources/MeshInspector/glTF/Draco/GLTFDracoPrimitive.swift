import Foundation

/// Reads a KHR_draco_mesh_compression primitive's stream from its bufferView and decodes it; shared by the counts
/// and the previews.
enum GLTFDracoPrimitive {
    /// `.failure` when the stream's buffer was not uploaded or the stream uses a Draco feature this decoder does
    /// not support; corrupt streams throw.
    static func decode(
        _ source: GLTFDocument.DracoSource, buffers: inout GLTFBufferStore, limits: InspectionLimits, needPositions: Bool
    ) throws -> Result<DracoMesh, GLTFBufferStore.UnavailableData> {
        let region: ByteRegion
        switch try buffers.bytes(ofView: source.bufferView) {
        case .failure(let unavailable): return .failure(unavailable)
        case .success(let bytes): region = bytes
        }
        let bytes = region.withBytes { [UInt8]($0) }
        do {
            return .success(try DracoDecoder.decode(
                bytes, positionAttribute: needPositions ? source.positionAttribute : nil, limits: limits))
        } catch let error as MeshInspectionError where error.kind == .unsupported {
            return .failure(GLTFBufferStore.UnavailableData(
                reason: "\(error.reason) Draco-compressed primitives are counted from their accessor declarations."))
        }
    }
}
