/// Edgebreaker connectivity (Draco bitstream 2.2, standard and valence traversals): rebuilds the corner table from
/// the CLERS symbols, split events and start-face bits, reads each attribute's seam bits, and numbers the mesh's
/// points the way the reference decoder does, so the faces it hands back use the same point ids the glTF
/// accessors describe.
struct DracoEdgebreaker {
    var table: DracoCornerTable
    /// One per attribute-data block (attributes with their own seams), in stream order.
    var seamTables: [DracoSeamTable] = []
    var isVertexHole: [Bool]
    var faces: [UInt32] = []
    var pointCount = 0
    /// For each point, a corner that maps to it (the attribute decoders walk from it).
    var pointToCorner: [Int32] = []
    var cornerToPoint: [Int32] = []

    private enum Symbol { static let c: UInt32 = 0, s: UInt32 = 1, l: UInt32 = 3, r: UInt32 = 5, e: UInt32 = 7 }

    private struct SplitEvent {
        var splitSymbol: Int
        var sourceSymbol: Int
        var sourceEdgeIsRight: Bool
    }

    /// Decodes from just after the header's encoder-method byte.
    init(_ buffer: inout DracoBuffer, limits: InspectionLimits) throws {
        let traversal = try buffer.uint8()
        guard traversal == 0 || traversal == 2 else {
            throw MeshInspectionError(.unsupported, "The Draco stream uses an edgebreaker variant (\(traversal)) that is not supported.")
        }
        let encodedVertices = try buffer.count()
        let faceCount = try buffer.count()
        guard faceCount <= limits.maxElements / 3, faceCount <= buffer.remaining * 64 + 1024 else {
            throw MeshInspectionError(.limitExceeded, "A Draco mesh declares \(faceCount) faces, more than its data or the limits allow.")
        }
        guard encodedVertices <= faceCount * 3 else { throw DracoDecoder.corrupt("it declares more vertices than corners") }
        let attributeDataCount = Int(try buffer.uint8())
        // Each attribute-data block keeps per-corner seam tables: bound their total like any other array.
        guard attributeDataCount * faceCount * 3 <= limits.maxElements else {
            throw MeshInspectionError(.limitExceeded, "A Draco mesh declares \(attributeDataCount) seam layers over \(faceCount) faces, more than the limits allow.")
        }
        let symbolCount = try buffer.count()
        guard symbolCount <= faceCount, faceCount <= symbolCount + symbolCount / 3 else {
            throw DracoDecoder.corrupt("its face and symbol counts disagree")
        }
        let splitSymbolCount = try buffer.count()
        guard splitSymbolCount <= symbolCount else { throw DracoDecoder.corrupt("it has more split symbols than symbols") }
        let vertexCapacity = encodedVertices + splitSymbolCount
        table = DracoCornerTable(faces: faceCount, vertexCapacity: vertexCapacity)
        isVertexHole = [Bool](repeating: true, count: vertexCapacity)

        // Topology split events.
        var splits: [SplitEvent] = []
        let splitCount = try buffer.count()
        guard splitCount <= faceCount else { throw DracoDecoder.corrupt("it has more topology splits than faces") }
        var lastSource = 0
        for _ in 0..<splitCount {
            let source = lastSource + (try buffer.count())
            let delta = try buffer.count()
            guard delta <= source else { throw DracoDecoder.corrupt("a topology split points before the start") }
            splits.append(SplitEvent(splitSymbol: source - delta, sourceSymbol: source, sourceEdgeIsRight: false))
            lastSource = source
        }
        if splitCount > 0 {
            var bits = buffer.startBits()
            for index in 0..<splitCount { splits[index].sourceEdgeIsRight = try bits.bits(1) == 1 }
            try buffer.finish(bits)
        }

        // Traversal: the symbols (standard: a bit stream; valence: per-context rANS lists), start faces and seams.
        var symbols = try DracoTraversal(
            &buffer, valence: traversal == 2, vertexCount: vertexCapacity, faceCount: faceCount,
            attributeDataCount: attributeDataCount)

        let connectivityVertices = try Self.decodeConnectivity(
            symbolCount: symbolCount, table: &table, holes: &isVertexHole, splits: &splits, symbols: &symbols,
            removeInvalid: attributeDataCount == 0)

        // Attribute seams: a bit per attribute for each interior edge, visited once from its later face.
        var seams = [[Int32]](repeating: [], count: attributeDataCount)
        if attributeDataCount > 0 {
            for face in 0..<faceCount {
                let first = Int32(face * 3)
                for c in [first, table.next(first), table.previous(first)] {
                    let opposite = table.opposite(c)
                    if opposite < 0 {
                        for data in 0..<attributeDataCount { seams[data].append(c) }
                        continue
                    }
                    if opposite / 3 < first / 3 { continue }
                    for data in 0..<attributeDataCount where symbols.seamBit(data) { seams[data].append(c) }
                }
            }
        }
        buffer = symbols.rest
        seamTables = try seams.map { try DracoSeamTable(table, seams: $0) }
        try assignPoints(connectivityVertices: connectivityVertices)
    }

