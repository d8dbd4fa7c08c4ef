import Foundation

/// A QR Code symbol (ISO/IEC 18004) holding bytes in byte mode, so an admin's authenticator app can scan their
/// TOTP enrolment `otpauth://` URI. Written here rather than taken as a dependency because the server needs only
/// this one small, fixed job. Matrices and mask choices were checked module for module against segno.
struct QRCode: Sendable {
    enum ErrorCorrection: Sendable, CaseIterable {
        case low, medium, quartile, high

        /// The two bits the format information uses; the standard numbers the levels out of order.
        fileprivate var formatBits: Int {
            switch self {
            case .low: 1
            case .medium: 0
            case .quartile: 3
            case .high: 2
            }
        }

        fileprivate var tableColumn: Int {
            switch self {
            case .low: 0
            case .medium: 1
            case .quartile: 2
            case .high: 3
            }
        }
    }

    enum Failure: Error, Equatable { case tooLong }

    /// Modules per side.
    let size: Int
    let version: Int
    let correction: ErrorCorrection
    /// The data mask (0–7) written into the format information.
    let mask: Int
    /// `modules[y][x] == true` is dark.
    let modules: [[Bool]]

    /// Encodes the UTF-8 bytes of `text` in the smallest version that holds them at `correction`.
    init(_ text: String, correction: ErrorCorrection = .medium) throws {
        try self.init(bytes: Array(text.utf8), correction: correction)
    }

    /// `forcedMask` skips the penalty evaluation; it exists for tests.
    init(bytes: [UInt8], correction: ErrorCorrection = .medium, forcedMask: Int? = nil) throws {
        guard
            let version = (1...40).first(where: {
                Self.dataCodewordCount(version: $0, correction: correction) * 8 >= Self.bitLength(byteCount: bytes.count, version: $0)
            })
        else { throw Failure.tooLong }
        precondition(forcedMask.map { (0...7).contains($0) } ?? true, "QR masks are numbered 0 through 7")

        let data = Self.dataCodewords(bytes, version: version, correction: correction)
        var grid = Grid(version: version)
        grid.place(Self.finalMessage(data, version: version, correction: correction))

        let mask = forcedMask ?? grid.bestMask()
        grid = grid.masked(mask)
        grid.drawFormat(correction: correction, mask: mask)
        grid.drawVersion()

        self.version = version
        self.size = grid.size
        self.correction = correction
        self.mask = mask
        self.modules = (0..<grid.size).map { y in Array(grid.dark[(y * grid.size)..<((y + 1) * grid.size)]) }
    }

    // MARK: - SVG

