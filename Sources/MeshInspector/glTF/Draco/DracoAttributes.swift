/// Draco attribute decoding as far as POSITION: the attribute decoder headers, the vertex traversal that orders
/// values on an edgebreaker mesh (depth-first or max-prediction-degree), the integer value stream (rANS symbols or
/// raw), the prediction schemes the encoder uses for positions (delta, parallelogram, constrained
/// multi-parallelogram) under the wrap transform, and dequantisation.
///
/// Positions feed previews and fingerprints only, so this answers nil (and the caller draws nothing for the
/// primitive) for layouts it does not cover: POSITION behind a decoder of quantised (predicted) attributes,
/// non-quantised positions, positions on seam connectivity.
enum DracoAttributes {
    private struct Attribute {
        var dataType: UInt8
        var components: Int
        var uniqueID: Int
        var sequentialType: UInt8 = 0
    }

    private struct AttributesDecoder {
        var dataID: Int8
        var isVertexAttribute: Bool
        var traversal: UInt8
        var attributes: [Attribute] = []
    }

    /// The order values are stored in, and how mesh vertices map to them.
    private struct ValueOrder {
        var valueCount: Int
        var valueToCorner: [Int32]
        var vertexToValue: [Int32]
    }

    static func positions(
        _ buffer: inout DracoBuffer, connectivity: DracoConnectivity, pointCount: Int, uniqueID: Int,
        limits: InspectionLimits
    ) throws -> [Float]? {
        let decoderCount = Int(try buffer.uint8())
        var decoders: [AttributesDecoder] = []
        for _ in 0..<decoderCount {
            if case .edgebreaker = connectivity {
                let dataID = try buffer.int8()
                let type = try buffer.uint8()
                let traversal = try buffer.uint8()
                guard traversal <= 1 else { throw DracoDecoder.corrupt("an attribute traversal method is unknown") }
                decoders.append(AttributesDecoder(dataID: dataID, isVertexAttribute: type == 0, traversal: traversal))
            } else {
                decoders.append(AttributesDecoder(dataID: -1, isVertexAttribute: true, traversal: 0))
            }
        }
        for index in decoders.indices {
            let count = try buffer.count()
            guard count > 0, count <= 5 * buffer.remaining else { throw DracoDecoder.corrupt("an attribute decoder is empty or too large") }
            for _ in 0..<count {
                _ = try buffer.uint8()   // attribute type (POSITION, NORMAL...): glTF names attributes by unique id
                let dataType = try buffer.uint8()
                let components = Int(try buffer.uint8())
                _ = try buffer.uint8()   // normalized
                let id = try buffer.count()
                guard components > 0, (1...11).contains(dataType) else { throw DracoDecoder.corrupt("an attribute has no valid type") }
                decoders[index].attributes.append(Attribute(dataType: dataType, components: components, uniqueID: id))
            }
            for attribute in decoders[index].attributes.indices {
                decoders[index].attributes[attribute].sequentialType = try buffer.uint8()
            }
        }
        // Decoders run in order. The values of those before POSITION's, and of the other attributes sharing its
        // decoder, are stepped over: that needs how many values each holds and each prediction scheme's layout,
        // not the values themselves.
        guard let target = decoders.firstIndex(where: { $0.attributes.contains { $0.uniqueID == uniqueID } }) else { return nil }
        // Every attribute's values are decoded or stepped over, so their total is bounded like an array's.
        var valueBudget = limits.maxElements
        func spend(_ values: Int, _ attribute: Attribute) throws {
            let (count, overflow) = values.multipliedReportingOverflow(by: attribute.components)
            guard !overflow, count <= valueBudget else {
                throw MeshInspectionError(.limitExceeded, "A Draco primitive's attributes hold more values than the limits allow.")
            }
            valueBudget -= count
        }
        let meshSchemes: Bool
        if case .edgebreaker = connectivity { meshSchemes = true } else { meshSchemes = false }
        for earlier in decoders[..<target] {
            let values: Int
            switch connectivity {
            case .sequential: values = pointCount
            case .edgebreaker(let mesh):
                if earlier.dataID >= 0 && !earlier.isVertexAttribute {
                    guard Int(earlier.dataID) < mesh.seamTables.count else { throw DracoDecoder.corrupt("an attribute decoder names missing seam data") }
                    values = mesh.seamTables[Int(earlier.dataID)].vertexCount
                } else {
                    values = (0..<Int32(mesh.table.vertexCount)).filter { mesh.table.leftMost($0) >= 0 }.count
                }
            }
            for attribute in earlier.attributes {
                try spend(values, attribute)
                guard try skip(&buffer, attribute: attribute, values: values, meshSchemes: meshSchemes, limits: limits) else { return nil }
            }
            for attribute in earlier.attributes { try skipTransformParameters(&buffer, attribute: attribute) }
        }
        let first = decoders[target]
        if case .edgebreaker = connectivity, first.dataID >= 0 || !first.isVertexAttribute { return nil }

        let order: ValueOrder
        let table: DracoCornerTable?
        switch connectivity {
        case .sequential:
            order = ValueOrder(valueCount: pointCount, valueToCorner: [], vertexToValue: [])
            table = nil
        case .edgebreaker(let mesh):
            order = first.traversal == 1 ? maxPredictionDegreeOrder(mesh.table) : depthFirstOrder(mesh.table)
            table = mesh.table
        }

        // Portable (integer) values of every attribute in the decoder, then each one's quantisation parameters.
        var portable: [Int32] = []
        for attribute in first.attributes {
            try spend(order.valueCount, attribute)
            if attribute.uniqueID != uniqueID {
                guard try skip(&buffer, attribute: attribute, values: order.valueCount, meshSchemes: meshSchemes, limits: limits) else {
                    return nil
                }
                continue
            }
            guard attribute.sequentialType == 2, attribute.components == 3,
                  let values = try integerValues(&buffer, attribute: attribute, order: order, table: table, limits: limits) else {
                return nil
            }
            portable = values
        }
        var result: [Float]?
        for attribute in first.attributes {
            guard attribute.uniqueID == uniqueID else {
                try skipTransformParameters(&buffer, attribute: attribute)
                continue
            }
            guard attribute.dataType == 9 else { throw DracoDecoder.corrupt("a quantised attribute is not float") }
            var minimum: [Float] = []
            for _ in 0..<attribute.components { minimum.append(try buffer.float32()) }
            let range = try buffer.float32()
            let bits = try buffer.uint8()
            guard (1...30).contains(bits) else { throw DracoDecoder.corrupt("a quantisation width is invalid") }
            let delta = range / Float((1 << UInt32(bits)) - 1)
            let values = portable
            var dequantised = [Float](repeating: 0, count: values.count)
            for (slot, value) in values.enumerated() { dequantised[slot] = Float(value) * delta + minimum[slot % 3] }
            result = mapToPoints(dequantised, order: order, connectivity: connectivity, pointCount: pointCount)
        }
        return result
    }

