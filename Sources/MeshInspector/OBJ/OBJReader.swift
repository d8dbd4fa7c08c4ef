import Foundation

/// Reads Wavefront OBJ text, counting as Blender 3.4's OBJ importer (File > Import > Wavefront (.obj), the C++
/// importer, default options) builds the scene. Rules, each checked against Blender 3.4.1:
/// - `o` starts a new object only once the current one has faces or lines (a dropped face does not count); `g`
///   never splits (vertex groups are off by default).
/// - An object's vertices are the distinct vertices its faces and lines use, so unused `v` statements vanish and a
///   vertex shared by two objects counts in both. If no object uses any vertex, the last object gets them all (a
///   point cloud). Objects without vertices are not created.
/// - A face is dropped at its first corner whose vertex, texture coordinate or normal index is out of range
///   (normals only when the file has some; negative indices count back from the last one defined, and `0` is out
///   of range), or which has text glued after it, `#` included. The vertices of the corners read before still count,
///   and the object's mesh is then validated, which drops faces over the same vertices as an earlier one.
/// - A face with fewer than 3 corners is removed (its vertices still count) and a face that repeats a vertex is
///   rebuilt as `OBJFaceRepair` describes, except those Blender 3.4.1's clean-up skips (`OBJFaceCleanup`); a
///   polygon of n corners makes n − 2 triangles. Duplicate faces stay when nothing was dropped.
/// - An `l` statement adds its first two indices as vertices, whatever they are (see `OBJScan.polyline`).
/// - Materials are the distinct `usemtl` names; textures the distinct image files the used materials' MTL entries
///   name in the map slots Blender reads (see `MTLReader`).
/// - OBJ has no unit: the bounding box spans the vertices Blender keeps, in file units and the file's own axes,
///   and a warning says so. Blender reads one unit as one metre.
enum OBJReader {
    /// Most corners one face statement may have; well past any real n-gon, it bounds the scratch memory per face.
    static let maxFaceCorners = 1 << 20

    /// Scans the text, and scans it again when an object had a face dropped: Blender validates those objects'
    /// meshes, and only a pass that knows them from their first line can leave their duplicate faces out.
    /// `preparePass` sets the sinks of each pass (`faceSink`, `faceTextureSink`); the returned scan's faces are the
    /// ones to use.
    static func scan(
        _ data: Data, limits: InspectionLimits, preparePass: (inout OBJScan) -> Void = { _ in }
    ) throws -> OBJScan {
        var scan = OBJScan(limits: limits)
        preparePass(&scan)
        try data.withUnsafeBytes { try scan.run($0) }
        scan.finish()
        guard !scan.objectsWithDroppedFaces.isEmpty else { return scan }
        var validated = OBJScan(limits: limits)
        validated.objectsToValidate = scan.objectsWithDroppedFaces
        preparePass(&validated)
        try data.withUnsafeBytes { try validated.run($0) }
        validated.finish()
        return validated
    }

    static func inspect(_ data: Data, resources: SceneResources, limits: InspectionLimits) throws -> MeshReport {
        let scan = try scan(data, limits: limits)
        var report = MeshReport(format: .obj)
        var warnings = Warnings()
        let objects = scan.totals
        report.vertexCount = objects.vertices
        report.meshCount = objects.meshes
        report.triangleCount = scan.triangles
        report.polygonCount = scan.polygons
        report.materialCount = scan.materialNames.count
        let bounds = scan.bounds()
        if let low = bounds.low, let high = bounds.high {
            report.boundingBox = BoundingBox(min: low, max: high)
            warnings.add("OBJ files carry no unit: the bounding box is in file units, which Blender reads as metres.")
        }
        if scan.droppedFaces > 0 {
            warnings.add("\(scan.droppedFaces) face(s) refer to a vertex, texture coordinate or normal that does not exist (or carry stray text); Blender leaves them out, and so do these counts.")
        }
        if scan.duplicateFaces > 0 {
            warnings.add("\(scan.duplicateFaces) duplicate face(s) were left out, as Blender's mesh validation does after dropping a broken face.")
        }
        if scan.facesKeptAsWritten > 0 {
            warnings.add("\(scan.facesKeptAsWritten) face(s) repeat a vertex or have under 3 corners and are counted as written, as Blender 3.4's importer leaves them.")
        }
        if scan.approximatedFaces > 0 {
            report.isApproximate = true
            warnings.add("\(scan.approximatedFaces) face(s) repeat a vertex in a way that overlaps or crosses itself; Blender re-cuts those by shape, so its counts may differ slightly.")
        }

        var library = MTLLibrary()
        for name in scan.materialLibraries {
            if let mtl = try resources.data(forReference: name) {
                try mtl.withUnsafeBytes { try library.parse($0, limits: limits) }
            } else if !scan.materialNames.isEmpty {
                let whereFrom = resources.isBundle ? "is not in the zip bundle" : "was not uploaded with the .obj"
                warnings.add("Material library '\(name)' \(whereFrom), so its textures are not counted.")
            }
        }
        report.textureCount = library.textures(usedBy: scan.materialNames).count
        report.warnings = warnings.list
        return report
    }
}

