import Foundation

/// Decodes EXT_meshopt_compression buffer views (the extension's Appendix A bitstreams and Appendix B filters) into
/// the plain bytes the parent bufferView describes: `count` elements of `byteStride` bytes.
///
/// Every read is checked against the compressed range and every write against the output, which the caller sized
/// from the declared count and stride after checking both against the inspection limits; a stream that does not
/// decode to exactly that shape fails with `.malformed`.
enum MeshoptDecoder {
    enum Mode: String { case attributes = "ATTRIBUTES", triangles = "TRIANGLES", indices = "INDICES" }
    enum Filter: String { case none = "NONE", octahedral = "OCTAHEDRAL", quaternion = "QUATERNION", exponential = "EXPONENTIAL" }

    static func corrupt(_ what: String) -> MeshInspectionError {
        MeshInspectionError(.malformed, "A meshopt-compressed buffer view is corrupt: \(what).")
    }

    static func decode(
        _ input: UnsafeRawBufferPointer, mode: Mode, filter: Filter, count: Int, stride: Int
    ) throws -> [UInt8] {
        // The smallest stream that could hold `count` elements, checked before the output is allocated: a few
        // bytes cannot make a view of hundreds of megabytes be allocated only to fail.
        let minimumInput: Int
        switch mode {
        case .attributes:
            let blockSize = stride > 0 ? max(16, min((8192 / stride) & ~15, 256)) : 256
            minimumInput = 1 + max(stride, 32) + ((count + blockSize - 1) / blockSize) * stride
        case .triangles: minimumInput = 1 + count / 3 + 16
        case .indices: minimumInput = 1 + count + 4
        }
        guard input.count >= minimumInput else { throw corrupt("it is shorter than its \(count) elements need") }
        var output = [UInt8](repeating: 0, count: try Checked.multiply(count, stride))
        try output.withUnsafeMutableBytes { out in
            switch mode {
            case .attributes:
                guard stride > 0, stride <= 256, stride % 4 == 0 else { throw corrupt("its byteStride \(stride) is not a multiple of 4 up to 256") }
                try decodeAttributes(input, into: out, count: count, stride: stride)
                try applyFilter(filter, to: out, count: count, stride: stride)
            case .triangles:
                guard stride == 2 || stride == 4, count % 3 == 0 else { throw corrupt("triangle indices need a stride of 2 or 4 and a count divisible by 3") }
                try decodeTriangles(input, into: out, count: count, stride: stride)
            case .indices:
                guard stride == 2 || stride == 4 else { throw corrupt("indices need a stride of 2 or 4") }
                try decodeIndexSequence(input, into: out, count: count, stride: stride)
            }
        }
        return output
    }

    // MARK: Mode 0, attributes

    /// Byte-wise deltas, deinterleaved per byte of the element, in blocks of at most 256 elements split into
    /// groups of 16; the first block starts from a baseline element stored at the very end of the stream.
    private static func decodeAttributes(
        _ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, count: Int, stride: Int
    ) throws {
        guard input.count >= 1, input[0] == 0xA0 else {
            throw corrupt(input.first.map { $0 & 0xF0 == 0xA0 ? "attribute codec version \($0 & 0x0F) is not the one the extension allows" : "its attribute header is wrong" } ?? "it is empty")
        }
        let tailSize = max(stride, 32)
        guard input.count >= 1 + tailSize else { throw corrupt("it is shorter than its tail block") }
        let dataEnd = input.count - tailSize
        var last = [UInt8](input[(input.count - stride)...])
        let maxBlock = min((8192 / stride) & ~15, 256)
        var deltas = [UInt8](repeating: 0, count: 256)
        var position = 1
        var first = 0
        while first < count {
            let blockCount = min(count - first, maxBlock)
            let groups = (blockCount + 15) / 16
            for byte in 0..<stride {
                try decodeByteGroups(input, at: &position, end: dataEnd, groups: groups, into: &deltas)
                var value = last[byte]
                for element in 0..<blockCount {
                    let delta = deltas[element]
                    value &+= (delta & 1) != 0 ? ~(delta >> 1) : (delta >> 1)
                    out[(first + element) * stride + byte] = value
                }
                last[byte] = value
            }
            first += blockCount
        }
        guard position == dataEnd else { throw corrupt("its attribute data does not end where its tail block starts") }
    }