    /// Steps over an attribute stored raw (the generic sequential decoder): `values` entries of its type.
    private static func skipRaw(_ buffer: inout DracoBuffer, attribute: Attribute, values: Int) throws {
        let size = [1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 1][Int(attribute.dataType) - 1] * attribute.components
        let (bytes, overflow) = values.multipliedReportingOverflow(by: size)
        guard !overflow else { throw DracoDecoder.corrupt("raw attribute values run past the end") }
        try buffer.skip(bytes)
    }

    /// Steps over one attribute's portable values: raw (generic) bytes, or an integer stream with its prediction
    /// data. False for the deprecated texture-coordinate scheme, whose layout is not covered.
    private static func skip(
        _ buffer: inout DracoBuffer, attribute: Attribute, values: Int, meshSchemes: Bool, limits: InspectionLimits
    ) throws -> Bool {
        switch attribute.sequentialType {
        case 0:
            try skipRaw(&buffer, attribute: attribute, values: values)
            return true
        case 1, 2, 3:
            break
        default:
            throw DracoDecoder.corrupt("an attribute decoder type is unknown")
        }
        let isNormal = attribute.sequentialType == 3
        // Normals are coded as two octahedral coordinates.
        let (count, overflow) = values.multipliedReportingOverflow(by: isNormal ? 2 : attribute.components)
        guard !overflow, count <= limits.maxElements else {
            throw MeshInspectionError(.limitExceeded, "A Draco attribute declares more values than the limits allow.")
        }
        let method = try buffer.int8()
        guard method >= -2, method <= 6 else { throw DracoDecoder.corrupt("a prediction scheme is unknown") }
        var transform: Int8 = -1
        if method != -2 {
            transform = try buffer.int8()
            guard isNormal ? (transform == 2 || transform == 3) : transform == 1 else {
                throw DracoDecoder.corrupt("a prediction transform does not fit its attribute")
            }
        }
        if try buffer.uint8() > 0 {
            _ = try DracoEntropy.symbols(count, components: isNormal ? 2 : attribute.components, from: &buffer)
        } else {
            let width = Int(try buffer.uint8())
            guard (1...4).contains(width), count <= buffer.remaining / width else { throw DracoDecoder.corrupt("raw attribute values run past the end") }
            try buffer.skip(count * width)
        }
        guard method != -2 else { return true }
        // Schemes other than delta need the mesh; on sequential connectivity the reference decoder uses delta.
        let scheme = meshSchemes && method > 0 ? method : 0
        switch scheme {
        case 3:
            return false
        case 4:
            for _ in 0..<4 where try buffer.count() > 0 { _ = try RANSBitDecoder(buffer: &buffer) }
        case 5:
            let orientations = Int32(bitPattern: try buffer.uint32())
            guard orientations >= 0 else { throw DracoDecoder.corrupt("a texture-coordinate prediction is corrupt") }
            _ = try RANSBitDecoder(buffer: &buffer)
        default:
            break
        }
        _ = try buffer.uint32()                           // wrap minimum, or octahedral maximum
        if !isNormal || transform == 3 { _ = try buffer.uint32() }   // wrap maximum, or octahedral centre
        if scheme == 6 { _ = try RANSBitDecoder(buffer: &buffer) }  // flipped-normal bits
        return true
    }