    // MARK: Connectivity

    private static func decodeConnectivity(
        symbolCount: Int, table: inout DracoCornerTable, holes: inout [Bool], splits: inout [SplitEvent],
        symbols: inout DracoTraversal, removeInvalid: Bool
    ) throws -> Int {
        var active: [Int32] = []
        var splitActive: [Int: Int32] = [:]
        var invalid: [Int32] = []
        let maxVertices = holes.count
        var faceCount = 0
        let totalFaces = table.cornerCount / 3
        func fail(_ what: String = "its edgebreaker symbols do not form a mesh") -> MeshInspectionError { DracoDecoder.corrupt(what) }

        for symbolID in 0..<symbolCount {
            let corner = Int32(faceCount * 3)
            faceCount += 1
            var checkSplit = false
            let symbol = try symbols.next(table)
            switch symbol {
            case Symbol.c:
                guard let cornerA = active.last else { throw fail() }
                let vertexX = table.vertex(table.next(cornerA))
                let cornerB = table.next(table.leftMost(vertexX))
                guard cornerB >= 0, cornerA != cornerB, table.opposite(cornerA) < 0, table.opposite(cornerB) < 0 else { throw fail() }
                try table.setOpposite(cornerA, corner + 1)
                try table.setOpposite(cornerB, corner + 2)
                let vertexAPrevious = table.vertex(table.previous(cornerA))
                let vertexBNext = table.vertex(table.next(cornerB))
                guard vertexX != vertexAPrevious, vertexX != vertexBNext, vertexX >= 0 else { throw fail() }
                try table.map(corner, to: vertexX)
                try table.map(corner + 1, to: vertexBNext)
                try table.map(corner + 2, to: vertexAPrevious)
                table.setLeftMost(vertexAPrevious, corner + 2)
                holes[Int(vertexX)] = false
                active[active.count - 1] = corner
            case Symbol.r, Symbol.l:
                guard let cornerA = active.last, table.opposite(cornerA) < 0 else { throw fail() }
                let (oppositeCorner, cornerL, cornerR) = symbol == Symbol.r
                    ? (corner + 2, corner + 1, corner) : (corner + 1, corner, corner + 2)
                try table.setOpposite(oppositeCorner, cornerA)
                let newVertex = table.addVertex()
                guard table.vertexCount <= maxVertices else { throw fail("it decodes more vertices than it declares") }
                try table.map(oppositeCorner, to: newVertex)
                table.setLeftMost(newVertex, oppositeCorner)
                let vertexR = table.vertex(table.previous(cornerA))
                try table.map(cornerR, to: vertexR)
                table.setLeftMost(vertexR, cornerR)
                try table.map(cornerL, to: table.vertex(table.next(cornerA)))
                active[active.count - 1] = corner
                checkSplit = true
            case Symbol.s:
                guard let cornerB = active.popLast() else { throw fail() }
                if let resumed = splitActive[symbolID] { active.append(resumed) }
                guard let cornerA = active.last, cornerA != cornerB,
                      table.opposite(cornerA) < 0, table.opposite(cornerB) < 0 else { throw fail() }
                try table.setOpposite(cornerA, corner + 2)
                try table.setOpposite(cornerB, corner + 1)
                let vertexP = table.vertex(table.previous(cornerA))
                try table.map(corner, to: vertexP)
                try table.map(corner + 1, to: table.vertex(table.next(cornerA)))
                let vertexBPrevious = table.vertex(table.previous(cornerB))
                try table.map(corner + 2, to: vertexBPrevious)
                table.setLeftMost(vertexBPrevious, corner + 2)
                var cornerN = table.next(cornerB)
                let vertexN = table.vertex(cornerN)
                guard vertexP >= 0, vertexN >= 0 else { throw fail() }
                symbols.mergeVertices(vertexP, vertexN)
                table.setLeftMost(vertexP, table.leftMost(vertexN))
                let firstCorner = cornerN
                var steps = 0
                while cornerN >= 0 {
                    try table.map(cornerN, to: vertexP)
                    cornerN = table.swingLeft(cornerN)
                    steps += 1
                    guard cornerN != firstCorner, steps <= table.cornerCount else { throw fail() }
                }
                table.setLeftMost(vertexN, -1)
                if removeInvalid { invalid.append(vertexN) }
                active[active.count - 1] = corner
            case Symbol.e:
                let first = table.addVertex()
                let second = table.addVertex()
                let third = table.addVertex()
                guard table.vertexCount <= maxVertices else { throw fail("it decodes more vertices than it declares") }
                try table.map(corner, to: first)
                try table.map(corner + 1, to: second)
                try table.map(corner + 2, to: third)
                table.setLeftMost(first, corner)
                table.setLeftMost(second, corner + 1)
                table.setLeftMost(third, corner + 2)
                active.append(corner)
                checkSplit = true
            default:
                throw fail()
            }
            guard let top = active.last else { throw fail() }
            symbols.newActiveCorner(top, table)
            if checkSplit {
                let encoderSymbol = symbolCount - symbolID - 1
                while let event = splits.last, event.sourceSymbol >= encoderSymbol {
                    guard event.sourceSymbol == encoderSymbol else { throw fail() }
                    splits.removeLast()
                    let top = active[active.count - 1]
                    let newActive = event.sourceEdgeIsRight ? table.next(top) : table.previous(top)
                    splitActive[symbolCount - event.splitSymbol - 1] = newActive
                }
            }
        }
        guard table.vertexCount <= maxVertices else { throw fail("it decodes more vertices than it declares") }

        // Start faces: each remaining active edge closes an interior face or begins at a boundary.
        while let corner = active.popLast() {
            guard try symbols.startFaceIsInterior() else { continue }
            guard faceCount < totalFaces else { throw fail("it decodes more faces than it declares") }
            let vertexN = table.vertex(table.next(corner))
            let cornerB = table.next(table.leftMost(vertexN))
            let vertexX = table.vertex(table.next(cornerB))
            let cornerC = table.next(table.leftMost(vertexX))
            guard cornerB >= 0, cornerC >= 0, corner != cornerB, corner != cornerC, cornerB != cornerC,
                  table.opposite(corner) < 0, table.opposite(cornerB) < 0, table.opposite(cornerC) < 0 else { throw fail() }
            let vertexP = table.vertex(table.next(cornerC))
            let newCorner = Int32(faceCount * 3)
            faceCount += 1
            try table.setOpposite(newCorner, corner)
            try table.setOpposite(newCorner + 1, cornerB)
            try table.setOpposite(newCorner + 2, cornerC)
            try table.map(newCorner, to: vertexX)
            try table.map(newCorner + 1, to: vertexP)
            try table.map(newCorner + 2, to: vertexN)
            for offset in 0..<Int32(3) {
                let v = table.vertex(newCorner + offset)
                guard v >= 0, Int(v) < holes.count else { throw fail() }
                holes[Int(v)] = false
            }
        }
        guard faceCount == totalFaces else { throw fail("it decodes a different number of faces than it declares") }

        // Vertices emptied by S symbols are filled from the end, keeping the numbering dense.
        var vertexCount = table.vertexCount
        for hole in invalid {
            var source = Int32(vertexCount - 1)
            while source >= 0 && table.leftMost(source) < 0 {
                vertexCount -= 1
                source = Int32(vertexCount - 1)
            }
            guard source >= 0 else { throw fail() }
            if source < hole { continue }
            var corner = table.leftMost(source)
            // Walk the fan (VertexCornersIterator): right first, then left from the start if a boundary was hit.
            var fan: [Int32] = []
            let start = corner
            var steps = 0
            while corner >= 0 {
                fan.append(corner)
                corner = table.swingRight(corner)
                steps += 1
                if corner == start || steps > table.cornerCount { break }
            }
            if corner < 0 {
                corner = table.swingLeft(start)
                while corner >= 0 && steps <= table.cornerCount {
                    fan.append(corner)
                    corner = table.swingLeft(corner)
                    steps += 1
                }
            }
            for c in fan {
                guard table.vertex(c) == source else { throw fail() }
                try table.map(c, to: hole)
            }
            table.setLeftMost(hole, table.leftMost(source))
            table.setLeftMost(source, -1)
            holes[Int(hole)] = holes[Int(source)]
            holes[Int(source)] = false
            vertexCount -= 1
        }
        return vertexCount
    }

