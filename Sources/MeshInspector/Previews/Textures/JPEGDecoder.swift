import Foundation

/// JPEG (ITU T.81, JFIF) to a scaled-down RGBA texture: baseline and extended sequential Huffman, and progressive
/// Huffman (spectral selection and successive approximation), 8-bit samples, greyscale or YCbCr (RGB when an
/// Adobe marker says so), any sampling factors, restart intervals. Arithmetic coding, lossless, 12-bit and CMYK
/// images are refused (the material keeps its colour).
///
/// Every block's coefficients are kept until the last scan, as progressive images need; their memory is checked
/// against `PreviewTextureDecoder.Limits.maxDecodedBytes` before it is allocated. When the texture is scaled down
/// by 8 or more, blocks are reduced to their average (DC) instead of inverse-transformed.
enum JPEGDecoder {
    static func isJPEG(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF
    }

    private struct Component {
        var id: Int
        var h: Int
        var v: Int
        var table: Int
        var blocksPerLine = 0
        var blocksPerColumn = 0
        /// Blocks covering the image itself, which a non-interleaved scan codes.
        var visibleColumns = 0
        var visibleRows = 0
        var coefficients: [Int16] = []
        var dcTable = 0
        var acTable = 0
        var predictor = 0
    }

    private struct Huffman {
        /// Canonical decoding tables per code length 1…16.
        var maxCode = [Int](repeating: -1, count: 18)
        var valueOffset = [Int](repeating: 0, count: 18)
        var values: [UInt8] = []
        /// 9-bit fast lookup: (length << 8 | value), 0 when the code is longer.
        var fast = [UInt16](repeating: 0, count: 512)

        init(counts: [Int], values: [UInt8]) throws {
            self.values = values
            var code = 0, index = 0
            for length in 1...16 {
                let count = counts[length - 1]
                valueOffset[length] = index - code
                if count > 0 {
                    for _ in 0..<count {
                        guard code < 1 << length else { throw TextureDecodingError("bad Huffman table") }
                        if length <= 9 {
                            let shift = 9 - length
                            for fill in 0..<(1 << shift) {
                                fast[(code << shift) | fill] = UInt16(length << 8) | UInt16(values[index])
                            }
                        }
                        code += 1
                        index += 1
                    }
                    maxCode[length] = code - 1
                }
                code <<= 1
            }
        }
    }

    private struct BitReader {
        let bytes: UnsafeRawBufferPointer
        var position: Int
        var buffer: UInt32 = 0
        var count = 0
        /// Set when a marker is reached: the rest of the segment reads as zeros.
        var atMarker = false

        init(_ bytes: UnsafeRawBufferPointer, at position: Int) {
            self.bytes = bytes
            self.position = position
        }

        @inline(__always)
        mutating func fill() {
            while count <= 24 {
                var byte: UInt32 = 0
                if !atMarker, position < bytes.count {
                    byte = UInt32(bytes[position])
                    if byte == 0xFF {
                        let next = position + 1 < bytes.count ? bytes[position + 1] : 0xD9
                        if next == 0 { position += 2 } else { atMarker = true; byte = 0 }
                    } else {
                        position += 1
                    }
                }
                buffer |= byte << (24 - UInt32(count))
                count += 8
            }
        }

        @inline(__always)
        mutating func bits(_ n: Int) -> Int {
            guard n > 0 else { return 0 }
            fill()
            let value = Int(buffer >> (32 - UInt32(n)))
            buffer <<= UInt32(n)
            count -= n
            return value
        }

        @inline(__always)
        mutating func bit() -> Int { bits(1) }

        /// A magnitude category's value, sign-extended as T.81 F.2.2.1 says.
        @inline(__always)
        mutating func extend(_ size: Int) -> Int {
            guard size > 0 else { return 0 }
            guard size <= 16 else { return 0 }
            let value = bits(size)
            return value < 1 << (size - 1) ? value - (1 << size) + 1 : value
        }

        @inline(__always)
        mutating func decode(_ table: Huffman) throws -> Int {
            fill()
            let entry = table.fast[Int(buffer >> 23)]
            if entry != 0 {
                let length = Int(entry >> 8)
                buffer <<= UInt32(length)
                count -= length
                return Int(entry & 0xFF)
            }
            var code = 0
            for length in 1...16 {
                code = code << 1 | bits(1)
                if code <= table.maxCode[length] {
                    let index = table.valueOffset[length] + code
                    guard index >= 0, index < table.values.count else { break }
                    return Int(table.values[index])
                }
            }
            throw TextureDecodingError("bad Huffman code")
        }