    /// Steps over what an attribute's decoder reads after all portable values: quantisation parameters.
    private static func skipTransformParameters(_ buffer: inout DracoBuffer, attribute: Attribute) throws {
        switch attribute.sequentialType {
        case 2:
            try buffer.skip(4 * attribute.components + 4)   // minimum per component, range
            _ = try buffer.uint8()                          // bits
        case 3:
            _ = try buffer.uint8()                          // octahedral bits
        default:
            break
        }
    }

    /// Positions per point: each point's corner gives its vertex, whose value was stored at `vertexToValue`.
    private static func mapToPoints(
        _ values: [Float], order: ValueOrder, connectivity: DracoConnectivity, pointCount: Int
    ) -> [Float]? {
        switch connectivity {
        case .sequential:
            return values.count == pointCount * 3 ? values : nil
        case .edgebreaker(let mesh):
            var positions = [Float](repeating: 0, count: pointCount * 3)
            var filled = [Bool](repeating: false, count: pointCount)
            for corner in 0..<mesh.cornerToPoint.count {
                let point = Int(mesh.cornerToPoint[corner])
                let vertex = Int(mesh.table.cornerToVertex[corner])
                guard point >= 0, point < pointCount, vertex >= 0, vertex < order.vertexToValue.count else { return nil }
                let value = Int(order.vertexToValue[vertex])
                guard value >= 0, value * 3 + 2 < values.count else { return nil }
                positions[point * 3] = values[value * 3]
                positions[point * 3 + 1] = values[value * 3 + 1]
                positions[point * 3 + 2] = values[value * 3 + 2]
                filled[point] = true
            }
            return filled.allSatisfy { $0 } ? positions : nil
        }
    }

    // MARK: Integer values and prediction