    // MARK: Points

    /// `AssignPointsToCorners`: without attribute seams every connectivity vertex is a point; otherwise each
    /// vertex gets a point per seam-separated wedge, walked from the wedge after a seam.
    private mutating func assignPoints(connectivityVertices: Int) throws {
        let cornerCount = table.cornerCount
        if seamTables.isEmpty {
            faces = table.cornerToVertex.map { UInt32(bitPattern: $0) }
            pointCount = connectivityVertices
            cornerToPoint = table.cornerToVertex
            pointToCorner = [Int32](repeating: -1, count: connectivityVertices)
            for v in 0..<min(connectivityVertices, table.vertexCount) { pointToCorner[v] = table.leftMost(Int32(v)) }
            guard faces.allSatisfy({ Int($0) < connectivityVertices }) else { throw DracoDecoder.corrupt("a face uses a vertex that does not exist") }
            return
        }
        cornerToPoint = [Int32](repeating: -1, count: cornerCount)
        for v in 0..<Int32(table.vertexCount) {
            var corner = table.leftMost(v)
            guard corner >= 0 else { continue }
            var firstCorner = corner
            if !isVertexHole[Int(v)] {
                seamSearch: for seams in seamTables where seams.isCornerOnSeam(corner, table) {
                    let attributeVertex = seams.vertex(corner)
                    var walk = table.swingRight(corner)
                    var steps = 0
                    while walk != corner {
                        guard walk >= 0, steps <= cornerCount else { throw DracoDecoder.corrupt("a vertex fan is open where it should be closed") }
                        if seams.vertex(walk) != attributeVertex {
                            firstCorner = walk
                            break seamSearch
                        }
                        walk = table.swingRight(walk)
                        steps += 1
                    }
                }
            }
            corner = firstCorner
            cornerToPoint[Int(corner)] = Int32(pointToCorner.count)
            pointToCorner.append(corner)
            var previousCorner = corner
            corner = table.swingRight(corner)
            var steps = 0
            while corner >= 0 && corner != firstCorner {
                let seam = seamTables.contains { $0.vertex(corner) != $0.vertex(previousCorner) }
                if seam {
                    cornerToPoint[Int(corner)] = Int32(pointToCorner.count)
                    pointToCorner.append(corner)
                } else {
                    cornerToPoint[Int(corner)] = cornerToPoint[Int(previousCorner)]
                }
                previousCorner = corner
                corner = table.swingRight(corner)
                steps += 1
                guard steps <= cornerCount else { throw DracoDecoder.corrupt("a vertex fan loops") }
            }
        }
        guard cornerToPoint.allSatisfy({ $0 >= 0 }) else { throw DracoDecoder.corrupt("a corner has no point") }
        faces = cornerToPoint.map { UInt32(bitPattern: $0) }
        pointCount = pointToCorner.count
    }
}