/// One pass over the OBJ text. Works on raw bytes: statements are found with `memchr`, numbers parsed in place.
struct OBJScan {
    let limits: InspectionLimits
    private(set) var polygons = 0
    private(set) var triangles = 0
    private(set) var approximatedFaces = 0
    private(set) var materialNames = Set<String>()
    private(set) var materialLibraries: [String] = []

    private var definedVertices = 0
    private var definedUVs = 0
    private var definedNormals = 0
    /// Faces Blender drops for an index out of range, and the objects holding them: Blender validates those
    /// objects' meshes, which removes duplicate faces. A first pass finds them; `objectsToValidate` hands them to a
    /// second pass, which drops the duplicates (`validatedPolygons`) as it counts.
    private(set) var droppedFaces = 0
    private(set) var objectsWithDroppedFaces = Set<UInt32>()
    var objectsToValidate = Set<UInt32>() {
        didSet { validatesObject = objectsToValidate.contains(object) }
    }
    private(set) var duplicateFaces = 0
    private var validatesObject = false
    private var validatedPolygons = PolygonVertexSets()
    /// Faces of the current object so far, and those Blender's clean-up will look at.
    private var objectFaces = 0
    private var cleanup = OBJFaceCleanup()
    private(set) var facesKeptAsWritten = 0
    private var overlapCheckBudget = OBJFaceRepair.fileEdgePairBudget
    /// Out-of-range indices `l` statements made vertices of the current object.
    private var phantomVertices = Set<Int>()
    /// For each vertex, the object that last used it (0: none), so each object counts a vertex once.
    private var lastUser: [UInt32] = []
    /// For each vertex, the face statement that last used it, to spot faces repeating a vertex in linear time.
    private var lastFace: [UInt32] = []
    private var faceNumber: UInt32 = 0
    /// x, y, z of each vertex, kept for the bounding box of the vertices that end up used.
    private(set) var coordinates: [Float] = []
    /// Given each face's corners (0-based vertex indices) as it is read; set by `OBJGeometry`, nil when counting.
    var faceSink: ((UnsafeBufferPointer<UInt32>) -> Void)?
    /// For previews with materials (set by `OBJGeometry`): `vt` coordinates are kept (u, v per entry), each face's
    /// corners' texture-coordinate indices (0-based, -1 for none) are collected, and `faceTextureSink` is given
    /// them with the ordinal of the face's `usemtl` material (in `usedMaterials`; -1 before any `usemtl`) right
    /// after `faceSink`.
    var faceTextureSink: ((UnsafeBufferPointer<Int32>, Int) -> Void)?
    private(set) var textureCoordinates: [Float] = []
    private(set) var usedMaterials: [String] = []
    private var currentMaterial = -1
    private var cornerCoordinates: [Int32] = []
    private var object: UInt32 = 1
    private var objectHasElements = false
    private var objectVertices = 0
    private var finishedVertices = 0
    private var finishedMeshes = 0
    private var corners: [UInt32] = []
    private var lineNumber = 0