    private static func decodeByteGroups(
        _ input: UnsafeRawBufferPointer, at position: inout Int, end: Int, groups: Int, into deltas: inout [UInt8]
    ) throws {
        let headerSize = (groups + 3) / 4
        guard end - position >= headerSize else { throw corrupt("an attribute block is cut short") }
        let header = position
        position += headerSize
        for group in 0..<groups {
            let bits = (input[header + group / 4] >> UInt8((group % 4) * 2)) & 3
            let base = group * 16
            switch bits {
            case 0:
                for k in 0..<16 { deltas[base + k] = 0 }
            case 3:
                guard end - position >= 16 else { throw corrupt("an attribute block is cut short") }
                for k in 0..<16 { deltas[base + k] = input[position + k] }
                position += 16
            default:
                let width = bits == 1 ? 2 : 4
                let packed = width * 2   // 4 bytes of 2-bit or 8 bytes of 4-bit deltas
                let sentinel: UInt8 = bits == 1 ? 3 : 15
                guard end - position >= packed else { throw corrupt("an attribute block is cut short") }
                var extra = position + packed
                for k in 0..<16 {
                    let perByte = 8 / width
                    let byte = input[position + k / perByte]
                    let shift = UInt8(8 - width * (k % perByte + 1))
                    var delta = (byte >> shift) & sentinel
                    if delta == sentinel {
                        guard extra < end else { throw corrupt("an attribute block is cut short") }
                        delta = input[extra]
                        extra += 1
                    }
                    deltas[base + k] = delta
                }
                position = extra
            }
        }
    }

    // MARK: Mode 1, triangles