/// The symbol sources of the two supported edgebreaker traversals, plus start-face and seam bits.
struct DracoTraversal {
    private var valence: Bool
    private var symbolBits: DracoBitReader?
    private var startFaces = RANSBitDecoder()
    private var seamDecoders: [RANSBitDecoder] = []
    /// The stream after the traversal data: where attribute decoding continues.
    private(set) var rest: DracoBuffer

    // Valence traversal state.
    private var vertexValences: [Int32] = []
    private var contextSymbols: [[UInt32]] = []
    private var contextCounters: [Int] = []
    private var activeContext = -1
    private var lastSymbol: UInt32 = 7

    init(_ buffer: inout DracoBuffer, valence: Bool, vertexCount: Int, faceCount: Int, attributeDataCount: Int) throws {
        self.valence = valence
        var traversal = buffer
        if !valence {
            let size = try traversal.size()
            guard size <= traversal.remaining else { throw DracoDecoder.corrupt("its traversal runs past its end") }
            symbolBits = DracoBitReader(bytes: traversal.bytes, start: traversal.position, end: traversal.position + size)
            try traversal.skip(size)
        }
        startFaces = try RANSBitDecoder(buffer: &traversal)
        for _ in 0..<attributeDataCount { seamDecoders.append(try RANSBitDecoder(buffer: &traversal)) }
        if valence {
            vertexValences = [Int32](repeating: 0, count: vertexCount)
            for _ in 0..<6 {
                let count = try traversal.count()
                guard count <= faceCount else { throw DracoDecoder.corrupt("a valence context holds more symbols than faces") }
                contextSymbols.append(count > 0 ? try DracoEntropy.symbols(count, from: &traversal) : [])
                contextCounters.append(count)
            }
        }
        rest = traversal
        buffer = traversal
    }

