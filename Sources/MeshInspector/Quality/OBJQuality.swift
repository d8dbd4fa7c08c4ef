import Foundation

/// The meshes and textures of an OBJ file for the quality checks: one mesh per object as Blender's importer splits
/// them (`o` starts a new object once the current one has faces or lines; see `OBJReader`), each with the
/// vertices its faces and lines use, the `vt` coordinates of its corners, and whether it refers to `vn` normals or
/// carries vertex colours (`v x y z r g b`).
///
/// A separate pass from `OBJScan`, which counts without keeping faces; numbers are parsed by the same
/// `OBJNumbers`. OBJ has no transforms and no unit, so every object sits at the origin in file units.
enum OBJQuality {
    static func scene(_ data: Data, resources: SceneResources, limits: InspectionLimits) throws -> QualityScene {
        var scan = OBJQualityScan(limits: limits)
        try data.withUnsafeBytes { try scan.run($0) }
        var scene = QualityScene()
        scene.meshes = scan.finish()
        scene.placements = scene.meshes.indices.map { QualityPlacement(mesh: $0, world: .identity) }

        var library = MTLLibrary()
        var foundLibrary = false
        for name in scan.materialLibraries {
            if let mtl = try resources.data(forReference: name) {
                foundLibrary = true
                try mtl.withUnsafeBytes { try library.parse($0, limits: limits) }
            }
        }
        if foundLibrary {
            for path in library.textures(usedBy: scan.materialNames).sorted() {
                scene.textures.append(try texture(path, resources: resources))
            }
        }
        return scene
    }

    /// Looks the image up where the MTL says, then (absolute or Windows paths written by an exporter) by its file
    /// name beside the scene.
    static func texture(_ path: String, resources: SceneResources) throws -> TextureInfo {
        var data = try resources.data(forReference: path)
        if data == nil, let file = path.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last, String(file) != path {
            data = try resources.data(forReference: String(file))
        }
        guard let data else { return TextureInfo(name: path, missing: true) }
        let size = TextureHeaders.dimensions(data)
        return TextureInfo(name: path, width: size?.width, height: size?.height, missing: false)
    }
}

/// One pass over OBJ text keeping what the quality checks need: positions, UVs, and per object its faces' corners
/// (vertex and UV index) and lines.
private struct OBJQualityScan {
    let limits: InspectionLimits
    private(set) var materialNames = Set<String>()
    private(set) var materialLibraries: [String] = []

    private var positions: [Float] = []
    private var uvs: [Float] = []
    private var normalCount = 0
    private var hasColors = false
    // The current object.
    private var faceSizes: [UInt32] = []
    private var cornerVertices: [UInt32] = []
    /// UV index per corner, or UInt32.max for none.
    private var cornerUVs: [UInt32] = []
    private var lines: [UInt32] = []
    private var objectHasNormals = false
    private var finished: [QualityMesh] = []
    /// For each vertex, its index in the current object's mesh, valid when `stamp[v] == objectNumber`.
    private var localIndex: [UInt32] = []
    private var stamp: [UInt32] = []
    private var objectNumber: UInt32 = 1
    private var elements = 0
    private var lineNumber = 0

    init(limits: InspectionLimits) {
        self.limits = limits
    }

    mutating func run(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var position = 0
        var joined: [UInt8] = []
        while position < bytes.count {
            lineNumber += 1
            let end = memchr(base + position, 0x0A, bytes.count - position)
                .map { UnsafeRawPointer($0) - UnsafeRawPointer(base) } ?? bytes.count
            // A trailing backslash joins the next line (rare: copied into a scratch buffer).
            var last = end - 1
            while last >= position, Self.isBlank(base[last]) { last -= 1 }
            if last >= position, base[last] == UInt8(ascii: "\\") || !joined.isEmpty {
                let continues = last >= position && base[last] == UInt8(ascii: "\\")
                joined.append(contentsOf: UnsafeBufferPointer(start: base + position, count: (continues ? last : end) - position))
                joined.append(0x20)
                position = end + 1
                guard !continues || position >= bytes.count else { continue }
                try joined.withUnsafeBufferPointer { line in
                    if let start = line.baseAddress { try statement(start, count: line.count) }
                }
                joined.removeAll(keepingCapacity: true)
                continue
            }
            try statement(base + position, count: end - position)
            position = end + 1
        }
    }