    private static func integerValues(
        _ buffer: inout DracoBuffer, attribute: Attribute, order: ValueOrder, table: DracoCornerTable?,
        limits: InspectionLimits
    ) throws -> [Int32]? {
        let components = attribute.components
        let (count, overflow) = order.valueCount.multipliedReportingOverflow(by: components)
        guard !overflow, count <= limits.maxElements else {
            throw MeshInspectionError(.limitExceeded, "A Draco attribute declares more values than the limits allow.")
        }
        let method = try buffer.int8()
        guard method >= -2, method <= 6 else { throw DracoDecoder.corrupt("a prediction scheme is unknown") }
        if method != -2 {
            let transform = try buffer.int8()
            guard transform == 1 else { return nil }   // integer attributes only ever use the wrap transform
        }
        var values: [Int32]
        if try buffer.uint8() > 0 {
            values = try DracoEntropy.symbols(count, components: components, from: &buffer).map { Int32(bitPattern: $0) }
        } else {
            let width = Int(try buffer.uint8())
            guard (1...4).contains(width), count <= buffer.remaining / width else { throw DracoDecoder.corrupt("raw attribute values run past the end") }
            values = [Int32](repeating: 0, count: count)
            for index in 0..<count {
                var value: UInt32 = 0
                for byte in 0..<width { value |= UInt32(try buffer.uint8()) << UInt32(8 * byte) }
                values[index] = Int32(bitPattern: value)
            }
        }
        guard count > 0 else { return values }
        // Corrections are zigzag-coded (the wrap transform's corrections are signed).
        for index in values.indices {
            let raw = UInt32(bitPattern: values[index])
            values[index] = raw & 1 == 0 ? Int32(bitPattern: raw >> 1) : -Int32(bitPattern: raw >> 1) &- 1
        }
        guard method != -2 else { return values }

        // Prediction data: crease flags (constrained multi-parallelogram), then the wrap bounds.
        var creases: [[Bool]] = [[], [], [], []]
        let scheme: Int8
        if let table, method == 1 || method == 4 {
            scheme = method
            if method == 4 {
                for context in 0..<4 {
                    let flags = try buffer.count()
                    guard flags <= table.cornerCount else { throw DracoDecoder.corrupt("a crease list is longer than the mesh") }
                    if flags > 0 {
                        var bits = try RANSBitDecoder(buffer: &buffer)
                        creases[context] = (0..<flags).map { _ in bits.next() }
                    }
                }
            }
        } else if method == 0 || table == nil {
            scheme = 0
        } else {
            return nil   // multi-parallelogram (deprecated), texture-coordinate and normal schemes
        }
        let minimum = Int32(bitPattern: try buffer.uint32())
        let maximum = Int32(bitPattern: try buffer.uint32())
        guard minimum <= maximum, Int64(maximum) - Int64(minimum) < Int64(Int32.max) else {
            throw DracoDecoder.corrupt("a wrap range is invalid")
        }
        var wrap = WrapTransform(minimum: minimum, maximum: maximum)
        switch scheme {
        case 1: try parallelogram(&values, components: components, order: order, table: table!, wrap: &wrap)
        case 4: try multiParallelogram(&values, components: components, order: order, table: table!, creases: creases, wrap: &wrap)
        default: delta(&values, components: components, wrap: &wrap)
        }
        return values
    }

    /// The wrap transform: predictions are clamped into the attribute's range, corrections wrap around it.
    private struct WrapTransform {
        let minimum: Int32
        let maximum: Int32
        let span: Int32

        init(minimum: Int32, maximum: Int32) {
            self.minimum = minimum
            self.maximum = maximum
            span = Int32(Int64(maximum) - Int64(minimum) + 1)
        }

        @inline(__always)
        func original(predicted: Int32, correction: Int32) -> Int32 {
            let clamped = Swift.min(Swift.max(predicted, minimum), maximum)
            var value = clamped &+ correction
            if value > maximum { value &-= span } else if value < minimum { value &+= span }
            return value
        }
    }

    private static func delta(_ values: inout [Int32], components: Int, wrap: inout WrapTransform) {
        for c in 0..<components where c < values.count { values[c] = wrap.original(predicted: 0, correction: values[c]) }
        var index = components
        while index < values.count {
            values[index] = wrap.original(predicted: values[index - components], correction: values[index])
            index += 1
        }
    }

    /// The prediction from the parallelogram across `corner`'s opposite edge, when its three values are decoded.
    @inline(__always)
    private static func parallelogramPrediction(
        _ values: [Int32], entry: Int, corner: Int32, components: Int, order: ValueOrder, table: DracoCornerTable,
        into prediction: inout [Int32]
    ) -> Bool {
        let opposite = table.opposite(corner)
        guard opposite >= 0 else { return false }
        func entryOf(_ c: Int32) -> Int {
            let v = table.vertex(c)
            return v >= 0 && Int(v) < order.vertexToValue.count ? Int(order.vertexToValue[Int(v)]) : Int.max
        }
        let oppositeEntry = entryOf(opposite), nextEntry = entryOf(table.next(opposite)), previousEntry = entryOf(table.previous(opposite))
        guard oppositeEntry >= 0, nextEntry >= 0, previousEntry >= 0,
              oppositeEntry < entry, nextEntry < entry, previousEntry < entry else { return false }
        for c in 0..<components {
            let sum = Int64(values[nextEntry * components + c]) + Int64(values[previousEntry * components + c])
                - Int64(values[oppositeEntry * components + c])
            prediction[c] = Int32(truncatingIfNeeded: sum)
        }
        return true
    }

