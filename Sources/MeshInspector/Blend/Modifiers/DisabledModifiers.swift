import Foundation

/// Modifiers Blender skips because they lack what they work on (its `isDisabled` callbacks): a Boolean whose
/// operand object or collection is unset, a Geometry Nodes modifier without a node group. They change nothing,
/// so an object whose only "unknown" modifiers are of this kind is still counted exactly. Flag bits checked
/// against Blender 3.4.1 (`BooleanModifierData.flag`: 2 = object operand, 4 = collection operand).
enum DisabledModifiers {
    static let booleanOperandObject: Int64 = 1 << 1
    static let booleanOperandCollection: Int64 = 1 << 2
    static let boolean: Int64 = 11
    static let geometryNodes: Int64 = 57

    static func isDisabled(_ modifier: BlendStruct, type: Int64, dna: BlendSDNA) -> Bool {
        switch type {
        case boolean:
            guard let settings = modifier.reinterpreted(as: "BooleanModifierData", dna: dna) else { return false }
            let flag = settings.integer(["flag"]) ?? 0
            if flag & booleanOperandObject != 0, (settings.pointer(["object"]) ?? 0) == 0 { return true }
            if flag & booleanOperandCollection != 0, (settings.pointer(["collection"]) ?? 0) == 0 { return true }
            return false
        case geometryNodes:
            guard let settings = modifier.reinterpreted(as: "NodesModifierData", dna: dna), settings.has(["node_group"]) else { return false }
            return (settings.pointer(["node_group"]) ?? 0) == 0
        default:
            return false
        }
    }
}