    mutating func finish() -> [QualityMesh] {
        closeObject()
        if finished.isEmpty, !positions.isEmpty {
            // A point cloud: Blender keeps every vertex in one mesh.
            var mesh = QualityMesh()
            mesh.positions = positions
            mesh.pointVertices = (0..<UInt32(truncatingIfNeeded: positions.count / 3)).map { $0 }
            mesh.hasVertexColors = hasColors
            finished.append(mesh)
        }
        return finished
    }

    @inline(__always)
    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
    }

    private mutating func statement(_ line: UnsafePointer<UInt8>, count: Int) throws {
        var position = 0
        while position < count, Self.isBlank(line[position]) { position += 1 }
        guard count - position >= 2 else { return }
        let first = line[position], second = line[position + 1]
        switch (first, second) {
        case (UInt8(ascii: "v"), let s) where Self.isBlank(s):
            guard positions.count / 3 < limits.maxElements else {
                throw MeshInspectionError(.limitExceeded, "The OBJ file defines more than \(limits.maxElements) vertices.")
            }
            var p = position + 2
            for _ in 0..<3 { positions.append(Float(OBJNumbers.double(line, &p, count))) }
            if !hasColors {
                // `v x y z r g b` (the common extension); a lone fourth value is a weight, not a colour.
                var extra = 0
                while extra < 3 {
                    while p < count, Self.isBlank(line[p]) { p += 1 }
                    guard p < count, line[p] != UInt8(ascii: "#") else { break }
                    while p < count, !Self.isBlank(line[p]) { p += 1 }
                    extra += 1
                }
                if extra == 3 { hasColors = true }
            }
            localIndex.append(0)
            stamp.append(0)
        case (UInt8(ascii: "v"), UInt8(ascii: "t")) where count - position > 2 && Self.isBlank(line[position + 2]):
            guard uvs.count / 2 < limits.maxElements else {
                throw MeshInspectionError(.limitExceeded, "The OBJ file defines more than \(limits.maxElements) texture coordinates.")
            }
            var p = position + 3
            uvs.append(Float(OBJNumbers.double(line, &p, count)))
            uvs.append(Float(OBJNumbers.double(line, &p, count)))
        case (UInt8(ascii: "v"), UInt8(ascii: "n")) where count - position > 2 && Self.isBlank(line[position + 2]):
            normalCount += 1
        case (UInt8(ascii: "f"), let s) where Self.isBlank(s):
            try face(line, from: position + 2, count: count)
        case (UInt8(ascii: "l"), let s) where Self.isBlank(s):
            try polyline(line, from: position + 2, count: count)
        case (UInt8(ascii: "o"), let s) where Self.isBlank(s):
            if elements > 0 { closeObject() }
        case (UInt8(ascii: "u"), _):
            if let name = Self.argument(of: "usemtl", line, from: position, count: count) { materialNames.insert(name) }
        case (UInt8(ascii: "m"), _):
            if let names = Self.argument(of: "mtllib", line, from: position, count: count) {
                for name in names.split(whereSeparator: { $0 == " " || $0 == "\t" }) where !materialLibraries.contains(String(name)) {
                    materialLibraries.append(String(name))
                }
            }
        default:
            return
        }
    }

    private static func argument(of keyword: StaticString, _ line: UnsafePointer<UInt8>, from start: Int, count: Int) -> String? {
        let length = keyword.utf8CodeUnitCount
        guard count - start > length, memcmp(line + start, keyword.utf8Start, length) == 0, isBlank(line[start + length]) else { return nil }
        var first = start + length, last = count
        while first < last, isBlank(line[first]) { first += 1 }
        if let hash = (first..<last).first(where: { line[$0] == UInt8(ascii: "#") }) { last = hash }
        while last > first, isBlank(line[last - 1]) { last -= 1 }
        return String(decoding: UnsafeBufferPointer(start: line + first, count: last - first), as: UTF8.self)
    }

    /// A 1-based or negative (relative) reference to one of `defined` elements, as a 0-based index.
    private func resolve(_ value: Int?, defined: Int, what: String) throws -> Int {
        guard let value else { throw MeshInspectionError(.malformed, "Line \(lineNumber): a \(what) reference is not a number.") }
        let index = value < 0 ? defined + value : value - 1
        guard index >= 0, index < defined else {
            throw MeshInspectionError(.malformed, "Line \(lineNumber): a face refers to \(what) \(value), but only \(defined) are defined before it.")
        }
        return index
    }

    /// Reads `v`, `v/vt`, `v//vn` or `v/vt/vn`.
    private mutating func corner(_ line: UnsafePointer<UInt8>, _ p: inout Int, _ count: Int) throws -> (vertex: Int, uv: Int?) {
        let vertex = try resolve(OBJNumbers.integer(line, &p, count), defined: positions.count / 3, what: "vertex")
        var uv: Int?
        if p < count, line[p] == UInt8(ascii: "/") {
            p += 1
            if p < count, line[p] != UInt8(ascii: "/"), !Self.isBlank(line[p]) {
                uv = try resolve(OBJNumbers.integer(line, &p, count), defined: uvs.count / 2, what: "texture coordinate")
            }
            if p < count, line[p] == UInt8(ascii: "/") {
                p += 1
                if p < count, !Self.isBlank(line[p]) { objectHasNormals = true }
            }
        }
        while p < count, !Self.isBlank(line[p]) { p += 1 }
        return (vertex, uv)
    }

    private mutating func face(_ line: UnsafePointer<UInt8>, from start: Int, count: Int) throws {
        var p = start
        var size = 0
        while true {
            while p < count, Self.isBlank(line[p]) { p += 1 }
            guard p < count, line[p] != UInt8(ascii: "#") else { break }
            guard size < OBJReader.maxFaceCorners, cornerVertices.count < limits.maxElements else {
                throw MeshInspectionError(.limitExceeded, "Line \(lineNumber): the OBJ file has too many face corners.")
            }
            let (vertex, uv) = try corner(line, &p, count)
            cornerVertices.append(local(vertex))
            cornerUVs.append(uv.map { UInt32($0) } ?? UInt32.max)
            size += 1
        }
        // Fewer than three corners make no face in Blender; their vertices still belong to the object.
        if size >= 3 {
            faceSizes.append(UInt32(size))
        } else {
            cornerVertices.removeLast(size)
            cornerUVs.removeLast(size)
        }
        if size > 0 { elements += 1 }
    }

    private mutating func polyline(_ line: UnsafePointer<UInt8>, from start: Int, count: Int) throws {
        var p = start
        var ends: [UInt32] = []
        // Blender 3.4 reads the first two vertices of an `l` statement.
        while ends.count < 2 {
            while p < count, Self.isBlank(line[p]) { p += 1 }
            guard p < count, line[p] != UInt8(ascii: "#") else { break }
            ends.append(local(try corner(line, &p, count).vertex))
        }
        if ends.count == 2 { lines.append(contentsOf: ends) }
        if !ends.isEmpty { elements += 1 }
    }

    /// The vertex's index in the current object's mesh, adding it on first use.
    private mutating func local(_ vertex: Int) -> UInt32 {
        if stamp[vertex] != objectNumber {
            stamp[vertex] = objectNumber
            localIndex[vertex] = UInt32(truncatingIfNeeded: order.count)
            order.append(UInt32(truncatingIfNeeded: vertex))
        }
        return localIndex[vertex]
    }

    /// Global vertex of each local one, in the order the current object first used them.
    private var order: [UInt32] = []

    private mutating func closeObject() {
        defer {
            faceSizes = []; cornerVertices = []; cornerUVs = []; lines = []; order = []
            objectHasNormals = false
            elements = 0
            objectNumber &+= 1
            if objectNumber == 0 {
                stamp.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                objectNumber = 1
            }
        }
        guard !order.isEmpty else { return }
        var mesh = QualityMesh()
        mesh.positions.reserveCapacity(order.count * 3)
        for vertex in order {
            let base = Int(vertex) * 3
            mesh.positions.append(positions[base]); mesh.positions.append(positions[base + 1]); mesh.positions.append(positions[base + 2])
        }
        mesh.faceSizes = faceSizes
        mesh.corners = cornerVertices
        mesh.edges = lines
        // Every vertex of the object is one some statement used; those in no face or line are loose.
        mesh.pointVertices = nil
        mesh.hasNormals = objectHasNormals
        mesh.hasVertexColors = hasColors
        if cornerUVs.contains(where: { $0 != UInt32.max }) {
            var set = [Float]()
            set.reserveCapacity(cornerUVs.count * 2)
            for uv in cornerUVs {
                if uv == UInt32.max {
                    set.append(0); set.append(0)
                } else {
                    set.append(uvs[Int(uv) * 2]); set.append(uvs[Int(uv) * 2 + 1])
                }
            }
            mesh.uvSets = [set]
        }
        finished.append(mesh)
    }
}