    private static func parallelogram(
        _ values: inout [Int32], components: Int, order: ValueOrder, table: DracoCornerTable, wrap: inout WrapTransform
    ) throws {
        guard order.valueToCorner.count * components == values.count else { throw DracoDecoder.corrupt("attribute values and vertices disagree") }
        var prediction = [Int32](repeating: 0, count: components)
        for c in 0..<components where c < values.count { values[c] = wrap.original(predicted: 0, correction: values[c]) }
        for entry in 1..<max(1, order.valueToCorner.count) {
            let base = entry * components
            if parallelogramPrediction(values, entry: entry, corner: order.valueToCorner[entry], components: components,
                                       order: order, table: table, into: &prediction) {
                for c in 0..<components { values[base + c] = wrap.original(predicted: prediction[c], correction: values[base + c]) }
            } else {
                for c in 0..<components {
                    values[base + c] = wrap.original(predicted: values[base - components + c], correction: values[base + c])
                }
            }
        }
    }

    private static func multiParallelogram(
        _ values: inout [Int32], components: Int, order: ValueOrder, table: DracoCornerTable, creases: [[Bool]],
        wrap: inout WrapTransform
    ) throws {
        guard order.valueToCorner.count * components == values.count else { throw DracoDecoder.corrupt("attribute values and vertices disagree") }
        var predictions = [[Int32]](repeating: [Int32](repeating: 0, count: components), count: 4)
        var creasePosition = [Int](repeating: 0, count: 4)
        var sum = [Int32](repeating: 0, count: components)
        for c in 0..<components where c < values.count { values[c] = wrap.original(predicted: 0, correction: values[c]) }
        for entry in 1..<max(1, order.valueToCorner.count) {
            let start = order.valueToCorner[entry]
            var corner = start
            var found = 0
            var firstPass = true
            var steps = 0
            while corner >= 0 {
                if parallelogramPrediction(values, entry: entry, corner: corner, components: components, order: order,
                                           table: table, into: &predictions[found]) {
                    found += 1
                    if found == 4 { break }
                }
                corner = firstPass ? table.swingLeft(corner) : table.swingRight(corner)
                if corner == start { break }
                if corner < 0 && firstPass {
                    firstPass = false
                    corner = table.swingRight(start)
                }
                steps += 1
                if steps > table.cornerCount { throw DracoDecoder.corrupt("a vertex fan loops") }
            }
            var used: Int32 = 0
            if found > 0 {
                for c in 0..<components { sum[c] = 0 }
                let context = found - 1
                for index in 0..<found {
                    let position = creasePosition[context]
                    creasePosition[context] += 1
                    guard position < creases[context].count else { throw DracoDecoder.corrupt("crease flags run out") }
                    if !creases[context][position] {
                        used += 1
                        for c in 0..<components { sum[c] = sum[c] &+ predictions[index][c] }
                    }
                }
            }
            let base = entry * components
            if used == 0 {
                for c in 0..<components {
                    values[base + c] = wrap.original(predicted: values[base - components + c], correction: values[base + c])
                }
            } else {
                for c in 0..<components {
                    values[base + c] = wrap.original(predicted: sum[c] / used, correction: values[base + c])
                }
            }
        }
    }

    // MARK: Traversals

    private struct TraversalState {
        var vertexToValue: [Int32]
        var valueToCorner: [Int32] = []
        var faceVisited: [Bool]
        var vertexVisited: [Bool]

        init(_ table: DracoCornerTable) {
            vertexToValue = [Int32](repeating: -1, count: table.vertexCount)
            faceVisited = [Bool](repeating: false, count: table.cornerCount / 3)
            vertexVisited = [Bool](repeating: false, count: table.vertexCount)
        }

