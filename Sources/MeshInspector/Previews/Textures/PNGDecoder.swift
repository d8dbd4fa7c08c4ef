import Foundation

/// PNG (ISO/IEC 15948) to a scaled-down RGBA texture: every colour type (grey, RGB, palette, grey + alpha, RGBA) at
/// every bit depth, Adam7 interlacing included. The IDAT stream is inflated with the exact size the header
/// implies as its cap, so a compression bomb costs no more than an honest image of the declared size, and that
/// size is bounded by `PreviewTextureDecoder.Limits` before anything is allocated. CRCs are not checked: a
/// preview gains nothing from refusing a texture whose pixels still decode.
enum PNGDecoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    static func isPNG(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 8 && zip(bytes.prefix(8), signature).allSatisfy { $0 == $1 }
    }

    private struct Header {
        var width: Int
        var height: Int
        var bitDepth: Int
        var colourType: Int
        var interlaced: Bool

        var channels: Int {
            switch colourType {
            case 0, 3: 1
            case 4: 2
            case 2: 3
            default: 4
            }
        }
        var bitsPerPixel: Int { channels * bitDepth }
        /// Bytes between a pixel and the one before it for filtering (at least one).
        var filterStep: Int { Swift.max(1, bitsPerPixel / 8) }
        func rowBytes(_ width: Int) -> Int { (width * bitsPerPixel + 7) / 8 }
    }

    /// Adam7 passes: first column and row, column and row steps.
    private static let passes: [(x: Int, y: Int, dx: Int, dy: Int)] = [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ]

    static func decode(_ bytes: UnsafeRawBufferPointer, limits: PreviewTextureDecoder.Limits) throws -> PreviewTexture? {
        guard isPNG(bytes) else { throw TextureDecodingError("not a PNG") }
        var position = 8
        var header: Header?
        var palette: [UInt8] = []
        var compressed: [UInt8] = []
        func be32(_ at: Int) -> Int {
            Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3])
        }
        while position + 8 <= bytes.count {
            let length = be32(position)
            let type = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(position + 4)..<(position + 8)]), as: UTF8.self)
            let start = position + 8
            guard length >= 0, length <= bytes.count - start else { throw TextureDecodingError("chunk runs past the end") }
            let body = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
            position = start + length + 4
            switch type {
            case "IHDR":
                guard length >= 13 else { throw TextureDecodingError("short IHDR") }
                let parsed = Header(
                    width: be32(start), height: be32(start + 4), bitDepth: Int(body[8]), colourType: Int(body[9]),
                    interlaced: body[12] == 1)
                let valid: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
                guard valid[parsed.colourType]?.contains(parsed.bitDepth) == true, body[10] == 0, body[11] == 0,
                      body[12] <= 1 else { throw TextureDecodingError("unsupported PNG format") }
                header = parsed
            case "PLTE":
                palette = Array(body.prefix(768))
            case "IDAT":
                guard compressed.count + length <= limits.maxDecodedBytes else { throw TextureDecodingError("too much data") }
                compressed.append(contentsOf: body)
            case "IEND":
                position = bytes.count
            default:
                continue
            }
        }
        guard let header else { throw TextureDecodingError("no IHDR") }
        var output = try TextureDownsampler(width: header.width, height: header.height, limits: limits)
        if header.colourType == 3, palette.count < 3 { throw TextureDecodingError("palette image without a palette") }

        // The exact size of the filtered scanlines, computed before inflating.
        var rawSize = 0
        let layout: [(x: Int, y: Int, dx: Int, dy: Int)] = header.interlaced ? passes : [(0, 0, 1, 1)]
        for pass in layout {
            let columns = (header.width - pass.x + pass.dx - 1) / pass.dx
            let rows = (header.height - pass.y + pass.dy - 1) / pass.dy
            guard columns > 0, rows > 0 else { continue }
            rawSize += rows * (1 + header.rowBytes(columns))
        }
        guard rawSize <= limits.maxDecodedBytes else { throw TextureDecodingError("image data too large") }
        let raw = try compressed.withUnsafeBytes {
            try Decompression.inflateZlib($0, expectedSize: rawSize, limit: limits.maxDecodedBytes)
        }

        var offset = 0
        for pass in layout {
            let columns = (header.width - pass.x + pass.dx - 1) / pass.dx
            let rows = (header.height - pass.y + pass.dy - 1) / pass.dy
            guard columns > 0, rows > 0 else { continue }
            let rowBytes = header.rowBytes(columns)
            var previous = [UInt8](repeating: 0, count: rowBytes)
            var current = [UInt8](repeating: 0, count: rowBytes)
            var rgb = [UInt8](repeating: 0, count: columns * 3)
            for row in 0..<rows {
                let filter = raw[offset]
                for index in 0..<rowBytes { current[index] = raw[offset + 1 + index] }
                offset += 1 + rowBytes
                try unfilter(&current, previous: previous, filter: filter, step: header.filterStep)
                if !header.interlaced, header.bitDepth == 8, header.colourType == 2 || header.colourType == 6 {
                    // The common case, whole rows at a time.
                    let channels = header.channels
                    for column in 0..<columns {
                        rgb[column * 3] = current[column * channels]
                        rgb[column * 3 + 1] = current[column * channels + 1]
                        rgb[column * 3 + 2] = current[column * channels + 2]
                    }
                    rgb.withUnsafeBufferPointer { output.add(row: row, rgb: $0) }
                } else {
                    emit(current, columns: columns, header: header, palette: palette) { column, r, g, b, a in
                        output.add(pass.x + column * pass.dx, pass.y + row * pass.dy, r, g, b, a)
                    }
                }
                swap(&previous, &current)
            }
        }
        return output.texture()
    }

    private static func unfilter(_ row: inout [UInt8], previous: [UInt8], filter: UInt8, step: Int) throws {
        let count = row.count
        switch filter {
        case 0: return
        case 1: for i in step..<Swift.max(step, count) { row[i] = row[i] &+ row[i - step] }
        case 2: for i in 0..<count { row[i] = row[i] &+ previous[i] }
        case 3:
            for i in 0..<count {
                let left = i >= step ? Int(row[i - step]) : 0
                row[i] = row[i] &+ UInt8((left + Int(previous[i])) / 2)
            }
        case 4:
            for i in 0..<count {
                let a = i >= step ? Int(row[i - step]) : 0
                let b = Int(previous[i])
                let c = i >= step ? Int(previous[i - step]) : 0
                let p = a + b - c
                let pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                let predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                row[i] = row[i] &+ UInt8(predictor)
            }
        default: throw TextureDecodingError("unknown filter \(filter)")
        }
    }

    /// Calls `pixel` with each pixel of an unfiltered row as 8-bit RGBA (16-bit samples keep their high byte).
    @inline(__always)
    private static func emit(
        _ row: [UInt8], columns: Int, header: Header, palette: [UInt8],
        _ pixel: (Int, UInt8, UInt8, UInt8, UInt8) -> Void
    ) {
        let depth = header.bitDepth
        if depth < 8 {
            let mask = (1 << depth) - 1
            let scale = 255 / mask
            for column in 0..<columns {
                let bit = column * depth
                let value = Int(row[bit / 8]) >> (8 - depth - bit % 8) & mask
                if header.colourType == 3 {
                    let entry = value * 3
                    if entry + 2 < palette.count {
                        pixel(column, palette[entry], palette[entry + 1], palette[entry + 2], 255)
                    } else {
                        pixel(column, 0, 0, 0, 255)
                    }
                } else {
                    let grey = UInt8(value * scale)
                    pixel(column, grey, grey, grey, 255)
                }
            }
            return
        }
        let bytesPerSample = depth / 8
        let stride = header.channels * bytesPerSample
        for column in 0..<columns {
            let base = column * stride
            func sample(_ channel: Int) -> UInt8 { row[base + channel * bytesPerSample] }
            switch header.colourType {
            case 0: pixel(column, sample(0), sample(0), sample(0), 255)
            case 2: pixel(column, sample(0), sample(1), sample(2), 255)
            case 3:
                let entry = Int(row[base]) * 3
                if entry + 2 < palette.count {
                    pixel(column, palette[entry], palette[entry + 1], palette[entry + 2], 255)
                } else {
                    pixel(column, 0, 0, 0, 255)
                }
            case 4: pixel(column, sample(0), sample(0), sample(0), sample(1))
            default: pixel(column, sample(0), sample(1), sample(2), sample(3))
            }
        }
    }
}
