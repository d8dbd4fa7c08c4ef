import Foundation

/// Turns the array properties the analysis needs (`Vertices`, `PolygonVertexIndex`) into numbers, inflating
/// zlib-compressed binary arrays and parsing ASCII ones, while keeping the total decoded size under
/// `limits.maxInflatedBytes`.
struct FBXArrayDecoder {
    private let bytes: UnsafeRawBufferPointer
    private let limits: InspectionLimits
    private var decodedBytes = 0

    init(bytes: UnsafeRawBufferPointer, limits: InspectionLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    static func elementSize(_ type: UInt8) -> Int? {
        switch type {
        case UInt8(ascii: "d"), UInt8(ascii: "l"): 8
        case UInt8(ascii: "f"), UInt8(ascii: "i"): 4
        case UInt8(ascii: "b"), UInt8(ascii: "c"): 1
        default: nil
        }
    }

    /// Checks an array header before anything is allocated: the element count against the limits, and the stored
    /// size against what the encoding can produce (raw arrays store exactly count × size; deflate cannot expand
    /// data more than about 1032:1, so a tiny payload claiming a huge array is a lie).
    static func checkDeclaredArray(type: UInt8, count: Int, encoding: UInt32, storedBytes: Int, limits: InspectionLimits) throws {
        guard let size = elementSize(type) else {
            throw MeshInspectionError(.malformed, "Unknown FBX array element type.")
        }
        guard count <= limits.maxElements else {
            throw MeshInspectionError(.limitExceeded, "An FBX array declares \(count) elements, more than the \(limits.maxElements) allowed.")
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, total <= limits.maxInflatedBytes else {
            throw MeshInspectionError(.limitExceeded, "An FBX array declares \(count) elements, more data than the \(limits.maxInflatedBytes)-byte limit.")
        }
        switch encoding {
        case 0:
            guard storedBytes == total else {
                throw MeshInspectionError(.malformed, "An uncompressed FBX array declares \(count) elements but stores \(storedBytes) bytes.")
            }
        case 1:
            let (ceiling, overflow) = storedBytes.multipliedReportingOverflow(by: 1032)
            guard overflow || total <= ceiling + 64 else {
                throw MeshInspectionError(.malformed, "A compressed FBX array declares \(count) elements, more than its \(storedBytes) compressed bytes can hold.")
            }
        default:
            throw MeshInspectionError(.malformed, "An FBX array uses unknown encoding \(encoding).")
        }
    }

    /// Any numeric array as doubles (vertex positions are `d`, sometimes `f`).
    mutating func doubles(_ array: FBXArray) throws -> [Double] {
        switch array.storage {
        case .ascii(let values):
            return try FBXASCIINumbers.doubles(in: bytes, range: values, declared: array.count, limits: limits, budget: &decodedBytes)
        case .binary(let type, _, _):
            return try withElementBytes(array) { raw in
                var out = [Double]()
                out.reserveCapacity(array.count)
                for i in 0..<array.count {
                    switch type {
                    case UInt8(ascii: "d"):
                        out.append(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))))
                    case UInt8(ascii: "f"):
                        out.append(Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))))
                    case UInt8(ascii: "i"):
                        out.append(Double(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))))
                    case UInt8(ascii: "l"):
                        out.append(Double(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))))
                    default:
                        out.append(Double(raw[i]))
                    }
                }
                return out
            }
        }
    }

    /// An index array (`PolygonVertexIndex`) as 32-bit integers; 64-bit indices must fit.
    mutating func indices(_ array: FBXArray) throws -> [Int32] {
        switch array.storage {
        case .ascii(let values):
            return try FBXASCIINumbers.integers(in: bytes, range: values, declared: array.count, limits: limits, budget: &decodedBytes)
        case .binary(let type, _, _):
            guard type == UInt8(ascii: "i") || type == UInt8(ascii: "l") else {
                throw MeshInspectionError(.malformed, "An FBX index array holds non-integer values.")
            }
            return try withElementBytes(array) { raw in
                var out = [Int32]()
                out.reserveCapacity(array.count)
                for i in 0..<array.count {
                    if type == UInt8(ascii: "i") {
                        out.append(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)))
                    } else {
                        let wide = Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))
                        guard let narrow = Int32(exactly: wide) else {
                            throw MeshInspectionError(.malformed, "An FBX polygon index (\(wide)) is out of range.")
                        }
                        out.append(narrow)
                    }
                }
                return out
            }
        }
    }

    /// Hands `body` the little-endian element bytes of a binary array, inflating them first when compressed.
    private mutating func withElementBytes<T>(_ array: FBXArray, _ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        guard case .binary(let type, let encoding, let payload) = array.storage, let size = Self.elementSize(type) else {
            throw MeshInspectionError(.malformed, "An FBX array has no binary payload.")
        }
        try Self.checkDeclaredArray(type: type, count: array.count, encoding: encoding, storedBytes: payload.count, limits: limits)
        let total = array.count * size
        guard total <= limits.maxInflatedBytes - decodedBytes else {
            throw MeshInspectionError(.limitExceeded, "The FBX arrays decode to more than the \(limits.maxInflatedBytes)-byte limit.")
        }
        guard payload.lowerBound >= 0, payload.upperBound <= bytes.count else {
            throw MeshInspectionError(.truncated, "An FBX array lies outside the file.")
        }
        decodedBytes += total
        let stored = UnsafeRawBufferPointer(rebasing: bytes[payload])
        if encoding == 0 {
            return try body(stored)
        }
        let inflated = try Decompression.inflateZlib(stored, expectedSize: total, limit: limits.maxInflatedBytes)
        return try inflated.withUnsafeBytes { try body($0) }
    }
}
