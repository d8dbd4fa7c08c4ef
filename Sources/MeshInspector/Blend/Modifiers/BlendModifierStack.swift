import Foundation

/// What one modifier implementation may know and say while it runs.
struct ModifierContext {
    let limits: InspectionLimits
    let objectName: String
    /// The evaluated object's world matrix and a way to others' (a Mirror across another object needs both).
    let objectWorld: AffineTransform
    let worldOf: (UInt64) -> AffineTransform?
    var modifierName = ""
    /// A reshaping modifier already ran, so the mesh no longer carries the file's per-edge marks.
    var geometryRebuilt = false
    /// Reasons a count is not Blender's exact figure, worded for the creator.
    private(set) var approximations: [String] = []

    /// Real geometry is built while every element count stays below this (and `maxElements`); past it the
    /// evaluator keeps counts symbolically, which is exact for Subdivision and copies without merging.
    static let geometryBudget = 4_000_000

    init(limits: InspectionLimits, objectName: String, objectWorld: AffineTransform, worldOf: @escaping (UInt64) -> AffineTransform?) {
        self.limits = limits
        self.objectName = objectName
        self.objectWorld = objectWorld
        self.worldOf = worldOf
    }

    func fitsGeometry(_ largest: Int) -> Bool {
        largest <= Swift.min(limits.maxElements, Self.geometryBudget)
    }

    mutating func approximate(_ why: String) {
        approximations.append("\(objectName): \(modifierName) \(why); its counts are estimated.")
    }
}

/// Evaluates an object's viewport modifier stack (modifiers whose `mode` has `eModifierMode_Realtime`) on its base
/// mesh, in order, the way Blender's statistics see it. Each modifier lives in its own file; this only dispatches.
enum BlendModifierStack {
    struct Result {
        var counts: MeshCounts
        /// Evaluated object-space positions while geometry was built; otherwise `box`.
        var positions: [SIMD3<Double>]?
        var box: (low: SIMD3<Double>, high: SIMD3<Double>)?
        var approximations: [String]
    }

    /// The DNA struct each evaluated type is read as.
    static let structNames: [Int64: String] = [
        BlendModifierType.subdivisionSurface: "SubsurfModifierData", BlendModifierType.multiresolution: "MultiresModifierData",
        BlendModifierType.mirror: "MirrorModifierData", BlendModifierType.array: "ArrayModifierData",
        BlendModifierType.solidify: "SolidifyModifierData", BlendModifierType.triangulate: "TriangulateModifierData",
        BlendModifierType.weld: "WeldModifierData", BlendModifierType.decimate: "DecimateModifierData",
        BlendModifierType.edgeSplit: "EdgeSplitModifierData",
    ]

    /// A modifier's settings could not be read (the file's DNA lacks the struct, or the block is short).
    struct Unreadable: Error {
        var modifier: String
    }

    static func evaluate(_ modifiers: [BlendStruct], base: ModifierMeshState, dna: BlendSDNA, context: inout ModifierContext) throws -> Result {
        var state = base
        for modifier in modifiers {
            let type = modifier.integer(["type"]) ?? 0
            context.modifierName = BlendModifierType.name(type)
            guard let structName = structNames[type] else {
                // Count-preserving modifiers: positions move, counts do not.
                continue
            }
            guard let settings = modifier.reinterpreted(as: structName, dna: dna) else {
                throw Unreadable(modifier: context.modifierName)
            }
            switch type {
            case BlendModifierType.subdivisionSurface:
                try SubdivisionModifier.apply(levels: SubdivisionModifier.viewportLevels(subsurf: settings), to: &state, limit: context.limits.maxElements)
            case BlendModifierType.multiresolution:
                try SubdivisionModifier.apply(levels: SubdivisionModifier.viewportLevels(multires: settings), to: &state, limit: context.limits.maxElements)
            case BlendModifierType.mirror:
                try MirrorModifier.apply(settings, to: &state, context: &context)
            case BlendModifierType.array:
                try ArrayModifier.apply(settings, to: &state, context: &context)
            case BlendModifierType.solidify:
                try SolidifyModifier.apply(settings, to: &state, context: &context)
            case BlendModifierType.triangulate:
                try TriangulateModifier.apply(settings, to: &state, context: &context)
            case BlendModifierType.weld:
                try WeldModifier.apply(settings, to: &state, context: &context)
            case BlendModifierType.edgeSplit:
                try EdgeSplitModifier.apply(settings, to: &state, context: &context)
            default:
                try DecimateModifier.apply(settings, to: &state, context: &context)
            }
            context.geometryRebuilt = true
            let largest = state.counts.largest
            guard largest <= context.limits.maxElements else {
                throw MeshInspectionError(
                    .limitExceeded,
                    "\(context.objectName)'s \(context.modifierName) modifier would make \(largest) mesh elements, more than the \(context.limits.maxElements) allowed.")
            }
        }
        switch state {
        case .geometry(let mesh):
            return Result(counts: mesh.counts, positions: mesh.positions, box: mesh.bounds, approximations: context.approximations)
        case .counts(let counts, let box):
            return Result(counts: counts, positions: nil, box: box, approximations: context.approximations)
        }
    }
}

extension BlendStruct {
    /// The same bytes read as a larger struct that begins with this one (`MirrorModifierData` starts with its
    /// `ModifierData`), when the block holds all of it.
    func reinterpreted(as type: String, dna: BlendSDNA) -> BlendStruct? {
        guard let layout = dna.layout(named: type), layout.size <= limit - start else { return nil }
        return BlendStruct(file: file, layout: layout, start: start, limit: limit)
    }

    /// A float field of a modifier, nil unless present and finite.
    func finiteFloat(_ names: [String]) -> Double? {
        guard let value = floats(names)?.first, value.isFinite else { return nil }
        return Double(value)
    }

    func finiteVector(_ names: [String]) -> SIMD3<Double>? {
        guard let values = floats(names), values.count >= 3, values.prefix(3).allSatisfy({ $0.isFinite }) else { return nil }
        return SIMD3(Double(values[0]), Double(values[1]), Double(values[2]))
    }
}

/// Eight corners of a box through a transform, as a box again.
func transformedBox(_ box: (low: SIMD3<Double>, high: SIMD3<Double>)?, _ apply: (SIMD3<Double>) -> SIMD3<Double>)
    -> (low: SIMD3<Double>, high: SIMD3<Double>)? {
    guard let box else { return nil }
    var bounds = BoundsAccumulator()
    for corner in 0..<8 {
        bounds.add(apply(SIMD3(corner & 1 == 0 ? box.low.x : box.high.x,
                               corner & 2 == 0 ? box.low.y : box.high.y,
                               corner & 4 == 0 ? box.low.z : box.high.z)))
    }
    return bounds.extremes
}

func unionBox(_ a: (low: SIMD3<Double>, high: SIMD3<Double>)?, _ b: (low: SIMD3<Double>, high: SIMD3<Double>)?)
    -> (low: SIMD3<Double>, high: SIMD3<Double>)? {
    guard let a else { return b }
    guard let b else { return a }
    return (pointwiseMin(a.low, b.low), pointwiseMax(a.high, b.high))
}