        /// Skips to just after the next RSTn marker.
        mutating func restart() {
            buffer = 0
            count = 0
            atMarker = false
            while position + 1 < bytes.count {
                if bytes[position] == 0xFF, (0xD0...0xD7).contains(bytes[position + 1]) { position += 2; return }
                if bytes[position] == 0xFF, bytes[position + 1] != 0, bytes[position + 1] != 0xFF { return }
                position += 1
            }
        }
    }

    private static let zigzag: [Int] = [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
        28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61,
        54, 47, 55, 62, 63,
    ]

    static func decode(_ bytes: UnsafeRawBufferPointer, limits: PreviewTextureDecoder.Limits) throws -> PreviewTexture? {
        guard isJPEG(bytes) else { throw TextureDecodingError("not a JPEG") }
        var quantization = [[Int]](repeating: [Int](repeating: 1, count: 64), count: 4)
        var dcTables = [Huffman?](repeating: nil, count: 4)
        var acTables = [Huffman?](repeating: nil, count: 4)
        var components: [Component] = []
        var width = 0, height = 0
        var progressive = false
        var restartInterval = 0
        var adobeTransform: Int?
        var frameSeen = false
        var eobrun = 0
        var position = 2
        var scans = 0

        func be16(_ at: Int) -> Int { Int(bytes[at]) << 8 | Int(bytes[at + 1]) }

        while position + 4 <= bytes.count {
            guard bytes[position] == 0xFF else { position += 1; continue }
            let marker = bytes[position + 1]
            if marker == 0xFF { position += 1; continue }
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { position += 2; continue }
            if marker == 0xD9 { break }
            let length = be16(position + 2)
            let start = position + 4
            let end = position + 2 + length
            guard length >= 2, end <= bytes.count else { throw TextureDecodingError("segment runs past the end") }
            switch marker {
            case 0xDB:
                var at = start
                while at < end {
                    let precision = Int(bytes[at] >> 4), id = Int(bytes[at] & 15)
                    at += 1
                    guard id < 4, at + 64 * (precision + 1) <= end else { throw TextureDecodingError("bad DQT") }
                    for k in 0..<64 {
                        quantization[id][zigzag[k]] = precision == 0 ? Int(bytes[at + k]) : be16(at + 2 * k)
                    }
                    at += 64 * (precision + 1)
                }
            case 0xC4:
                var at = start
                while at < end {
                    let kind = Int(bytes[at] >> 4), id = Int(bytes[at] & 15)
                    guard id < 4, at + 17 <= end else { throw TextureDecodingError("bad DHT") }
                    let counts = (0..<16).map { Int(bytes[at + 1 + $0]) }
                    let total = counts.reduce(0, +)
                    guard total <= 256, at + 17 + total <= end else { throw TextureDecodingError("bad DHT") }
                    let table = try Huffman(counts: counts, values: Array(bytes[(at + 17)..<(at + 17 + total)]))
                    if kind == 0 { dcTables[id] = table } else { acTables[id] = table }
                    at += 17 + total
                }
            case 0xC0, 0xC1, 0xC2:
                guard !frameSeen, length >= 8, bytes[start] == 8 else { throw TextureDecodingError("unsupported frame") }
                frameSeen = true
                progressive = marker == 0xC2
                height = be16(start + 1)
                width = be16(start + 3)
                let count = Int(bytes[start + 5])
                guard count == 1 || count == 3, length >= 8 + 3 * count else { throw TextureDecodingError("unsupported components") }
                for index in 0..<count {
                    let at = start + 6 + index * 3
                    let h = Int(bytes[at + 1] >> 4), v = Int(bytes[at + 1] & 15)
                    guard (1...4).contains(h), (1...4).contains(v), bytes[at + 2] < 4 else { throw TextureDecodingError("bad sampling") }
                    components.append(Component(id: Int(bytes[at]), h: h, v: v, table: Int(bytes[at + 2])))
                }
                _ = try TextureDownsampler(width: width, height: height, limits: limits)
                let hMax = components.map(\.h).max() ?? 1, vMax = components.map(\.v).max() ?? 1
                let mcusX = (width + 8 * hMax - 1) / (8 * hMax), mcusY = (height + 8 * vMax - 1) / (8 * vMax)
                var total = 0
                for index in components.indices {
                    components[index].blocksPerLine = mcusX * components[index].h
                    components[index].blocksPerColumn = mcusY * components[index].v
                    let componentWidth = (width * components[index].h + hMax - 1) / hMax
                    let componentHeight = (height * components[index].v + vMax - 1) / vMax
                    components[index].visibleColumns = (componentWidth + 7) / 8
                    components[index].visibleRows = (componentHeight + 7) / 8
                    total += components[index].blocksPerLine * components[index].blocksPerColumn * 128
                }
                guard total <= limits.maxDecodedBytes else { throw TextureDecodingError("image too large") }
                for index in components.indices {
                    components[index].coefficients = [Int16](
                        repeating: 0, count: components[index].blocksPerLine * components[index].blocksPerColumn * 64)
                }
            case 0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF:
                throw TextureDecodingError("unsupported JPEG process")
            case 0xDD:
                guard length >= 4 else { throw TextureDecodingError("bad DRI") }
                restartInterval = be16(start)
            case 0xEE:
                if length >= 14, bytes[start] == 0x41, bytes[start + 1] == 0x64 { adobeTransform = Int(bytes[start + 11]) }
            case 0xDA:
                guard frameSeen, length >= 6 else { throw TextureDecodingError("scan before frame") }
                scans += 1
                guard scans <= 1000 else { throw TextureDecodingError("too many scans") }
                let count = Int(bytes[start])
                guard (1...4).contains(count), length >= 6 + 2 * count else { throw TextureDecodingError("bad SOS") }
                var members: [Int] = []
                for index in 0..<count {
                    let at = start + 1 + index * 2
                    guard let component = components.firstIndex(where: { $0.id == Int(bytes[at]) }) else {
                        throw TextureDecodingError("scan names an unknown component")
                    }
                    components[component].dcTable = Int(bytes[at + 1] >> 4) & 3
                    components[component].acTable = Int(bytes[at + 1] & 15) & 3
                    members.append(component)
                }
                let tail = start + 1 + 2 * count
                let spectralStart = Int(bytes[tail]), spectralEnd = Int(bytes[tail + 1])
                let high = Int(bytes[tail + 2] >> 4), low = Int(bytes[tail + 2] & 15)
                guard spectralStart <= spectralEnd, spectralEnd < 64, low < 14, high < 14 else { throw TextureDecodingError("bad spectral selection") }
                if !progressive { guard spectralStart == 0, spectralEnd == 63 else { throw TextureDecodingError("bad baseline scan") } }
                var reader = BitReader(bytes, at: end)
                try decodeScan(
                    &components, members: members, reader: &reader, dcTables: dcTables, acTables: acTables,
                    progressive: progressive, spectral: (spectralStart, spectralEnd), approximation: (high, low),
                    restartInterval: restartInterval, eobrun: &eobrun)
                position = reader.position
                continue
            default:
                break
            }
            position = end
        }
        guard frameSeen, scans > 0 else { throw TextureDecodingError("no image data") }
        return try render(components, width: width, height: height, quantization: quantization,
                          rgb: components.count == 3 && adobeTransform == 0, limits: limits)
    }

