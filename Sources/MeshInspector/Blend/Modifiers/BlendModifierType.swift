import Foundation

/// `ModifierData.type` numbers (DNA_modifier_types.h; they are written in files and never change) with Blender's
/// UI names, checked against Blender 3.4.1 by adding every modifier type to an object and reading the number back.
enum BlendModifierType {
    static let subdivisionSurface: Int64 = 1
    static let mirror: Int64 = 5
    static let decimate: Int64 = 6
    static let armature: Int64 = 8
    static let array: Int64 = 12
    static let edgeSplit: Int64 = 13
    static let multiresolution: Int64 = 29
    static let solidify: Int64 = 33
    static let triangulate: Int64 = 44
    static let weld: Int64 = 55

    /// `eModifierMode_Realtime`: the modifier is enabled in the viewport, which is what the statistics evaluate.
    static let modeRealtime: Int64 = 1 << 0

    static let names: [Int64: String] = [
        1: "Subdivision Surface", 2: "Lattice", 3: "Curve", 4: "Build", 5: "Mirror", 6: "Decimate", 7: "Wave",
        8: "Armature", 9: "Hook", 10: "Soft Body", 11: "Boolean", 12: "Array", 13: "Edge Split", 14: "Displace",
        15: "UV Project", 16: "Smooth", 17: "Cast", 18: "Mesh Deform", 19: "Particle System",
        20: "Particle Instance", 21: "Explode", 22: "Cloth", 23: "Collision", 24: "Bevel", 25: "Shrinkwrap",
        26: "Fluid Simulation", 27: "Mask", 28: "Simple Deform", 29: "Multiresolution", 30: "Surface", 31: "Smoke",
        32: "Shape Key", 33: "Solidify", 34: "Screw", 35: "Warp", 36: "Vertex Weight Edit", 37: "Vertex Weight Mix",
        38: "Vertex Weight Proximity", 39: "Ocean", 40: "Dynamic Paint", 41: "Remesh", 42: "Skin",
        43: "Smooth Laplacian", 44: "Triangulate", 45: "UV Warp", 46: "Mesh Cache", 47: "Laplacian Deform",
        48: "Wireframe", 49: "Data Transfer", 50: "Normal Edit", 51: "Smooth Corrective", 52: "Mesh Sequence Cache",
        53: "Surface Deform", 54: "Weighted Normal", 55: "Weld", 56: "Fluid", 57: "Geometry Nodes",
        58: "Mesh to Volume", 59: "Volume Displace", 60: "Volume to Mesh", 61: "Grease Pencil",
    ]

    /// Modifiers that move vertices or change only attributes (weights, UVs, normals) and never the number of
    /// vertices or faces: counted exactly without evaluating them; the bounding box uses undeformed positions.
    /// Physics modifiers that only deform (soft body, cloth) or record (collision, surface) belong here too.
    static let countPreserving: Set<Int64> = [
        2, 3, 7, 8, 9, 10, 14, 15, 16, 17, 18, 22, 23, 25, 28, 30, 35, 36, 37, 38, 43, 45, 46, 47, 49, 50, 51, 53, 54,
    ]

    /// Modifiers the evaluator rebuilds (exactly, or approximately where its code says so).
    static let generative: Set<Int64> = [
        subdivisionSurface, mirror, decimate, array, edgeSplit, multiresolution, solidify, triangulate, weld,
    ]

    static func name(_ type: Int64) -> String { names[type] ?? "Modifier type \(type)" }
}
