/// Draco's entropy coders: the rANS symbol decoder (with its tagged and raw symbol layouts) and the rANS bit
/// decoder. Streams are read backwards from the end of their block, as the encoder wrote them.
enum DracoEntropy {
    /// `DecodeSymbols`: `count` unsigned values, `components` per tag in the tagged layout.
    static func symbols(_ count: Int, components: Int = 1, from buffer: inout DracoBuffer) throws -> [UInt32] {
        guard count > 0 else { return [] }
        // Tagged values cost at least a bit each and raw ones a fraction of one: no real stream exceeds this.
        guard count <= buffer.remaining * 64 + 64 else { throw DracoDecoder.corrupt("it declares more values than its bytes can hold") }
        var values = [UInt32](repeating: 0, count: count)
        switch try buffer.uint8() {
        case 0:
            var tags = try RANSSymbolDecoder(bitLength: 5, buffer: &buffer)
            var bits = buffer.startBits()
            var index = 0
            while index < count {
                let length = Int(try tags.next())
                for _ in 0..<components where index < count {
                    values[index] = try bits.bits(length)
                    index += 1
                }
            }
            try buffer.finish(bits)
        case 1:
            let maxBitLength = Int(try buffer.uint8())
            guard (1...18).contains(maxBitLength) else { throw DracoDecoder.corrupt("a symbol width of \(maxBitLength) bits is invalid") }
            var decoder = try RANSSymbolDecoder(bitLength: maxBitLength, buffer: &buffer)
            for index in 0..<count { values[index] = try decoder.next() }
        default:
            throw DracoDecoder.corrupt("a symbol coding scheme is unknown")
        }
        return values
    }
}

/// rANS over a probability table read from the stream; precision 2^12...2^20 depending on the symbol width.
struct RANSSymbolDecoder {
    private let precision: UInt32
    private let lowerBound: UInt32
    private var probabilities: [UInt32] = []
    private var cumulative: [UInt32] = []
    private var stream: [UInt8] = []
    private var offset = 0
    private var state: UInt32 = 0

    init(bitLength: Int, buffer: inout DracoBuffer) throws {
        let bits = min(20, max(12, (3 * bitLength) / 2))
        precision = 1 << UInt32(bits)
        lowerBound = precision * 4
        let symbolCount = try buffer.count()
        guard symbolCount / 64 <= buffer.remaining, symbolCount <= Int(precision) * 64 else {
            throw DracoDecoder.corrupt("a probability table is larger than its stream")
        }
        probabilities = [UInt32](repeating: 0, count: symbolCount)
        var index = 0
        while index < symbolCount {
            let data = try buffer.uint8()
            let token = data & 3
            if token == 3 {
                let zeros = Int(data >> 2)
                guard index + zeros < symbolCount else { throw DracoDecoder.corrupt("a probability table overruns") }
                index += zeros + 1
            } else {
                var probability = UInt32(data >> 2)
                for extra in 0..<Int(token) {
                    probability |= UInt32(try buffer.uint8()) << UInt32(8 * (extra + 1) - 2)
                }
                probabilities[index] = probability
                index += 1
            }
        }
        // Symbols are found by binary search over the cumulative table rather than through a 2^precision lookup
        // table: a stream of many tiny symbol blocks then cannot make each one allocate and fill megabytes.
        if symbolCount > 0 {
            cumulative = [UInt32](repeating: 0, count: symbolCount)
            var total: UInt32 = 0
            for symbol in 0..<symbolCount {
                cumulative[symbol] = total
                let next = UInt64(total) + UInt64(probabilities[symbol])
                guard next <= UInt64(precision) else { throw DracoDecoder.corrupt("a probability table does not add up") }
                total = UInt32(next)
            }
            guard total == precision else { throw DracoDecoder.corrupt("a probability table does not add up") }
        }
        // StartDecoding: the coded bytes follow the table.
        let size = try buffer.size()
        guard size <= buffer.remaining else { throw DracoDecoder.corrupt("an entropy block runs past its end") }
        stream = Array(buffer.bytes[buffer.position..<(buffer.position + size)])
        try buffer.skip(size)
        guard symbolCount > 0 else { return }
        guard size >= 1 else { throw DracoDecoder.corrupt("an entropy block is empty") }
        let (initial, consumed) = try RANSSymbolDecoder.initialState(stream, size)
        offset = size - consumed
        state = initial + lowerBound
        guard state < lowerBound * 256 else { throw DracoDecoder.corrupt("an entropy block starts badly") }
    }

    /// The state the encoder flushed at the end of the block: 1 to 4 bytes, their count in the top two bits.
    static func initialState(_ stream: [UInt8], _ size: Int) throws -> (UInt32, Int) {
        let last = stream[size - 1]
        let width = Int(last >> 6) + 1
        guard size >= width else { throw DracoDecoder.corrupt("an entropy block starts badly") }
        var value: UInt32 = 0
        for byte in 0..<width { value |= UInt32(stream[size - width + byte]) << UInt32(8 * byte) }
        let mask: UInt32 = width == 4 ? 0x3FFF_FFFF : (1 << UInt32(8 * width - 2)) - 1
        return (value & mask, width)
    }

    mutating func next() throws -> UInt32 {
        guard !cumulative.isEmpty else { throw DracoDecoder.corrupt("a symbol stream has no symbols") }
        while state < lowerBound && offset > 0 {
            offset -= 1
            state = state << 8 | UInt32(stream[offset])
        }
        let quotient = state / precision
        let remainder = state % precision
        // The last symbol whose range starts at or below the remainder (zero-probability symbols share their
        // successor's start, so the last one is the one that owns the range).
        var low = 0, high = cumulative.count
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] <= remainder { low = middle + 1 } else { high = middle }
        }
        let symbol = low - 1
        state = quotient &* probabilities[symbol] &+ remainder &- cumulative[symbol]
        return UInt32(symbol)
    }
}

/// The rANS bit decoder (`RAnsBitDecoder`): one probability of zero for the whole block.
struct RANSBitDecoder {
    private var stream: [UInt8] = []
    private var offset = 0
    private var state: UInt32 = 0
    private var probabilityZero: UInt32 = 0

    init() {}

    init(buffer: inout DracoBuffer) throws {
        probabilityZero = UInt32(try buffer.uint8())
        let size = try buffer.count()
        guard size <= buffer.remaining else { throw DracoDecoder.corrupt("a bit block runs past its end") }
        stream = Array(buffer.bytes[buffer.position..<(buffer.position + size)])
        try buffer.skip(size)
        guard size >= 1 else { throw DracoDecoder.corrupt("a bit block is empty") }
        let (initial, consumed) = try RANSSymbolDecoder.initialState(stream, size)
        guard consumed <= 3 else { throw DracoDecoder.corrupt("a bit block starts badly") }
        offset = size - consumed
        state = initial + 4096
        guard state < 4096 * 256 else { throw DracoDecoder.corrupt("a bit block starts badly") }
    }

    mutating func next() -> Bool {
        let p = 256 - probabilityZero
        if state < 4096 && offset > 0 {
            offset -= 1
            state = state << 8 | UInt32(stream[offset])
        }
        let quotient = state / 256
        let remainder = state % 256
        let scaled = quotient &* p
        if remainder < p {
            state = scaled &+ remainder
            return true
        }
        state = state &- scaled &- p
        return false
    }

    /// `count` bits, most significant first.
    mutating func bits(_ count: Int) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<count { value = value << 1 | (next() ? 1 : 0) }
        return value
    }
}