    private static func decodeScan(
        _ components: inout [Component], members: [Int], reader: inout BitReader, dcTables: [Huffman?], acTables: [Huffman?],
        progressive: Bool, spectral: (Int, Int), approximation: (high: Int, low: Int), restartInterval: Int, eobrun: inout Int
    ) throws {
        let hMax = components.map(\.h).max() ?? 1, vMax = components.map(\.v).max() ?? 1
        for member in members { components[member].predictor = 0 }
        eobrun = 0
        // One block's coefficients at `base` of component `c`.
        func block(_ c: Int, _ base: Int) throws {
            let dcNeeded = spectral.0 == 0
            let acNeeded = spectral.1 > 0
            if dcNeeded {
                if approximation.high == 0 || !progressive {
                    guard let table = dcTables[components[c].dcTable] else { throw TextureDecodingError("missing DC table") }
                    let size = try reader.decode(table)
                    components[c].predictor &+= reader.extend(size)
                    components[c].coefficients[base] = Int16(truncatingIfNeeded: components[c].predictor << approximation.low)
                } else if reader.bit() == 1 {
                    components[c].coefficients[base] |= Int16(truncatingIfNeeded: 1 << approximation.low)
                }
            }
            guard acNeeded else { return }
            guard let table = acTables[components[c].acTable] else { throw TextureDecodingError("missing AC table") }
            let first = Swift.max(1, spectral.0)
            if !progressive || approximation.high == 0 {
                // Sequential, or a progressive first AC pass.
                if eobrun > 0 { eobrun -= 1; return }
                var k = first
                while k <= spectral.1 {
                    let symbol = try reader.decode(table)
                    let run = symbol >> 4, size = symbol & 15
                    if size == 0 {
                        if run < 15 {
                            if progressive { eobrun = (1 << run) - 1 + reader.bits(run) }
                            return
                        }
                        k += 16
                        continue
                    }
                    k += run
                    guard k <= 63 else { return }
                    components[c].coefficients[base + zigzag[k]] = Int16(truncatingIfNeeded: reader.extend(size) << approximation.low)
                    k += 1
                }
                return
            }
            // Progressive AC refinement (T.81 G.1.2.3).
            let positive = 1 << approximation.low, negative = -1 << approximation.low
            var k = first
            func refine(_ index: Int) {
                let current = Int(components[c].coefficients[index])
                if current != 0, reader.bit() == 1, current & positive == 0 {
                    components[c].coefficients[index] = Int16(truncatingIfNeeded: current >= 0 ? current + positive : current + negative)
                }
            }
            if eobrun <= 0 {
                while k <= spectral.1 {
                    let symbol = try reader.decode(table)
                    var run = symbol >> 4
                    let size = symbol & 15
                    var value = 0
                    if size == 0 {
                        if run < 15 {
                            eobrun = (1 << run) + reader.bits(run)
                            break
                        }
                    } else {
                        value = reader.bit() == 1 ? positive : negative
                    }
                    while k <= spectral.1 {
                        let index = base + zigzag[k]
                        if components[c].coefficients[index] != 0 {
                            refine(index)
                        } else {
                            if run == 0 {
                                if value != 0 { components[c].coefficients[index] = Int16(truncatingIfNeeded: value) }
                                k += 1
                                break
                            }
                            run -= 1
                        }
                        k += 1
                    }
                }
            }
            if eobrun > 0 {
                while k <= spectral.1 {
                    let index = base + zigzag[k]
                    if components[c].coefficients[index] != 0 { refine(index) }
                    k += 1
                }
                eobrun -= 1
            }
        }

        var mcu = 0
        func restartIfDue() {
            guard restartInterval > 0, mcu > 0, mcu % restartInterval == 0 else { return }
            reader.restart()
            for member in members { components[member].predictor = 0 }
            eobrun = 0
        }
        if members.count == 1 {
            // Non-interleaved: the component's own blocks, only those covering the image.
            let c = members[0]
            let visibleColumns = components[c].visibleColumns, visibleRows = components[c].visibleRows
            for row in 0..<visibleRows {
                for column in 0..<visibleColumns {
                    restartIfDue()
                    try block(c, (row * components[c].blocksPerLine + column) * 64)
                    mcu += 1
                }
            }
        } else {
            let mcusX = components[0].blocksPerLine / components[0].h, mcusY = components[0].blocksPerColumn / components[0].v
            for mcuY in 0..<mcusY {
                for mcuX in 0..<mcusX {
                    restartIfDue()
                    for c in members {
                        for v in 0..<components[c].v {
                            for h in 0..<components[c].h {
                                let row = mcuY * components[c].v + v, column = mcuX * components[c].h + h
                                try block(c, (row * components[c].blocksPerLine + column) * 64)
                            }
                        }
                    }
                    mcu += 1
                }
            }
        }
    }