    private static func decodeTriangles(
        _ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, count: Int, stride: Int
    ) throws {
        guard input.count >= 1, input[0] & 0xF0 == 0xE0, input[0] & 0x0F <= 1 else { throw corrupt("its triangle header is wrong") }
        let version = input[0] & 0x0F
        let triangles = count / 3
        guard input.count >= 1 + triangles + 16 else { throw corrupt("it is shorter than its triangle codes") }
        let codeAux = input.count - 16
        var data = 1 + triangles
        let dataEnd = codeAux
        var edges = [(UInt32, UInt32)](repeating: (0, 0), count: 16)
        var vertices = [UInt32](repeating: 0, count: 16)
        var edgeOffset = 0
        var vertexOffset = 0
        var next: UInt32 = 0
        var last: UInt32 = 0

        func pushEdge(_ a: UInt32, _ b: UInt32) {
            edges[edgeOffset & 15] = (a, b)
            edgeOffset += 1
        }
        func pushVertex(_ v: UInt32, _ when: Bool = true) {
            vertices[vertexOffset & 15] = v
            if when { vertexOffset += 1 }
        }
        func recentVertex(_ back: Int) -> UInt32 { vertices[(vertexOffset - 1 - back) & 15] }
        func explicitIndex() throws -> UInt32 {
            let v = try readVarint(input, at: &data, end: dataEnd)
            last &+= (v & 1) != 0 ? ~(v >> 1) : (v >> 1)
            return last
        }
        func write(_ triangle: Int, _ a: UInt32, _ b: UInt32, _ c: UInt32) {
            let at = triangle * 3 * stride
            if stride == 2 {
                out.storeBytes(of: UInt16(truncatingIfNeeded: a).littleEndian, toByteOffset: at, as: UInt16.self)
                out.storeBytes(of: UInt16(truncatingIfNeeded: b).littleEndian, toByteOffset: at + 2, as: UInt16.self)
                out.storeBytes(of: UInt16(truncatingIfNeeded: c).littleEndian, toByteOffset: at + 4, as: UInt16.self)
            } else {
                out.storeBytes(of: a.littleEndian, toByteOffset: at, as: UInt32.self)
                out.storeBytes(of: b.littleEndian, toByteOffset: at + 4, as: UInt32.self)
                out.storeBytes(of: c.littleEndian, toByteOffset: at + 8, as: UInt32.self)
            }
        }
        // Version 1 reserves 0xXd / 0xXe for "last ± 1"; version 0 reads the vertex FIFO there too.
        let fifoLimit: UInt8 = version >= 1 ? 0x0D : 0x0F

        for triangle in 0..<triangles {
            let code = input[1 + triangle]
            if code < 0xF0 {
                let (a, b) = edges[(edgeOffset - 1 - Int(code >> 4)) & 15]
                let low = code & 0x0F
                let c: UInt32
                if low == 0 {
                    c = next
                    next &+= 1
                    pushVertex(c)
                } else if low < fifoLimit {
                    c = recentVertex(Int(low))
                } else if low != 0x0F {
                    last = low == 0x0D ? last &- 1 : last &+ 1
                    c = last
                    pushVertex(c)
                } else {
                    c = try explicitIndex()
                    pushVertex(c)
                }
                write(triangle, a, b, c)
                pushEdge(c, b)
                pushEdge(a, c)
            } else {
                let aux: UInt8
                let explicitA: Bool
                if code < 0xFE {
                    aux = input[codeAux + Int(code & 0x0F)]
                    explicitA = false
                } else {
                    guard data < dataEnd else { throw corrupt("its triangle data is cut short") }
                    aux = input[data]
                    data += 1
                    if aux == 0 { next = 0 }
                    explicitA = code == 0xFF
                }
                let high = aux >> 4
                let low = aux & 0x0F
                let allowExplicit = code >= 0xFE
                var a: UInt32
                if explicitA { a = 0 } else { a = next; next &+= 1 }
                func corner(_ nibble: UInt8) throws -> UInt32 {
                    if nibble == 0 { defer { next &+= 1 }; return next }
                    if nibble == 0x0F && allowExplicit { return 0 }
                    return recentVertex(Int(nibble) - 1)
                }
                var b = try corner(high)
                var c = try corner(low)
                if explicitA { a = try explicitIndex() }
                if allowExplicit && high == 0x0F { b = try explicitIndex() }
                if allowExplicit && low == 0x0F { c = try explicitIndex() }
                write(triangle, a, b, c)
                pushVertex(a)
                pushVertex(b, high == 0 || (allowExplicit && high == 0x0F))
                pushVertex(c, low == 0 || (allowExplicit && low == 0x0F))
                pushEdge(b, a)
                pushEdge(c, b)
                pushEdge(a, c)
            }
        }
        guard data == dataEnd else { throw corrupt("its triangle data does not end where its table starts") }
    }

    // MARK: Mode 2, indices