    init(limits: InspectionLimits) {
        self.limits = limits
    }

    mutating func run(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let end = bytes.count
        var position = 0
        var joined: [UInt8] = []
        while position < end {
            lineNumber += 1
            let lineEnd = Self.lineEnd(base, from: position, end: end)
            if Self.continues(base, start: position, lineEnd: lineEnd) {
                // A trailing backslash joins the next line; rare enough to copy into a scratch buffer.
                joined.removeAll(keepingCapacity: true)
                var cursor = position
                var cursorEnd = lineEnd
                while true {
                    let continued = Self.continues(base, start: cursor, lineEnd: cursorEnd)
                    let stop = continued ? Self.backslashPosition(base, start: cursor, lineEnd: cursorEnd) : cursorEnd
                    joined.append(contentsOf: UnsafeBufferPointer(start: base + cursor, count: stop - cursor))
                    joined.append(0x20)
                    cursor = cursorEnd + 1
                    guard continued, cursor < end, joined.count <= limits.maxFileBytes else { break }
                    lineNumber += 1
                    cursorEnd = Self.lineEnd(base, from: cursor, end: end)
                }
                position = cursor
                try joined.withUnsafeBufferPointer { line in
                    guard let start = line.baseAddress else { return }
                    try statement(start, count: line.count)
                }
            } else {
                try statement(base + position, count: lineEnd - position)
                position = lineEnd + 1
            }
        }
    }

    /// Box of the vertices Blender keeps: those some face or line uses, or all of them for a point cloud.
    func bounds() -> OBJBounds {
        var low = SIMD3<Float>(repeating: .infinity)
        var high = SIMD3<Float>(repeating: -.infinity)
        let everyVertex = finishedVertices == 0
        for vertex in 0..<definedVertices where everyVertex || lastUser[vertex] != 0 {
            let base = vertex * 3
            let point = SIMD3(coordinates[base], coordinates[base + 1], coordinates[base + 2])
            guard point.x.isFinite, point.y.isFinite, point.z.isFinite else { continue }
            low = pointwiseMin(low, point)
            high = pointwiseMax(high, point)
        }
        var bounds = OBJBounds()
        // Through the float's shortest decimal form, so "1.8" in the file reads back as 1.8, not 1.7999999523.
        func decimal(_ value: Float) -> Double { Double(value.description) ?? Double(value) }
        if low.x.isFinite {
            bounds.add((decimal(low.x), decimal(low.y), decimal(low.z)))
            bounds.add((decimal(high.x), decimal(high.y), decimal(high.z)))
        }
        return bounds
    }

    /// Closes the last object (settling its faces' clean-up, so a `faceSink` must still be set) and applies
    /// Blender's point-cloud rule. Called once, after `run`.
    mutating func finish() {
        closeObject()
        totals = finishedVertices == 0 && definedVertices > 0
            ? (definedVertices, 1) : (finishedVertices, finishedMeshes)
    }

    /// Vertices and mesh objects of the scene, once `finish` has run.
    private(set) var totals: (vertices: Int, meshes: Int) = (0, 0)

    private mutating func closeObject() {
        settleCleanup()
        objectFaces = 0
        if objectVertices > 0 {
            finishedVertices += objectVertices
            finishedMeshes += 1
        }
        objectVertices = 0
        objectHasElements = false
        phantomVertices.removeAll()
        validatedPolygons = PolygonVertexSets()
    }

    private static func lineEnd(_ base: UnsafePointer<UInt8>, from start: Int, end: Int) -> Int {
        guard let found = memchr(base + start, 0x0A, end - start) else { return end }
        return UnsafeRawPointer(found) - UnsafeRawPointer(base)
    }

    /// Position of the trailing backslash, or nil: `\` then only blanks (or CR) before the line end.
    private static func backslashPosition(_ base: UnsafePointer<UInt8>, start: Int, lineEnd: Int) -> Int {
        var last = lineEnd - 1
        while last >= start, base[last] == 0x0D || base[last] == 0x20 || base[last] == 0x09 { last -= 1 }
        return last
    }