    /// One `<path>` of the dark modules over a white square, so the quiet zone stays light even on a dark page.
    /// The viewBox is in modules and `crispEdges` keeps anti-aliasing from blurring module boundaries.
    func svg(moduleSize: Int = 8, quietZone: Int = 4) -> String {
        let side = size + 2 * quietZone
        var path = ""
        for (y, row) in modules.enumerated() {
            var x = 0
            while x < size {
                guard row[x] else { x += 1; continue }
                // Runs of dark modules become one rectangle each, which keeps the path a few KB even at version 40.
                var run = 1
                while x + run < size, row[x + run] { run += 1 }
                path += "M\(x + quietZone) \(y + quietZone)h\(run)v1h-\(run)z"
                x += run
            }
        }
        let pixels = side * moduleSize
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(pixels)" height="\(pixels)" viewBox="0 0 \(side) \(side)" \
            shape-rendering="crispEdges"><rect width="\(side)" height="\(side)" fill="#fff"/>\
            <path fill="#000" d="\(path)"/></svg>
            """
    }

    func svgDataURI() -> String {
        "data:image/svg+xml;base64," + Data(svg().utf8).base64EncodedString()
    }

    // MARK: - Data codewords

    /// Mode indicator, character count (8 bits up to version 9, 16 from version 10 on) and the bytes.
    private static func bitLength(byteCount: Int, version: Int) -> Int {
        4 + (version <= 9 ? 8 : 16) + 8 * byteCount
    }

    private static func dataCodewords(_ bytes: [UInt8], version: Int, correction: ErrorCorrection) -> [UInt8] {
        let capacity = dataCodewordCount(version: version, correction: correction)
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: version <= 9 ? 8 : 16)
        for byte in bytes { bits.append(Int(byte), count: 8) }
        // The terminator is cut short when the symbol is full; then pad to a byte boundary.
        bits.append(0, count: min(4, capacity * 8 - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var codewords = bits.bytes
        // Alternating pad bytes rather than zeros keep the unused area from forming large uniform patches.
        for pad in 0..<(capacity - codewords.count) { codewords.append(pad % 2 == 0 ? 0xEC : 0x11) }
        return codewords
    }

    /// Splits the data into the version's error-correction blocks, appends Reed–Solomon codewords to each and
    /// interleaves them, so that a localised smudge damages a little of every block instead of all of one.
    private static func finalMessage(_ data: [UInt8], version: Int, correction: ErrorCorrection) -> [UInt8] {
        let layout = blockTable[version - 1][correction.tableColumn]
        let blockCount = layout.group1 + layout.group2
        let shortLength = data.count / blockCount
        // Group 2 blocks carry one data codeword more than group 1; the table and the capacity must agree on that.
        precondition(data.count % blockCount == layout.group2, "block table inconsistent for version \(version)")
        let divisor = ReedSolomon.divisor(degree: layout.ecPerBlock)

        var dataBlocks: [[UInt8]] = []
        var offset = 0
        for index in 0..<blockCount {
            let length = shortLength + (index < layout.group1 ? 0 : 1)
            dataBlocks.append(Array(data[offset..<(offset + length)]))
            offset += length
        }
        let ecBlocks = dataBlocks.map { ReedSolomon.remainder(of: $0, divisor: divisor) }

        var message: [UInt8] = []
        message.reserveCapacity(data.count + blockCount * layout.ecPerBlock)
        for column in 0...shortLength {
            for block in dataBlocks where column < block.count { message.append(block[column]) }
        }
        for column in 0..<layout.ecPerBlock {
            for block in ecBlocks { message.append(block[column]) }
        }
        return message
    }

    /// The codewords left for data once function patterns and error correction have taken their share.
    static func dataCodewordCount(version: Int, correction: ErrorCorrection) -> Int {
        let layout = blockTable[version - 1][correction.tableColumn]
        return rawCodewordCount(version: version) - layout.ecPerBlock * (layout.group1 + layout.group2)
    }

    /// Whole 8-bit codewords that fit in the modules not taken by function patterns; the 0, 3, 4 or 7 modules
    /// left over are remainder bits.
    private static func rawCodewordCount(version: Int) -> Int {
        let size = 4 * version + 17
        let alignmentsPerSide = alignmentCentres[version - 1].count
        // Finders with separators (3 × 64), both format strips and the dark module (31), the timing lines.
        var modules = size * size - 3 * 64 - 31 - 2 * (size - 16)
        if alignmentsPerSide > 0 {
            // All grid positions but the three under the finders; those on row/column 6 overlap the timing line.
            modules -= 25 * (alignmentsPerSide * alignmentsPerSide - 3) - 2 * 5 * (alignmentsPerSide - 2)
        }
        if version >= 7 { modules -= 2 * 18 }
        return modules / 8
    }

    // MARK: - Tables (ISO/IEC 18004 tables 9 and E.1)

    /// Per version, for L, M, Q, H: error-correction codewords per block and the block counts of groups 1 and 2.
    private static let blockTable: [[(ecPerBlock: Int, group1: Int, group2: Int)]] = [
        [(7, 1, 0), (10, 1, 0), (13, 1, 0), (17, 1, 0)],  // 1
        [(10, 1, 0), (16, 1, 0), (22, 1, 0), (28, 1, 0)],  // 2
        [(15, 1, 0), (26, 1, 0), (18, 2, 0), (22, 2, 0)],  // 3
        [(20, 1, 0), (18, 2, 0), (26, 2, 0), (16, 4, 0)],  // 4
        [(26, 1, 0), (24, 2, 0), (18, 2, 2), (22, 2, 2)],  // 5
        [(18, 2, 0), (16, 4, 0), (24, 4, 0), (28, 4, 0)],  // 6
        [(20, 2, 0), (18, 4, 0), (18, 2, 4), (26, 4, 1)],  // 7
        [(24, 2, 0), (22, 2, 2), (22, 4, 2), (26, 4, 2)],  // 8
        [(30, 2, 0), (22, 3, 2), (20, 4, 4), (24, 4, 4)],  // 9
        [(18, 2, 2), (26, 4, 1), (24, 6, 2), (28, 6, 2)],  // 10
        [(20, 4, 0), (30, 1, 4), (28, 4, 4), (24, 3, 8)],  // 11
        [(24, 2, 2), (22, 6, 2), (26, 4, 6), (28, 7, 4)],  // 12
        [(26, 4, 0), (22, 8, 1), (24, 8, 4), (22, 12, 4)],  // 13
        [(30, 3, 1), (24, 4, 5), (20, 11, 5), (24, 11, 5)],  // 14
        [(22, 5, 1), (24, 5, 5), (30, 5, 7), (24, 11, 7)],  // 15
        [(24, 5, 1), (28, 7, 3), (24, 15, 2), (30, 3, 13)],  // 16
        [(28, 1, 5), (28, 10, 1), (28, 1, 15), (28, 2, 17)],  // 17
        [(30, 5, 1), (26, 9, 4), (28, 17, 1), (28, 2, 19)],  // 18
        [(28, 3, 4), (26, 3, 11), (26, 17, 4), (26, 9, 16)],  // 19
        [(28, 3, 5), (26, 3, 13), (30, 15, 5), (28, 15, 10)],  // 20
        [(28, 4, 4), (26, 17, 0), (28, 17, 6), (30, 19, 6)],  // 21
        [(28, 2, 7), (28, 17, 0), (30, 7, 16), (24, 34, 0)],  // 22
        [(30, 4, 5), (28, 4, 14), (30, 11, 14), (30, 16, 14)],  // 23
        [(30, 6, 4), (28, 6, 14), (30, 11, 16), (30, 30, 2)],  // 24
        [(26, 8, 4), (28, 8, 13), (30, 7, 22), (30, 22, 13)],  // 25
        [(28, 10, 2), (28, 19, 4), (28, 28, 6), (30, 33, 4)],  // 26
        [(30, 8, 4), (28, 22, 3), (30, 8, 26), (30, 12, 28)],  // 27
        [(30, 3, 10), (28, 3, 23), (30, 4, 31), (30, 11, 31)],  // 28
        [(30, 7, 7), (28, 21, 7), (30, 1, 37), (30, 19, 26)],  // 29
        [(30, 5, 10), (28, 19, 10), (30, 15, 25), (30, 23, 25)],  // 30
        [(30, 13, 3), (28, 2, 29), (30, 42, 1), (30, 23, 28)],  // 31
        [(30, 17, 0), (28, 10, 23), (30, 10, 35), (30, 19, 35)],  // 32
        [(30, 17, 1), (28, 14, 21), (30, 29, 19), (30, 11, 46)],  // 33
        [(30, 13, 6), (28, 14, 23), (30, 44, 7), (30, 59, 1)],  // 34
        [(30, 12, 7), (28, 12, 26), (30, 39, 14), (30, 22, 41)],  // 35
        [(30, 6, 14), (28, 6, 34), (30, 46, 10), (30, 2, 64)],  // 36
        [(30, 17, 4), (28, 29, 14), (30, 49, 10), (30, 24, 46)],  // 37
        [(30, 4, 18), (28, 13, 32), (30, 48, 14), (30, 42, 32)],  // 38
        [(30, 20, 4), (28, 40, 7), (30, 43, 22), (30, 10, 67)],  // 39
        [(30, 19, 6), (28, 18, 31), (30, 34, 34), (30, 20, 61)],  // 40
    ]

    /// Row/column coordinates of alignment pattern centres; every combination gets one except under the finders.
    private static let alignmentCentres: [[Int]] = [
        [], [6, 18], [6, 22], [6, 26], [6, 30], [6, 34],
        [6, 22, 38], [6, 24, 42], [6, 26, 46], [6, 28, 50], [6, 30, 54], [6, 32, 58], [6, 34, 62],
        [6, 26, 46, 66], [6, 26, 48, 70], [6, 26, 50, 74], [6, 30, 54, 78], [6, 30, 56, 82], [6, 30, 58, 86],
        [6, 34, 62, 90],
        [6, 28, 50, 72, 94], [6, 26, 50, 74, 98], [6, 30, 54, 78, 102], [6, 28, 54, 80, 106],
        [6, 32, 58, 84, 110], [6, 30, 58, 86, 114], [6, 34, 62, 90, 118],
        [6, 26, 50, 74, 98, 122], [6, 30, 54, 78, 102, 126], [6, 26, 52, 78, 104, 130],
        [6, 30, 56, 82, 108, 134], [6, 34, 60, 86, 112, 138], [6, 30, 58, 86, 114, 142], [6, 34, 62, 90, 118, 146],
        [6, 30, 54, 78, 102, 126, 150], [6, 24, 50, 76, 102, 128, 154], [6, 28, 54, 80, 106, 132, 158],
        [6, 32, 58, 84, 110, 136, 162], [6, 26, 54, 82, 110, 138, 166], [6, 30, 58, 86, 114, 142, 170],
    ]

    // MARK: - Module grid

    private struct Grid {
        let version: Int
        let size: Int
        var dark: [Bool]
        /// Function-pattern modules: never carry data and are never masked.
        var reserved: [Bool]

        init(version: Int) {
            self.version = version
            size = 4 * version + 17
            dark = Array(repeating: false, count: size * size)
            reserved = dark
            for i in 0..<size {
                set(6, i, dark: i % 2 == 0)
                set(i, 6, dark: i % 2 == 0)
            }
            // Finders (7×7 with a 3×3 core) plus their one-module light separators, clipped at the edge.
            for (cx, cy) in [(3, 3), (size - 4, 3), (3, size - 4)] {
                for dy in -4...4 {
                    for dx in -4...4 where (0..<size).contains(cx + dx) && (0..<size).contains(cy + dy) {
                        let ring = max(abs(dx), abs(dy))
                        set(cx + dx, cy + dy, dark: ring != 2 && ring != 4)
                    }
                }
            }
            let centres = QRCode.alignmentCentres[version - 1]
            for (i, cy) in centres.enumerated() {
                for (j, cx) in centres.enumerated() {
                    let last = centres.count - 1
                    if (i == 0 && j == 0) || (i == 0 && j == last) || (i == last && j == 0) { continue }
                    for dy in -2...2 {
                        for dx in -2...2 { set(cx + dx, cy + dy, dark: max(abs(dx), abs(dy)) != 1) }
                    }
                }
            }
            // Reserve (light for now) the format strips, including the dark module, and the version blocks.
            for i in 0...8 where i != 6 {
                set(8, i, dark: false)
                set(i, 8, dark: false)
            }
            for i in (size - 8)..<size {
                set(8, i, dark: false)
                set(i, 8, dark: false)
            }
            if version >= 7 {
                for i in 0..<18 {
                    set(size - 11 + i % 3, i / 3, dark: false)
                    set(i / 3, size - 11 + i % 3, dark: false)
                }
            }
        }

        private mutating func set(_ x: Int, _ y: Int, dark isDark: Bool) {
            dark[y * size + x] = isDark
            reserved[y * size + x] = true
        }

        /// Two-module-wide columns from the right, alternately upwards and downwards, skipping the vertical
        /// timing column; bits past the message (remainder bits) stay light.
        mutating func place(_ codewords: [UInt8]) {
            var bitIndex = 0
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                let upwards = (right + 1) & 2 == 0
                for step in 0..<size {
                    let y = upwards ? size - 1 - step : step
                    for x in [right, right - 1] where !reserved[y * size + x] && bitIndex < codewords.count * 8 {
                        dark[y * size + x] = (codewords[bitIndex / 8] >> (7 - bitIndex % 8)) & 1 == 1
                        bitIndex += 1
                    }
                }
                right -= 2
            }
        }

        func masked(_ mask: Int) -> Grid {
            var copy = self
            for y in 0..<size {
                for x in 0..<size where !reserved[y * size + x] {
                    let flip =
                        switch mask {
                        case 0: (y + x) % 2 == 0
                        case 1: y % 2 == 0
                        case 2: x % 3 == 0
                        case 3: (y + x) % 3 == 0
                        case 4: (y / 2 + x / 3) % 2 == 0
                        case 5: (y * x) % 2 + (y * x) % 3 == 0
                        case 6: ((y * x) % 2 + (y * x) % 3) % 2 == 0
                        default: ((y + x) % 2 + (y * x) % 3) % 2 == 0
                        }
                    if flip { copy.dark[y * size + x].toggle() }
                }
            }
            return copy
        }

        /// Format and version information encode the mask, so they are written after it is chosen: candidates
        /// are scored with those areas, and the dark module among them, still light.
        func bestMask() -> Int {
            let penalties = (0...7).map { masked($0).penalty() }
            // min(by:) keeps the first of equal scores, so ties go to the lowest mask number.
            return penalties.indices.min { penalties[$0] < penalties[$1] }!
        }

        private static let finderLike = [true, false, true, true, true, false, true]

        /// The four penalty rules; a lower score means fewer features a reader could mistake for structure
        /// (long runs, blocks, finder look-alikes) and a more even dark/light balance.
        func penalty() -> Int {
            var score = 0
            let rows = (0..<size).map { y in Array(dark[(y * size)..<((y + 1) * size)]) }
            let columns = (0..<size).map { x in (0..<size).map { y in dark[y * size + x] } }
            for line in rows + columns {
                // Rule 1: a run of 5 costs 3, each module beyond adds 1.
                var run = 1
                for i in 1...size {
                    if i < size, line[i] == line[i - 1] {
                        run += 1
                    } else {
                        if run >= 5 { score += run - 2 }
                        run = 1
                    }
                }
                // Rule 3: dark-light-dark×3-light-dark with 4 light modules on either side; outside the symbol
                // is quiet zone, so counts as light. A counted occurrence is skipped past, so one sharing its
                // modules is not counted again.
                var i = 0
                while i + 7 <= size {
                    if line[i..<(i + 7)].elementsEqual(Self.finderLike),
                        line[max(0, i - 4)..<i].allSatisfy({ !$0 }) || line[(i + 7)..<min(size, i + 11)].allSatisfy({ !$0 })
                    {
                        score += 40
                        i += 7
                    } else {
                        i += 1
                    }
                }
            }
            // Rule 2: every 2×2 block of one colour, overlapping blocks counted separately.
            for y in 0..<(size - 1) {
                for x in 0..<(size - 1) {
                    let colour = dark[y * size + x]
                    if dark[y * size + x + 1] == colour, dark[(y + 1) * size + x] == colour,
                        dark[(y + 1) * size + x + 1] == colour
                    {
                        score += 3
                    }
                }
            }
            // Rule 4: 10 per full 5% step away from half dark (a share exactly on a step counts the lower step).
            let total = size * size
            let darkCount = dark.count(where: { $0 })
            let steps = (abs(darkCount * 20 - total * 10) + total - 1) / total - 1
            score += 10 * max(0, steps)
            return score
        }

        /// Level and mask, BCH(15,5)-protected and XORed with 0x5412 so it is never all light; written twice so
        /// either copy survives damage to one corner.
        mutating func drawFormat(correction: ErrorCorrection, mask: Int) {
            let data = correction.formatBits << 3 | mask
            let bits = (data << 10 | QRCode.bchRemainder(data, generator: 0x537, degree: 10)) ^ 0x5412
            func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
            for i in 0...5 { set(8, i, dark: bit(i)) }
            set(8, 7, dark: bit(6))
            set(8, 8, dark: bit(7))
            set(7, 8, dark: bit(8))
            for i in 9..<15 { set(14 - i, 8, dark: bit(i)) }
            for i in 0..<8 { set(size - 1 - i, 8, dark: bit(i)) }
            for i in 8..<15 { set(8, size - 15 + i, dark: bit(i)) }
            set(8, size - 8, dark: true)
        }

        /// From version 7 the size is too fine to infer from the timing pattern alone, so the version is
        /// spelled out, BCH(18,6)-protected, beside the two far finders.
        mutating func drawVersion() {
            guard version >= 7 else { return }
            let bits = version << 12 | QRCode.bchRemainder(version, generator: 0x1F25, degree: 12)
            for i in 0..<18 {
                let isDark = (bits >> i) & 1 == 1
                set(size - 11 + i % 3, i / 3, dark: isDark)
                set(i / 3, size - 11 + i % 3, dark: isDark)
            }
        }
    }

    /// Remainder of `data · x^degree` divided by `generator` over GF(2).
    private static func bchRemainder(_ data: Int, generator: Int, degree: Int) -> Int {
        var value = data << degree
        for shift in stride(from: bitWidth(value) - 1, through: degree, by: -1) where (value >> shift) & 1 == 1 {
            value ^= generator << (shift - degree)
        }
        return value
    }

    private static func bitWidth(_ value: Int) -> Int { Int.bitWidth - value.leadingZeroBitCount }
}

// MARK: - Reed–Solomon over GF(256)

/// Arithmetic in GF(2⁸) modulo x⁸ + x⁴ + x³ + x² + 1 (0x11D), with α = 2, the field QR codes are defined over.
private enum ReedSolomon {
    /// exp doubled in length so a product's log sum needs no modulo.
    static let exp: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 512)
        var value = 1
        for i in 0..<255 {
            table[i] = UInt8(value)
            table[i + 255] = UInt8(value)
            value <<= 1
            if value & 0x100 != 0 { value ^= 0x11D }
        }
        return table
    }()

    static let log: [Int] = {
        var table = [Int](repeating: 0, count: 256)
        for i in 0..<255 { table[Int(exp[i])] = i }
        return table
    }()

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        a == 0 || b == 0 ? 0 : exp[log[Int(a)] + log[Int(b)]]
    }

    /// The generator ∏(x − αⁱ) for i in 0..<degree, leading 1 omitted, highest power first.
    static func divisor(degree: Int) -> [UInt8] {
        var coefficients = [UInt8](repeating: 0, count: degree)
        coefficients[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                coefficients[j] = multiply(coefficients[j], root)
                if j + 1 < degree { coefficients[j] ^= coefficients[j + 1] }
            }
            root = multiply(root, 2)
        }
        return coefficients
    }

    /// The error-correction codewords: the data polynomial times x^degree, modulo the generator.
    static func remainder(of data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for i in result.indices { result[i] ^= multiply(divisor[i], factor) }
        }
        return result
    }
}

/// Bits appended most significant first, as the QR bit stream is defined.
private struct BitBuffer {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    mutating func append(_ value: Int, count length: Int) {
        for shift in stride(from: length - 1, through: 0, by: -1) {
            if count % 8 == 0 { bytes.append(0) }
            if (value >> shift) & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> (count % 8) }
            count += 1
        }
    }
}