    private static func decodeIndexSequence(
        _ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer, count: Int, stride: Int
    ) throws {
        guard input.count >= 1, input[0] & 0xF0 == 0xD0, input[0] & 0x0F <= 1 else { throw corrupt("its index header is wrong") }
        guard input.count >= 1 + count + 4 else { throw corrupt("it is shorter than its indices") }
        let dataEnd = input.count - 4
        var data = 1
        var last: (UInt32, UInt32) = (0, 0)
        for index in 0..<count {
            let v = try readVarint(input, at: &data, end: dataEnd)
            let delta = (v & 2) != 0 ? ~(v >> 2) : (v >> 2)
            let value: UInt32
            if v & 1 == 0 { last.0 &+= delta; value = last.0 } else { last.1 &+= delta; value = last.1 }
            if stride == 2 {
                out.storeBytes(of: UInt16(truncatingIfNeeded: value).littleEndian, toByteOffset: index * 2, as: UInt16.self)
            } else {
                out.storeBytes(of: value.littleEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
        guard data == dataEnd else { throw corrupt("its index data does not end where its tail starts") }
    }

    /// Unsigned LEB128, at most five bytes for 32 bits.
    private static func readVarint(_ input: UnsafeRawBufferPointer, at position: inout Int, end: Int) throws -> UInt32 {
        var value: UInt32 = 0
        for shift in stride(from: 0, to: 35, by: 7) {
            guard position < end else { throw corrupt("an index runs past its data") }
            let byte = input[position]
            position += 1
            value |= UInt32(byte & 0x7F) << UInt32(shift)
            if byte & 0x80 == 0 { return value }
        }
        throw corrupt("an index is longer than 32 bits")
    }

    // MARK: Filters

    private static func applyFilter(
        _ filter: Filter, to out: UnsafeMutableRawBufferPointer, count: Int, stride: Int
    ) throws {
        switch filter {
        case .none:
            return
        case .octahedral:
            guard stride == 4 || stride == 8 else { throw corrupt("the octahedral filter needs a stride of 4 or 8") }
            for element in 0..<count {
                let at = element * stride
                if stride == 4 {
                    let raw = (0..<3).map { Float(Int8(bitPattern: out[at + $0])) }
                    let decoded = octahedral(raw[0], raw[1], raw[2], scale: 127)
                    for axis in 0..<3 { out[at + axis] = UInt8(bitPattern: Int8(decoded[axis])) }
                } else {
                    let raw = (0..<3).map { Float(Int16(littleEndian: out.loadUnaligned(fromByteOffset: at + $0 * 2, as: Int16.self))) }
                    let decoded = octahedral(raw[0], raw[1], raw[2], scale: 32767)
                    for axis in 0..<3 {
                        out.storeBytes(of: Int16(decoded[axis]).littleEndian, toByteOffset: at + axis * 2, as: Int16.self)
                    }
                }
            }
        case .quaternion:
            guard stride == 8 else { throw corrupt("the quaternion filter needs a stride of 8") }
            let range = Float(1 / 2.0.squareRoot())
            for element in 0..<count {
                let at = element * 8
                let raw = (0..<4).map { Int16(littleEndian: out.loadUnaligned(fromByteOffset: at + $0 * 2, as: Int16.self)) }
                let one = Float(raw[3] | 3)
                let x = Float(raw[0]) / one * range, y = Float(raw[1]) / one * range, z = Float(raw[2]) / one * range
                let w = max(0, 1 - x * x - y * y - z * z).squareRoot()
                let largest = Int(raw[3] & 3)
                for (offset, value) in [(1, x), (2, y), (3, z), (0, w)] {
                    out.storeBytes(of: Int16((clampedUnit(value) * 32767).rounded()).littleEndian, toByteOffset: at + ((largest + offset) % 4) * 2, as: Int16.self)
                }
            }
        case .exponential:
            guard stride % 4 == 0 else { throw corrupt("the exponential filter needs a stride divisible by 4") }
            for word in 0..<(count * stride / 4) {
                let input = Int32(littleEndian: out.loadUnaligned(fromByteOffset: word * 4, as: Int32.self))
                let exponent = Int(input >> 24)
                let mantissa = (input << 8) >> 8
                // Out-of-range exponents are unspecified; clamping keeps the float finite-or-zero without traps.
                let value = Float(sign: .plus, exponent: max(-126, min(127, exponent)), significand: Float(mantissa))
                out.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: word * 4, as: UInt32.self)
            }
        }
    }

    private static func octahedral(_ ix: Float, _ iy: Float, _ one: Float, scale: Float) -> [Float] {
        guard one != 0 else { return [0, 0, 0] }
        var x = ix / one, y = iy / one
        let z = 1 - abs(x) - abs(y)
        let t = min(z, 0)
        x -= x < 0 ? -t : t
        y -= y < 0 ? -t : t
        let length = (x * x + y * y + z * z).squareRoot()
        guard length > 0, length.isFinite else { return [0, 0, 0] }
        return [x, y, z].map { (clampedUnit($0 / length) * scale).rounded() }
    }

    /// Keeps a value meant to be in [-1, 1] there, so rounding to an integer type can never trap on odd input.
    private static func clampedUnit(_ value: Float) -> Float {
        value.isNaN ? 0 : max(-1, min(1, value))
    }
}