    mutating func next(_ table: DracoCornerTable) throws -> UInt32 {
        if !valence {
            guard var bits = symbolBits else { return 0xFF }
            var symbol = try bits.bits(1)
            if symbol != 0 { symbol |= try bits.bits(2) << 1 }
            symbolBits = bits
            return symbol
        }
        guard activeContext >= 0 else {
            lastSymbol = 7
            return lastSymbol
        }
        contextCounters[activeContext] -= 1
        let counter = contextCounters[activeContext]
        guard counter >= 0 else { return 0xFF }
        let id = contextSymbols[activeContext][counter]
        guard id <= 4 else { return 0xFF }
        // Symbol ids C, S, L, R, E map to the bit patterns the connectivity decoder switches on.
        lastSymbol = id == 0 ? 0 : id * 2 - 1
        return lastSymbol
    }

    mutating func newActiveCorner(_ corner: Int32, _ table: DracoCornerTable) {
        guard valence else { return }
        let next = table.vertex(table.next(corner))
        let previous = table.vertex(table.previous(corner))
        let here = table.vertex(corner)
        func add(_ v: Int32, _ amount: Int32) {
            if v >= 0, Int(v) < vertexValences.count { vertexValences[Int(v)] &+= amount }
        }
        switch lastSymbol {
        case 0, 1: add(next, 1); add(previous, 1)
        case 5: add(here, 1); add(next, 1); add(previous, 2)
        case 3: add(here, 1); add(next, 2); add(previous, 1)
        case 7: add(here, 2); add(next, 2); add(previous, 2)
        default: break
        }
        let valenceHere = next >= 0 && Int(next) < vertexValences.count ? vertexValences[Int(next)] : 0
        activeContext = Int(min(7, max(2, valenceHere))) - 2
    }

    mutating func mergeVertices(_ destination: Int32, _ source: Int32) {
        guard valence, destination >= 0, source >= 0, Int(destination) < vertexValences.count,
              Int(source) < vertexValences.count else { return }
        vertexValences[Int(destination)] &+= vertexValences[Int(source)]
    }

    mutating func startFaceIsInterior() throws -> Bool { startFaces.next() }

    mutating func seamBit(_ data: Int) -> Bool { seamDecoders[data].next() }
}