    private static func continues(_ base: UnsafePointer<UInt8>, start: Int, lineEnd: Int) -> Bool {
        let last = backslashPosition(base, start: start, lineEnd: lineEnd)
        return last >= start && base[last] == UInt8(ascii: "\\")
    }

    @inline(__always)
    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    private mutating func statement(_ line: UnsafePointer<UInt8>, count: Int) throws {
        var position = 0
        while position < count, Self.isBlank(line[position]) { position += 1 }
        guard count - position >= 2 else { return }
        let first = line[position]
        let second = line[position + 1]
        switch first {
        case UInt8(ascii: "v") where Self.isBlank(second):
            try vertex(line, from: position + 2, count: count)
        case UInt8(ascii: "v") where count - position >= 3 && Self.isBlank(line[position + 2]):
            // Texture coordinates and normals are only counted: Blender checks face corners against them. A preview
            // with materials (`faceTextureSink`) keeps the coordinates too.
            if second == UInt8(ascii: "t") {
                definedUVs += 1
                if faceTextureSink != nil, textureCoordinates.count / 2 < limits.maxElements {
                    var cursor = position + 3
                    textureCoordinates.append(Float(OBJNumbers.double(line, &cursor, count)))
                    textureCoordinates.append(Float(OBJNumbers.double(line, &cursor, count)))
                }
            } else if second == UInt8(ascii: "n") {
                definedNormals += 1
            }
        case UInt8(ascii: "f") where Self.isBlank(second):
            try face(line, from: position + 2, count: count)
        case UInt8(ascii: "l") where Self.isBlank(second):
            try polyline(line, from: position + 2, count: count)
        case UInt8(ascii: "o") where Self.isBlank(second):
            if objectHasElements {
                closeObject()
                object += 1
                validatesObject = objectsToValidate.contains(object)
            }
        case UInt8(ascii: "u"):
            if let name = Self.argument(of: "usemtl", line, from: position, count: count) {
                materialNames.insert(name)
                if faceTextureSink != nil {
                    if let known = usedMaterials.firstIndex(of: name) {
                        currentMaterial = known
                    } else if usedMaterials.count < 4096 {
                        currentMaterial = usedMaterials.count
                        usedMaterials.append(name)
                    }
                }
            }
        case UInt8(ascii: "m"):
            if let names = Self.argument(of: "mtllib", line, from: position, count: count) {
                for name in names.split(whereSeparator: { $0 == " " || $0 == "\t" }) where !materialLibraries.contains(String(name)) {
                    materialLibraries.append(String(name))
                }
            }
        default:
            return
        }
    }

    /// The trimmed rest of a `keyword rest` statement, or nil when the line is another statement.
    private static func argument(
        of keyword: StaticString, _ line: UnsafePointer<UInt8>, from start: Int, count: Int
    ) -> String? {
        let length = keyword.utf8CodeUnitCount
        guard count - start > length, memcmp(line + start, keyword.utf8Start, length) == 0,
              isBlank(line[start + length]) else { return nil }
        var first = start + length
        var last = count
        while first < last, isBlank(line[first]) { first += 1 }
        while last > first, isBlank(line[last - 1]) { last -= 1 }
        // Names end where a comment starts.
        if let hash = (first..<last).first(where: { line[$0] == UInt8(ascii: "#") }) {
            last = hash
            while last > first, isBlank(line[last - 1]) { last -= 1 }
        }
        return String(decoding: UnsafeBufferPointer(start: line + first, count: last - first), as: UTF8.self)
    }

    private mutating func vertex(_ line: UnsafePointer<UInt8>, from start: Int, count: Int) throws {
        guard definedVertices < limits.maxElements else {
            throw MeshInspectionError(
                .limitExceeded, "The OBJ file defines more than \(limits.maxElements) vertices.")
        }
        var position = start
        var point = (0.0, 0.0, 0.0)
        point.0 = OBJNumbers.double(line, &position, count)
        point.1 = OBJNumbers.double(line, &position, count)
        point.2 = OBJNumbers.double(line, &position, count)
        coordinates.append(Float(point.0))
        coordinates.append(Float(point.1))
        coordinates.append(Float(point.2))
        definedVertices += 1
        lastUser.append(0)
        lastFace.append(0)
    }

