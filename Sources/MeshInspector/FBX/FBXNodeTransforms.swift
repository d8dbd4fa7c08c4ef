import Foundation

/// World transforms of FBX `Model` nodes, computed the FBX SDK way:
///
///     World = ParentWorld · T · Roff · Rp · Rpre · R · Rpost⁻¹ · Rp⁻¹ · Soff · Sp · S · Sp⁻¹
///
/// with pre/post rotation and the rotation order only honoured when `RotationActive` is set, as Blender's importer
/// does. Geometric transforms apply to the node's own geometry and are not inherited. Parent chains are memoised
/// and guarded against cycles and excessive depth.
struct FBXNodeTransforms {
    private let models: [String: FBXNode]
    private let parents: [String: String]
    private let template: [String: [FBXProperty]]
    private let limits: InspectionLimits
    private var tables: [String: [String: [FBXProperty]]] = [:]
    private var worlds: [String: AffineTransform] = [:]

    init(models: [String: FBXNode], parents: [String: String], template: [String: [FBXProperty]], limits: InspectionLimits) {
        self.models = models
        self.parents = parents
        self.template = template
        self.limits = limits
    }

    private mutating func table(_ key: String) -> [String: [FBXProperty]] {
        if let cached = tables[key] { return cached }
        let own = models[key]?.propertyTable() ?? [:]
        let merged = template.merging(own) { _, mine in mine }
        tables[key] = merged
        return merged
    }

    mutating func isVisible(_ key: String) -> Bool {
        (table(key)["Visibility"]?.first?.doubleValue ?? 1) != 0
    }

    mutating func world(of key: String) throws -> AffineTransform {
        if let cached = worlds[key] { return cached }
        // Walk up to the first ancestor already known (or the root), then compose back down.
        var chain: [String] = []
        var visited = Set<String>()
        var current: String? = key
        while let node = current, worlds[node] == nil, models[node] != nil {
            guard visited.insert(node).inserted else {
                throw MeshInspectionError(.malformed, "The FBX node hierarchy contains a cycle.")
            }
            guard chain.count < limits.maxDepth else {
                throw MeshInspectionError(.limitExceeded, "The FBX node hierarchy is more than \(limits.maxDepth) levels deep.")
            }
            chain.append(node)
            current = parents[node]
        }
        var world = current.flatMap { worlds[$0] } ?? .identity
        for node in chain.reversed() {
            world = world * local(of: node)
            worlds[node] = world
        }
        return world
    }

    mutating func geometric(of key: String) -> AffineTransform {
        let properties = table(key)
        let order = rotationOrder(properties)
        return .translation(vector(properties, "GeometricTranslation", 0))
            * rotation(vector(properties, "GeometricRotation", 0), order)
            * .scale(vector(properties, "GeometricScaling", 1))
    }

    private mutating func local(of key: String) -> AffineTransform {
        let p = table(key)
        let order = rotationOrder(p)
        let rotationActive = (p["RotationActive"]?.first?.doubleValue ?? 0) != 0
        let preRotation = rotationActive ? rotation(vector(p, "PreRotation", 0), order) : .identity
        let postRotation = rotationActive ? rotation(vector(p, "PostRotation", 0), order).rotationInverse : .identity
        let rotationPivot = vector(p, "RotationPivot", 0)
        let scalingPivot = vector(p, "ScalingPivot", 0)
        return .translation(vector(p, "Lcl Translation", 0))
            * .translation(vector(p, "RotationOffset", 0))
            * .translation(rotationPivot)
            * preRotation
            * rotation(vector(p, "Lcl Rotation", 0), order)
            * postRotation
            * .translation(-rotationPivot)
            * .translation(vector(p, "ScalingOffset", 0))
            * .translation(scalingPivot)
            * .scale(vector(p, "Lcl Scaling", 1))
            * .translation(-scalingPivot)
    }

    /// FBX `EFbxRotationOrder`: 0 XYZ … 5 ZYX, 6 spherical (treated as XYZ, as Blender does).
    private func rotationOrder(_ p: [String: [FBXProperty]]) -> String {
        guard (p["RotationActive"]?.first?.doubleValue ?? 0) != 0 else { return "XYZ" }
        let orders = ["XYZ", "XZY", "YZX", "YXZ", "ZXY", "ZYX", "XYZ"]
        let raw = p["RotationOrder"]?.first?.doubleValue ?? 0
        guard raw.isFinite, let index = Int(exactly: raw.rounded()), orders.indices.contains(index) else { return "XYZ" }
        return orders[index]
    }

    private func rotation(_ degrees: SIMD3<Double>, _ order: String) -> AffineTransform {
        .euler(degrees * (Double.pi / 180), order: order)
    }

    private func vector(_ p: [String: [FBXProperty]], _ name: String, _ fallback: Double) -> SIMD3<Double> {
        guard let values = p[name], values.count >= 3,
              let x = values[0].doubleValue, let y = values[1].doubleValue, let z = values[2].doubleValue,
              x.isFinite, y.isFinite, z.isFinite else {
            return SIMD3(repeating: fallback)
        }
        return SIMD3(x, y, z)
    }
}
