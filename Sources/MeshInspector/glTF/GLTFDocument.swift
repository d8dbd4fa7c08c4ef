import Foundation

/// The parts of a glTF 2.0 document the counts depend on, checked for type and range as they are read.
///
/// Everything here comes from an untrusted JSON document: indices are validated when followed, sizes are `Int`s
/// computed with overflow checks, and nothing is allocated from a declared count.
struct GLTFDocument {
    struct Accessor {
        var bufferView: Int?
        var byteOffset: Int
        var componentType: Int
        var normalized: Bool
        var count: Int
        var componentCount: Int
        var min: [Double]?
        var max: [Double]?
        var isSparse: Bool
    }

    struct BufferView {
        var buffer: Int
        var byteOffset: Int
        var byteLength: Int
        var byteStride: Int?
        /// EXT_meshopt_compression: the plain data is not in `buffer` (a fallback, possibly absent), only this
        /// compressed form.
        var meshopt: MeshoptSource?
        var isMeshoptCompressed: Bool { meshopt != nil }
    }

    /// Where an EXT_meshopt_compression bufferView's compressed bytes are and how they decode.
    struct MeshoptSource {
        var buffer: Int
        var byteOffset: Int
        var byteLength: Int
        var byteStride: Int
        var count: Int
        var mode: MeshoptDecoder.Mode
        var filter: MeshoptDecoder.Filter
    }

    struct Buffer {
        var byteLength: Int
        var uri: JSONText?
    }

    struct Primitive {
        var position: Int?
        var indices: Int?
        var mode: Int
        var material: Int?
        var hasMorphTargets: Bool
        /// KHR_draco_mesh_compression: the bufferView holding the Draco stream and the Draco attribute id of
        /// POSITION; the primitive's accessors then only declare counts.
        var draco: DracoSource?
        var isDracoCompressed: Bool { draco != nil }
    }

    struct DracoSource {
        var bufferView: Int
        var positionAttribute: Int?
    }

    struct Mesh {
        var primitives: [Primitive]
        var hasMorphTargets: Bool { primitives.contains { $0.hasMorphTargets } }
    }

    struct Node {
        var children: [Int]
        var mesh: Int?
        var skin: Int?
        /// Column-major local transform.
        var matrix: [Double]
    }

    var version: String
    var accessors: [Accessor]
    var bufferViews: [BufferView]
    var buffers: [Buffer]
    var meshes: [Mesh]
    var nodes: [Node]
    var materials: [JSONValue]
    var textures: [JSONValue]
    var imageCount: Int
    var animationCount: Int
    var skinCount: Int
    var extensionsRequired: [String]

    /// Reads the document; `text` decodes string values from the JSON's bytes.
    init(_ root: JSONValue, text: (JSONText) throws -> String) throws {
        guard root.isObject else { throw Self.malformed("the top level is not a JSON object") }
        guard let asset = root["asset"], asset.isObject, let versionText = asset["version"]?.textValue else {
            throw Self.malformed("it has no asset.version")
        }
        version = try text(versionText)
        let major = version.split(separator: ".").first.flatMap { Int($0) }
        guard major == 2 else {
            throw MeshInspectionError(.unsupported, "glTF \(version) is not supported; only glTF 2.x files are.")
        }
        extensionsRequired = try (root["extensionsRequired"]?.arrayValue ?? []).compactMap { $0.textValue }.map(text)

        accessors = try Self.list(root, "accessors").enumerated().map {
            try Self.accessor($1, index: $0, text: text)
        }
        bufferViews = try Self.list(root, "bufferViews").enumerated().map { try Self.bufferView($1, index: $0, text: text) }
        buffers = try Self.list(root, "buffers").enumerated().map { index, value in
            guard let length = value["byteLength"]?.indexValue else {
                throw Self.malformed("buffer \(index) has no valid byteLength")
            }
            return Buffer(byteLength: length, uri: value["uri"]?.textValue)
        }
        meshes = try Self.list(root, "meshes").enumerated().map { try Self.mesh($1, index: $0) }
        nodes = try Self.list(root, "nodes").enumerated().map { try Self.node($1, index: $0) }
        materials = try Self.list(root, "materials")
        textures = try Self.list(root, "textures")
        imageCount = try Self.list(root, "images").count
        animationCount = try Self.list(root, "animations").count
        skinCount = try Self.list(root, "skins").count
    }