    /// Reads one face corner (`v`, `v/vt`, `v//vn`, `v/vt/vn`; negative = relative) as Blender 3.4 does, returning
    /// its 0-based vertex, or nil where Blender drops the face: a vertex, uv or normal index out of range (normals
    /// only when the file has some), or anything glued after the corner (Blender reads it as an unreadable next
    /// corner; a `#` starts no comment inside a face). The vertex joins the object before its uv and normal are
    /// checked, as in Blender.
    private mutating func corner(_ line: UnsafePointer<UInt8>, _ position: inout Int, _ count: Int) -> UInt32? {
        guard let value = OBJNumbers.integer(line, &position, count) else { return nil }
        let index = value < 0 ? definedVertices + value : value - 1
        guard index >= 0, index < definedVertices else { return nil }
        use(index)
        var coordinate: Int32 = -1
        if position < count, line[position] == UInt8(ascii: "/") {
            position += 1
            if position < count, line[position] != UInt8(ascii: "/"),
               let uv = OBJNumbers.integer(line, &position, count) {
                let uvIndex = uv < 0 ? definedUVs + uv : uv - 1
                guard uvIndex >= 0, uvIndex < definedUVs else { return nil }
                // Kept only while the coordinates themselves are (a preview with materials).
                if uvIndex < textureCoordinates.count / 2 { coordinate = Int32(truncatingIfNeeded: uvIndex) }
            }
            if position < count, line[position] == UInt8(ascii: "/") {
                position += 1
                if let normal = OBJNumbers.integer(line, &position, count), definedNormals > 0 {
                    let normalIndex = normal < 0 ? definedNormals + normal : normal - 1
                    guard normalIndex >= 0, normalIndex < definedNormals else { return nil }
                }
            }
        }
        guard position >= count || Self.isBlank(line[position]) else { return nil }
        if faceTextureSink != nil { cornerCoordinates.append(coordinate) }
        return UInt32(truncatingIfNeeded: index)
    }

    @inline(__always)
    private mutating func use(_ index: Int) {
        if lastUser[index] != object {
            lastUser[index] = object
            objectVertices += 1
        }
    }

    private mutating func face(_ line: UnsafePointer<UInt8>, from start: Int, count: Int) throws {
        corners.removeAll(keepingCapacity: true)
        cornerCoordinates.removeAll(keepingCapacity: true)
        var position = start
        while true {
            while position < count, Self.isBlank(line[position]) { position += 1 }
            guard position < count else { break }
            guard corners.count < OBJReader.maxFaceCorners else {
                throw MeshInspectionError(
                    .limitExceeded, "Line \(lineNumber): a face has more than \(OBJReader.maxFaceCorners) corners.")
            }
            guard let vertex = corner(line, &position, count) else {
                // Blender drops the face but keeps the vertices of the corners read before, and then validates the
                // object's mesh, which drops duplicate faces (see `OBJReader`).
                droppedFaces += 1
                objectsWithDroppedFaces.insert(object)
                return
            }
            corners.append(vertex)
        }
        objectHasElements = true
        let facePosition = objectFaces
        objectFaces += 1
        faceNumber &+= 1
        if faceNumber == 0 {
            // After 2^32 faces the stamps would repeat; start them over.
            lastFace.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            faceNumber = 1
        }
        var repeatsVertex = false
        for corner in corners {
            let index = Int(corner)
            if lastFace[index] == faceNumber { repeatsVertex = true }
            lastFace[index] = faceNumber
        }
        guard corners.count < 3 || repeatsVertex else {
            emit(corners, coordinates: cornerCoordinates)
            return
        }
        // Its fate depends on the faces after it (see `OBJFaceCleanup`): settled when the object closes.
        try cleanup.record(position: facePosition, corners: corners, limits: limits)
    }