        func faceVisited(corner: Int32) -> Bool { corner < 0 || faceVisited[Int(corner / 3)] }
        func isVisited(_ v: Int32) -> Bool { v < 0 || Int(v) >= vertexVisited.count || vertexVisited[Int(v)] }

        mutating func visit(_ v: Int32, corner: Int32) {
            guard !isVisited(v) else { return }
            vertexVisited[Int(v)] = true
            vertexToValue[Int(v)] = Int32(valueToCorner.count)
            valueToCorner.append(corner)
        }

        var order: ValueOrder {
            ValueOrder(valueCount: valueToCorner.count, valueToCorner: valueToCorner, vertexToValue: vertexToValue)
        }
    }

    private static func depthFirstOrder(_ table: DracoCornerTable) -> ValueOrder {
        var state = TraversalState(table)
        var stack: [Int32] = []
        for face in 0..<(table.cornerCount / 3) {
            let start = Int32(face * 3)
            guard !state.faceVisited(corner: start) else { continue }
            stack = [start]
            state.visit(table.vertex(table.next(start)), corner: table.next(start))
            state.visit(table.vertex(table.previous(start)), corner: table.previous(start))
            while let top = stack.last {
                var corner = top
                if state.faceVisited(corner: corner) {
                    stack.removeLast()
                    continue
                }
                while true {
                    state.faceVisited[Int(corner / 3)] = true
                    let vertex = table.vertex(corner)
                    if !state.isVisited(vertex) {
                        let onBoundary = table.swingLeft(table.leftMost(vertex)) < 0
                        state.visit(vertex, corner: corner)
                        if !onBoundary {
                            // An interior vertex always has a right face; a corrupt table may not.
                            corner = table.opposite(table.next(corner))
                            if corner < 0 {
                                stack.removeLast()
                                break
                            }
                            continue
                        }
                    }
                    let right = table.opposite(table.next(corner))
                    let left = table.opposite(table.previous(corner))
                    if state.faceVisited(corner: right) {
                        if state.faceVisited(corner: left) {
                            stack.removeLast()
                            break
                        }
                        corner = left
                    } else if state.faceVisited(corner: left) {
                        corner = right
                    } else {
                        stack[stack.count - 1] = left
                        stack.append(right)
                        break
                    }
                }
            }
        }
        return state.order
    }

    private static func maxPredictionDegreeOrder(_ table: DracoCornerTable) -> ValueOrder {
        var state = TraversalState(table)
        var degree = [Int32](repeating: 0, count: table.vertexCount)
        var stacks: [[Int32]] = [[], [], []]
        var best = 0
        func priority(_ corner: Int32) -> Int {
            let tip = table.vertex(corner)
            guard !state.isVisited(tip) else { return 0 }
            degree[Int(tip)] += 1
            return degree[Int(tip)] > 1 ? 1 : 2
        }
        func push(_ corner: Int32, _ level: Int) {
            stacks[level].append(corner)
            if level < best { best = level }
        }
        func pop() -> Int32? {
            for level in best..<3 {
                if let corner = stacks[level].popLast() {
                    best = level
                    return corner
                }
            }
            return nil
        }
        guard table.vertexCount > 0 else { return state.order }
        for face in 0..<(table.cornerCount / 3) {
            let start = Int32(face * 3)
            stacks[0].append(start)
            best = 0
            state.visit(table.vertex(table.next(start)), corner: table.next(start))
            state.visit(table.vertex(table.previous(start)), corner: table.previous(start))
            state.visit(table.vertex(start), corner: start)
            while var corner = pop() {
                if state.faceVisited(corner: corner) { continue }
                while true {
                    state.faceVisited[Int(corner / 3)] = true
                    state.visit(table.vertex(corner), corner: corner)
                    let right = table.opposite(table.next(corner))
                    let left = table.opposite(table.previous(corner))
                    let rightVisited = state.faceVisited(corner: right)
                    let leftVisited = state.faceVisited(corner: left)
                    if !leftVisited {
                        let level = priority(left)
                        if rightVisited && level <= best {
                            corner = left
                            continue
                        }
                        push(left, level)
                    }
                    if !rightVisited {
                        let level = priority(right)
                        if level <= best {
                            corner = right
                            continue
                        }
                        push(right, level)
                    }
                    break
                }
            }
        }
        return state.order
    }
}
