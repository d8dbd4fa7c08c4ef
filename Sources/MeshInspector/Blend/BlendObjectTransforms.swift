import Foundation

/// World matrices of objects. Files up to 4.1 store the evaluated matrix (`obmat`, renamed `object_to_world`),
/// which already includes parents, constraints and animation at save time; that is used as is. Later layouts
/// keep it only at runtime, so it is rebuilt the way Blender does from the stored channels:
/// `world = parent world · parentinv · T(loc + dloc) · R · S(scale · dscale)`, with the rotation from `rotmode`
/// (Euler orders, quaternion, axis-angle) combined with its delta rotation. Bone and vertex parenting are
/// approximated by the parent object's matrix.
struct BlendObjectTransforms {
    static let rotationModeQuaternion: Int64 = 0
    static let rotationModeAxisAngle: Int64 = -1
    static let eulerOrders = [1: "XYZ", 2: "XZY", 3: "YXZ", 4: "YZX", 5: "ZXY", 6: "ZYX"]

    let file: BlendFile
    let dna: BlendSDNA
    let limits: InspectionLimits
    let useStoredMatrices: Bool
    private var cache: [UInt64: AffineTransform] = [:]

    init(file: BlendFile, dna: BlendSDNA, limits: InspectionLimits, useStoredMatrices: Bool = true) {
        self.file = file
        self.dna = dna
        self.limits = limits
        self.useStoredMatrices = useStoredMatrices
    }

    mutating func world(of pointer: UInt64) throws -> AffineTransform {
        var visited = Set<UInt64>()
        return try world(of: pointer, visited: &visited)
    }

    private mutating func world(of pointer: UInt64, visited: inout Set<UInt64>) throws -> AffineTransform {
        if let cached = cache[pointer] { return cached }
        guard let object = BlendStruct.at(pointer, as: "Object", in: file, dna: dna) else { return .identity }
        guard visited.insert(pointer).inserted else {
            throw MeshInspectionError(.malformed, "The .blend object parents form a cycle.")
        }
        guard visited.count <= limits.maxDepth else {
            throw MeshInspectionError(.limitExceeded, "The .blend object hierarchy is more than \(limits.maxDepth) levels deep.")
        }
        let result: AffineTransform
        if useStoredMatrices, let stored = object.floats(["object_to_world", "obmat"]), let matrix = AffineTransform.blenderMatrix(stored) {
            result = matrix
        } else {
            var parentWorld = AffineTransform.identity
            if let parent = object.pointer(["parent"]), parent != 0 {
                parentWorld = try world(of: parent, visited: &visited)
                    * (object.floats(["parentinv"]).flatMap(AffineTransform.blenderMatrix) ?? .identity)
            }
            result = parentWorld * local(object)
        }
        cache[pointer] = result
        return result
    }

    private func local(_ object: BlendStruct) -> AffineTransform {
        func vector(_ names: [String], _ fallback: Double) -> SIMD3<Double> {
            guard let values = object.floats(names), values.count >= 3, values.prefix(3).allSatisfy({ $0.isFinite }) else {
                return SIMD3(repeating: fallback)
            }
            return SIMD3(Double(values[0]), Double(values[1]), Double(values[2]))
        }
        let location = vector(["loc"], 0) + vector(["dloc"], 0)
        let scale = vector(["scale", "size"], 1) * vector(["dscale"], 1)
        return .translation(location) * rotation(object) * .scale(scale)
    }

    private func rotation(_ object: BlendStruct) -> AffineTransform {
        func values(_ name: String, _ count: Int) -> [Double]? {
            guard let raw = object.floats([name]), raw.count >= count, raw.prefix(count).allSatisfy({ $0.isFinite }) else { return nil }
            return raw.prefix(count).map(Double.init)
        }
        let mode = object.integer(["rotmode"]) ?? 1
        switch mode {
        case Self.rotationModeQuaternion:
            let q = values("quat", 4) ?? [1, 0, 0, 0]
            let dq = values("dquat", 4) ?? [1, 0, 0, 0]
            return .quaternion(SIMD4(dq[0], dq[1], dq[2], dq[3])) * .quaternion(SIMD4(q[0], q[1], q[2], q[3]))
        case Self.rotationModeAxisAngle:
            let axis = values("rotAxis", 3) ?? [0, 1, 0]
            let deltaAxis = values("drotAxis", 3) ?? [0, 1, 0]
            let angle = values("rotAngle", 1)?.first ?? 0
            let deltaAngle = values("drotAngle", 1)?.first ?? 0
            return .axisAngle(SIMD3(deltaAxis[0], deltaAxis[1], deltaAxis[2]), deltaAngle)
                * .axisAngle(SIMD3(axis[0], axis[1], axis[2]), angle)
        default:
            let order = Self.eulerOrders[Int(clamping: mode)] ?? "XYZ"
            let r = values("rot", 3) ?? [0, 0, 0]
            let dr = values("drot", 3) ?? [0, 0, 0]
            return .euler(SIMD3(dr[0], dr[1], dr[2]), order: order) * .euler(SIMD3(r[0], r[1], r[2]), order: order)
        }
    }
}