    /// Replays Blender's clean-up of the closing object's faces and counts what it leaves.
    private mutating func settleCleanup() {
        guard !cleanup.isEmpty else { return }
        var repairs: [Int: OBJFaceRepair.Repair] = [:]
        var budget = overlapCheckBudget
        defer { overlapCheckBudget = budget }
        let fates = coordinates.withUnsafeBufferPointer { xyz in
            cleanup.fates(faceCount: objectFaces) { face in
                let repair = OBJFaceRepair.repair(
                    Array(cleanup.corners(of: face)), coordinates: xyz, checkBudget: &budget)
                repairs[face.position] = repair
                return repair.loops.count
            }
        }
        for (face, fate) in zip(cleanup.faces, fates) {
            switch fate {
            case .removed:
                break
            case .repaired:
                guard let repair = repairs[face.position] else { continue }
                if !repair.isExact { approximatedFaces += 1 }
                for loop in repair.loops { emit(loop) }
            case .keptAsWritten:
                // The validation that follows a dropped face removes it after all.
                guard !validatesObject else { continue }
                facesKeptAsWritten += 1
                polygons += 1
                triangles += face.count - 2
                if face.count >= 3, let faceSink {
                    Array(cleanup.corners(of: face)).withUnsafeBufferPointer(faceSink)
                    sendTextureCorners(nil, count: face.count)
                }
            }
        }
        cleanup = OBJFaceCleanup()
    }

    /// Counts one polygon of the mesh Blender builds, unless the object is validated and has it already.
    /// `coordinates`: the polygon's corners' texture-coordinate indices, when it is the face as read; a face rebuilt
    /// from repeated vertices draws without a texture (its corners no longer line up with what was read).
    private mutating func emit(_ polygon: [UInt32], coordinates: [Int32]? = nil) {
        if validatesObject {
            guard validatedPolygons.insert(sorted: polygon.sorted()) else {
                duplicateFaces += 1
                return
            }
        }
        polygons += 1
        triangles += polygon.count - 2
        if let faceSink {
            polygon.withUnsafeBufferPointer(faceSink)
            sendTextureCorners(coordinates, count: polygon.count)
        }
    }

    /// Gives `faceTextureSink` the corners of the polygon just given to `faceSink` (-1 for every corner when unknown).
    private func sendTextureCorners(_ coordinates: [Int32]?, count: Int) {
        guard let faceTextureSink else { return }
        let corners = coordinates.flatMap { $0.count == count ? $0 : nil } ?? Array(repeating: -1, count: count)
        corners.withUnsafeBufferPointer { faceTextureSink($0, currentMaterial) }
    }

    /// Blender 3.4 reads two vertex indices per `l` statement, whatever follows, and keeps both even when they are not
    /// vertices: a missing or unreadable one reads as -1, the last vertex defined so far.
    private mutating func polyline(_ line: UnsafePointer<UInt8>, from start: Int, count: Int) throws {
        var position = start
        for _ in 0..<2 {
            while position < count, Self.isBlank(line[position]) { position += 1 }
            let value = OBJNumbers.integer(line, &position, count) ?? -1
            let index = value < 0 ? definedVertices + value : value - 1
            if index >= 0, index < definedVertices {
                use(index)
            } else if phantomVertices.insert(index).inserted {
                // Blender keeps the index as a vertex of the object all the same.
                objectVertices += 1
            }
        }
        objectHasElements = true
    }
}

/// Running min/max of vertex positions, ignoring non-finite values.
struct OBJBounds {
    private var minimum = (Double.infinity, Double.infinity, Double.infinity)
    private var maximum = (-Double.infinity, -Double.infinity, -Double.infinity)
    private var isEmpty = true

    var low: [Double]? { isEmpty ? nil : [minimum.0, minimum.1, minimum.2] }
    var high: [Double]? { isEmpty ? nil : [maximum.0, maximum.1, maximum.2] }

    @inline(__always)
    mutating func add(_ point: (Double, Double, Double)) {
        guard point.0.isFinite, point.1.isFinite, point.2.isFinite else { return }
        isEmpty = false
        minimum = (min(minimum.0, point.0), min(minimum.1, point.1), min(minimum.2, point.2))
        maximum = (max(maximum.0, point.0), max(maximum.1, point.1), max(maximum.2, point.2))
    }
}
