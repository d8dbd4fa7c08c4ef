import Fluent
import Foundation
import MeshInspector

/// One analysed file's shape fingerprint (`ShapeFingerprint`), stored as base64 of its little-endian floats.
final class ModelFileFingerprint: Model, @unchecked Sendable {
    static let schema = "model_file_fingerprints"

    @ID(custom: "file_id", generatedBy: .user) var id: UUID?
    @Parent(key: "model_id") var model: ModelAsset
    @Field(key: "owner_id") var ownerID: UUID
    @Field(key: "version") var version: Int
    @Field(key: "bucket") var bucket: Int64
    @Field(key: "shape") var shape: String
    @Field(key: "created_at") var createdAt: Date

    init() {}

    init(file: ModelFileRecord, fingerprint: ShapeFingerprint) throws {
        self.id = try file.requireID()
        self.$model.id = file.$model.id
        self.ownerID = file.ownerID
        self.version = ShapeFingerprint.version
        self.bucket = Int64(fingerprint.bucket)
        self.shape = Self.encode(fingerprint.values)
        self.createdAt = Date()
    }

    static func encode(_ values: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return Data(bytes).base64EncodedString()
    }

    /// Nil for a damaged value, which then simply matches nothing.
    static func decode(_ text: String) -> [Float]? {
        guard let data = Data(base64Encoded: text), data.count % 4 == 0 else { return nil }
        return stride(from: 0, to: data.count, by: 4).map { offset in
            let bits = data[data.startIndex + offset..<data.startIndex + offset + 4].enumerated()
                .reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
            return Float(bitPattern: bits)
        }
    }
}