    /// Inverse transform (or DC average), upsampling and colour conversion into the downsampler.
    private static func render(
        _ components: [Component], width: Int, height: Int, quantization: [[Int]], rgb: Bool,
        limits: PreviewTextureDecoder.Limits
    ) throws -> PreviewTexture? {
        var output = try TextureDownsampler(width: width, height: height, limits: limits)
        let dcOnly = output.factor >= 8
        let hMax = components.map(\.h).max() ?? 1, vMax = components.map(\.v).max() ?? 1
        // Sample planes: 8 × 8 per block, or 1 per block when only averages are needed.
        let scale = dcOnly ? 1 : 8
        var planes: [[UInt8]] = []
        for component in components {
            let planeWidth = component.blocksPerLine * scale
            var plane = [UInt8](repeating: 0, count: planeWidth * component.blocksPerColumn * scale)
            let q = quantization[component.table]
            var samples = [Float](repeating: 0, count: 64)
            for row in 0..<component.blocksPerColumn {
                for column in 0..<component.blocksPerLine {
                    let base = (row * component.blocksPerLine + column) * 64
                    if dcOnly {
                        let value = Float(Int(component.coefficients[base]) * q[0]) / 8 + 128.5
                        plane[row * planeWidth + column] = value > 0 ? (value < 255 ? UInt8(value) : 255) : 0
                        continue
                    }
                    inverseTransform(component.coefficients, base: base, quantization: q, into: &samples)
                    for y in 0..<8 {
                        for x in 0..<8 {
                            let value = samples[y * 8 + x] + 128.5
                            plane[(row * 8 + y) * planeWidth + column * 8 + x] = value > 0 ? (value < 255 ? UInt8(value) : 255) : 0
                        }
                    }
                }
            }
            planes.append(plane)
        }
        // Which plane column each picture column reads, per component (nearest-neighbour chroma upsampling).
        let columnMaps: [[Int]] = components.map { component in
            let planeWidth = component.blocksPerLine * scale
            return (0..<width).map { x in Swift.min(planeWidth - 1, dcOnly ? x * component.h / hMax / 8 : x * component.h / hMax) }
        }
        var row = [UInt8](repeating: 0, count: width * 3)
        for y in 0..<height {
            var rowStarts: [Int] = []
            for component in components {
                let py = y * component.v / vMax
                let sy = Swift.min(component.blocksPerColumn * scale - 1, dcOnly ? py / 8 : py)
                rowStarts.append(sy * component.blocksPerLine * scale)
            }
            row.withUnsafeMutableBufferPointer { out in
                if components.count == 1 {
                    planes[0].withUnsafeBufferPointer { grey in
                        columnMaps[0].withUnsafeBufferPointer { map in
                            for x in 0..<width {
                                let value = grey[rowStarts[0] + map[x]]
                                out[x * 3] = value; out[x * 3 + 1] = value; out[x * 3 + 2] = value
                            }
                        }
                    }
                    return
                }
                planes[0].withUnsafeBufferPointer { p0 in
                    planes[1].withUnsafeBufferPointer { p1 in
                        planes[2].withUnsafeBufferPointer { p2 in
                            columnMaps[0].withUnsafeBufferPointer { m0 in
                                columnMaps[1].withUnsafeBufferPointer { m1 in
                                    columnMaps[2].withUnsafeBufferPointer { m2 in
                                        let (r0, r1, r2) = (rowStarts[0], rowStarts[1], rowStarts[2])
                                        for x in 0..<width {
                                            let a = p0[r0 + m0[x]], b = p1[r1 + m1[x]], c = p2[r2 + m2[x]]
                                            if rgb {
                                                out[x * 3] = a; out[x * 3 + 1] = b; out[x * 3 + 2] = c
                                                continue
                                            }
                                            // JFIF YCbCr → RGB in 16.16 fixed point.
                                            let luma = Int(a) << 16 + 32768, cb = Int(b) - 128, cr = Int(c) - 128
                                            out[x * 3] = Self.clampByte((luma + 91881 * cr) >> 16)
                                            out[x * 3 + 1] = Self.clampByte((luma - 22554 * cb - 46802 * cr) >> 16)
                                            out[x * 3 + 2] = Self.clampByte((luma + 116130 * cb) >> 16)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            row.withUnsafeBufferPointer { output.add(row: y, rgb: $0) }
        }
        return output.texture()
    }

    @inline(__always)
    private static func clampByte(_ value: Int) -> UInt8 { UInt8(clamping: value) }

    private static let cosines: [Float] = (0..<64).map { index in
        let x = index / 8, u = index % 8
        let c: Float = u == 0 ? 1 / Float(2).squareRoot() : 1
        return c * cos(Float(2 * x + 1) * Float(u) * .pi / 16) / 2
    }

    /// Separable 8 × 8 inverse DCT of dequantised coefficients (natural order). A block with only a DC term (smooth
    /// areas, most of many images) is one value.
    private static func inverseTransform(_ coefficients: [Int16], base: Int, quantization: [Int], into out: inout [Float]) {
        var onlyDC = true
        for k in 1..<64 where coefficients[base + k] != 0 { onlyDC = false; break }
        if onlyDC {
            let value = Float(Int(coefficients[base]) * quantization[0]) / 8
            for k in 0..<64 { out[k] = value }
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 128) { scratch in
            let input = scratch.baseAddress!, temp = scratch.baseAddress! + 64
            for k in 0..<64 { input[k] = Float(Int(coefficients[base + k]) * quantization[k]) }
            cosines.withUnsafeBufferPointer { c in
                // Rows: temp[v][x] = Σu C(x,u) F[v][u].
                for v in 0..<8 {
                    for x in 0..<8 {
                        var sum: Float = 0
                        for u in 0..<8 { sum += c[x * 8 + u] * input[v * 8 + u] }
                        temp[v * 8 + x] = sum
                    }
                }
                // Columns: out[y][x] = Σv C(y,v) temp[v][x].
                for y in 0..<8 {
                    for x in 0..<8 {
                        var sum: Float = 0
                        for v in 0..<8 { sum += c[y * 8 + v] * temp[v * 8 + x] }
                        out[y * 8 + x] = sum
                    }
                }
            }
        }
    }
}
