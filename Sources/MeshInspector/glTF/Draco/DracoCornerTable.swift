/// Draco's corner table: three corners per face, each mapped to a vertex and to the opposite corner across its
/// edge, with a left-most corner per vertex for walking round it. `-1` is "none". Every lookup of a value read from
/// the stream goes through a range check, so a corrupt table answers `-1` or an error, never an out-of-range index.
struct DracoCornerTable {
    var cornerToVertex: [Int32]
    var opposite: [Int32]
    var vertexCorners: [Int32] = []

    init(faces: Int, vertexCapacity: Int) {
        cornerToVertex = [Int32](repeating: -1, count: faces * 3)
        opposite = [Int32](repeating: -1, count: faces * 3)
        vertexCorners.reserveCapacity(vertexCapacity)
    }

    var cornerCount: Int { cornerToVertex.count }
    var vertexCount: Int { vertexCorners.count }

    @inline(__always) func next(_ c: Int32) -> Int32 { c < 0 ? -1 : (c % 3 == 2 ? c - 2 : c + 1) }
    @inline(__always) func previous(_ c: Int32) -> Int32 { c < 0 ? -1 : (c % 3 == 0 ? c + 2 : c - 1) }
    @inline(__always) func vertex(_ c: Int32) -> Int32 { c < 0 || Int(c) >= cornerCount ? -1 : cornerToVertex[Int(c)] }
    @inline(__always) func opposite(_ c: Int32) -> Int32 { c < 0 || Int(c) >= cornerCount ? -1 : opposite[Int(c)] }
    @inline(__always) func leftMost(_ v: Int32) -> Int32 { v < 0 || Int(v) >= vertexCount ? -1 : vertexCorners[Int(v)] }
    @inline(__always) func swingRight(_ c: Int32) -> Int32 { previous(opposite(previous(c))) }
    @inline(__always) func swingLeft(_ c: Int32) -> Int32 { next(opposite(next(c))) }

    mutating func addVertex() -> Int32 {
        vertexCorners.append(-1)
        return Int32(vertexCorners.count - 1)
    }

    mutating func map(_ c: Int32, to v: Int32) throws {
        guard c >= 0, Int(c) < cornerCount else { throw DracoDecoder.corrupt("its connectivity refers to a missing corner") }
        cornerToVertex[Int(c)] = v
    }

    mutating func setLeftMost(_ v: Int32, _ c: Int32) {
        if v >= 0, Int(v) < vertexCount { vertexCorners[Int(v)] = c }
    }

    mutating func setOpposite(_ a: Int32, _ b: Int32) throws {
        guard a >= 0, b >= 0, Int(a) < cornerCount, Int(b) < cornerCount else {
            throw DracoDecoder.corrupt("its connectivity refers to a missing corner")
        }
        opposite[Int(a)] = b
        opposite[Int(b)] = a
    }
}

/// An attribute's view of the corner table with seam edges cut (`MeshAttributeCornerTable`): vertices split where
/// an attribute (a normal, a UV) differs across an edge. Only the vertex numbering is kept: it decides where the
/// decoded mesh gets separate points.
struct DracoSeamTable {
    var edgeOnSeam: [Bool]
    var vertexOnSeam: [Bool]
    var cornerToVertex: [Int32]
    var vertexCount = 0
    /// Per attribute vertex, the corner it was found from (used by attribute traversal).
    var leftMostCorner: [Int32] = []

    init(_ table: DracoCornerTable, seams: [Int32]) throws {
        edgeOnSeam = [Bool](repeating: false, count: table.cornerCount)
        vertexOnSeam = [Bool](repeating: false, count: table.vertexCount)
        cornerToVertex = [Int32](repeating: -1, count: table.cornerCount)
        func markVertex(_ v: Int32) { if v >= 0, Int(v) < vertexOnSeam.count { vertexOnSeam[Int(v)] = true } }
        for c in seams {
            edgeOnSeam[Int(c)] = true
            markVertex(table.vertex(table.next(c)))
            markVertex(table.vertex(table.previous(c)))
            let opposite = table.opposite(c)
            if opposite >= 0 {
                edgeOnSeam[Int(opposite)] = true
                markVertex(table.vertex(table.next(opposite)))
                markVertex(table.vertex(table.previous(opposite)))
            }
        }
        // RecomputeVertices: walk each vertex's fan from its seam-left-most corner, starting a new attribute vertex
        // after every seam edge.
        for v in 0..<Int32(table.vertexCount) {
            let start = table.leftMost(v)
            guard start >= 0 else { continue }
            var vertexID = Int32(vertexCount)
            vertexCount += 1
            var first = start
            if vertexOnSeam[Int(v)] {
                var corner = swingLeft(first, table)
                var steps = 0
                while corner >= 0 {
                    first = corner
                    corner = swingLeft(corner, table)
                    steps += 1
                    guard corner != start, steps <= table.cornerCount else { throw DracoDecoder.corrupt("an attribute seam loops") }
                }
            }
            cornerToVertex[Int(first)] = vertexID
            leftMostCorner.append(first)
            var corner = table.swingRight(first)
            var steps = 0
            while corner >= 0 && corner != first {
                if edgeOnSeam[Int(table.next(corner))] {
                    vertexID = Int32(vertexCount)
                    vertexCount += 1
                    leftMostCorner.append(corner)
                }
                cornerToVertex[Int(corner)] = vertexID
                corner = table.swingRight(corner)
                steps += 1
                guard steps <= table.cornerCount else { throw DracoDecoder.corrupt("a vertex fan loops") }
            }
        }
    }

    func opposite(_ c: Int32, _ table: DracoCornerTable) -> Int32 {
        c < 0 || edgeOnSeam[Int(c)] ? -1 : table.opposite(c)
    }

    func swingLeft(_ c: Int32, _ table: DracoCornerTable) -> Int32 { table.next(opposite(table.next(c), table)) }
    func swingRight(_ c: Int32, _ table: DracoCornerTable) -> Int32 { table.previous(opposite(table.previous(c), table)) }

    func vertex(_ c: Int32) -> Int32 { c < 0 ? -1 : cornerToVertex[Int(c)] }

    func isCornerOnSeam(_ c: Int32, _ table: DracoCornerTable) -> Bool {
        let v = table.vertex(c)
        return v >= 0 && Int(v) < vertexOnSeam.count && vertexOnSeam[Int(v)]
    }
}