    /// The accessor a primitive's `indices` names and the byte size of one index, refused unless it exists and is a
    /// SCALAR of unsigned bytes, shorts or ints: the rule both the counts and the preview read indices by.
    func indexAccessor(_ index: Int) throws -> (accessor: Accessor, size: Int) {
        guard index < accessors.count else {
            throw Self.malformed("a primitive's indices refer to accessor \(index), which does not exist")
        }
        let accessor = accessors[index]
        guard accessor.componentCount == 1, [5121, 5123, 5125].contains(accessor.componentType),
              let size = gltfComponentSize(accessor.componentType) else {
            throw Self.malformed("index accessor \(index) is not a SCALAR of unsigned integers")
        }
        return (accessor, size)
    }

    static func malformed(_ what: String) -> MeshInspectionError {
        MeshInspectionError(.malformed, "The glTF document is invalid: \(what).")
    }

    private static func list(_ root: JSONValue, _ key: String) throws -> [JSONValue] {
        guard let value = root[key] else { return [] }
        guard let elements = value.arrayValue else { throw malformed("'\(key)' is not an array") }
        return elements
    }

    private static func optionalIndex(_ value: JSONValue?, _ what: @autoclosure () -> String) throws -> Int? {
        guard let value else { return nil }
        guard let index = value.indexValue else { throw malformed("\(what()) is not a valid index") }
        return index
    }

    private static func accessor(
        _ value: JSONValue, index: Int, text: (JSONText) throws -> String
    ) throws -> Accessor {
        guard value.isObject else { throw malformed("accessor \(index) is not an object") }
        guard let count = value["count"]?.indexValue else { throw malformed("accessor \(index) has no valid count") }
        guard let componentType = value["componentType"]?.indexValue else {
            throw malformed("accessor \(index) has no valid componentType")
        }
        let typeName = try value["type"]?.textValue.map(text)
        let components: Int
        switch typeName {
        case "SCALAR": components = 1
        case "VEC2": components = 2
        case "VEC3": components = 3
        case "VEC4", "MAT2": components = 4
        case "MAT3": components = 9
        case "MAT4": components = 16
        default: throw malformed("accessor \(index) has an unknown type")
        }
        return Accessor(
            bufferView: try optionalIndex(value["bufferView"], "accessor \(index)'s bufferView"),
            byteOffset: try optionalIndex(value["byteOffset"], "accessor \(index)'s byteOffset") ?? 0,
            componentType: componentType,
            normalized: { if case .bool(true) = value["normalized"] { return true } else { return false } }(),
            count: count,
            componentCount: components,
            min: value["min"]?.arrayValue?.compactMap(\.numberValue),
            max: value["max"]?.arrayValue?.compactMap(\.numberValue),
            isSparse: value["sparse"] != nil
        )
    }

    private static func bufferView(_ value: JSONValue, index: Int, text: (JSONText) throws -> String) throws -> BufferView {
        guard value.isObject else { throw malformed("bufferView \(index) is not an object") }
        guard let buffer = value["buffer"]?.indexValue, let length = value["byteLength"]?.indexValue else {
            throw malformed("bufferView \(index) needs a buffer and a byteLength")
        }
        let stride = try optionalIndex(value["byteStride"], "bufferView \(index)'s byteStride")
        return BufferView(
            buffer: buffer,
            byteOffset: try optionalIndex(value["byteOffset"], "bufferView \(index)'s byteOffset") ?? 0,
            byteLength: length,
            byteStride: stride == 0 ? nil : stride,
            meshopt: try value["extensions"]?["EXT_meshopt_compression"].map { try meshoptSource($0, view: index, text: text) }
        )
    }

    private static func meshoptSource(
        _ value: JSONValue, view: Int, text: (JSONText) throws -> String
    ) throws -> MeshoptSource {
        let what = "bufferView \(view)'s EXT_meshopt_compression"
        guard value.isObject, let buffer = value["buffer"]?.indexValue, let length = value["byteLength"]?.indexValue,
              let stride = value["byteStride"]?.indexValue, let count = value["count"]?.indexValue,
              let modeText = value["mode"]?.textValue else {
            throw malformed("\(what) needs buffer, byteLength, byteStride, count and mode")
        }
        let modeName = try text(modeText)
        guard let mode = MeshoptDecoder.Mode(rawValue: modeName) else { throw malformed("\(what) has an unknown mode '\(modeName)'") }
        let filterName = try value["filter"]?.textValue.map(text) ?? "NONE"
        guard let filter = MeshoptDecoder.Filter(rawValue: filterName) else {
            throw malformed("\(what) has an unknown filter '\(filterName)'")
        }
        return MeshoptSource(
            buffer: buffer, byteOffset: try optionalIndex(value["byteOffset"], "\(what)'s byteOffset") ?? 0,
            byteLength: length, byteStride: stride, count: count, mode: mode, filter: filter)
    }

    private static func mesh(_ value: JSONValue, index: Int) throws -> Mesh {
        guard value.isObject, let primitives = value["primitives"]?.arrayValue else {
            throw malformed("mesh \(index) has no primitives array")
        }
        return Mesh(primitives: try primitives.map { primitive in
            guard let attributes = primitive["attributes"], attributes.isObject else {
                throw malformed("a primitive of mesh \(index) has no attributes")
            }
            let targets = primitive["targets"]?.arrayValue ?? []
            return Primitive(
                position: try optionalIndex(attributes["POSITION"], "mesh \(index)'s POSITION accessor"),
                indices: try optionalIndex(primitive["indices"], "mesh \(index)'s indices accessor"),
                mode: try optionalIndex(primitive["mode"], "mesh \(index)'s primitive mode") ?? 4,
                material: try optionalIndex(primitive["material"], "mesh \(index)'s material"),
                hasMorphTargets: !targets.isEmpty,
                draco: try primitive["extensions"]?["KHR_draco_mesh_compression"].map { extensionValue in
                    guard let view = extensionValue["bufferView"]?.indexValue else {
                        throw malformed("a Draco-compressed primitive of mesh \(index) has no bufferView")
                    }
                    return DracoSource(
                        bufferView: view,
                        positionAttribute: try optionalIndex(
                            extensionValue["attributes"]?["POSITION"], "mesh \(index)'s Draco POSITION id"))
                }
            )
        })
    }

    private static func node(_ value: JSONValue, index: Int) throws -> Node {
        guard value.isObject else { throw malformed("node \(index) is not an object") }
        let children = try (value["children"]?.arrayValue ?? []).map { child in
            guard let childIndex = child.indexValue else { throw malformed("node \(index) has an invalid child") }
            return childIndex
        }
        return Node(
            children: children,
            mesh: try optionalIndex(value["mesh"], "node \(index)'s mesh"),
            skin: try optionalIndex(value["skin"], "node \(index)'s skin"),
            matrix: localMatrix(value)
        )
    }

    /// The node's local transform: its `matrix`, or translation × rotation × scale. Malformed values fall back to
    /// identity parts rather than failing: they only affect the bounding box.
    private static func localMatrix(_ node: JSONValue) -> [Double] {
        if let values = node["matrix"]?.arrayValue?.compactMap(\.numberValue), values.count == 16 {
            return values
        }
        func vector(_ key: String, _ count: Int, _ fallback: [Double]) -> [Double] {
            guard let values = node[key]?.arrayValue?.compactMap(\.numberValue), values.count == count else {
                return fallback
            }
            return values
        }
        let t = vector("translation", 3, [0, 0, 0])
        let q = vector("rotation", 4, [0, 0, 0, 1])
        let s = vector("scale", 3, [1, 1, 1])
        let (x, y, z, w) = (q[0], q[1], q[2], q[3])
        // Rotation matrix columns of a unit quaternion, each scaled by the node's scale.
        return [
            (1 - 2 * (y * y + z * z)) * s[0], (2 * (x * y + z * w)) * s[0], (2 * (x * z - y * w)) * s[0], 0,
            (2 * (x * y - z * w)) * s[1], (1 - 2 * (x * x + z * z)) * s[1], (2 * (y * z + x * w)) * s[1], 0,
            (2 * (x * z + y * w)) * s[2], (2 * (y * z - x * w)) * s[2], (1 - 2 * (x * x + y * y)) * s[2], 0,
            t[0], t[1], t[2], 1,
        ]
    }
}
