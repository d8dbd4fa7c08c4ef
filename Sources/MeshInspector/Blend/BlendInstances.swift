import Foundation

/// Collection instances: an object (usually an empty) with `transflag & OB_DUPLICOLLECTION` shows every object of
/// its `instance_collection`, placed at `instancer world · T(−instance_offset) · object world`. Blender's statistics
/// count those copies — even when the source collection is excluded from the view layer, as asset kits often are —
/// so they are placed here too. Inside an instanced collection, objects and child collections disabled in
/// viewports are skipped, as Blender does; nesting stops at Blender's own depth of 8. Vertex and face instancing
/// (instancing on a mesh's elements) are not expanded.
struct BlendInstances {
    static let duplicateCollectionFlag: Int64 = 1 << 8
    static let maxNesting = 8
    /// Copies placed at most; a scene beyond this gets a warning instead of unbounded work.
    static let maxInstances = 1_000_000

    struct Placement {
        var object: UInt64
        /// nil for objects placed directly in the scene: their own world matrix applies.
        var world: AffineTransform?
    }

    let file: BlendFile
    let dna: BlendSDNA
    let limits: InspectionLimits
    private(set) var truncated = false
    private var placed = 0

    init(file: BlendFile, dna: BlendSDNA, limits: InspectionLimits) {
        self.file = file
        self.dna = dna
        self.limits = limits
    }

    /// The scene's visible objects followed by every copy their collection instances make.
    mutating func placements(of objects: [UInt64], transforms: inout BlendObjectTransforms) throws -> [Placement] {
        var result = objects.map { Placement(object: $0, world: nil) }
        for pointer in objects {
            guard let object = BlendStruct.at(pointer, as: "Object", in: file, dna: dna) else { continue }
            try expand(object, world: try transforms.world(of: pointer), depth: 1, transforms: &transforms, into: &result)
        }
        return result
    }

    private mutating func expand(
        _ instancer: BlendStruct, world: AffineTransform, depth: Int, transforms: inout BlendObjectTransforms,
        into result: inout [Placement]
    ) throws {
        guard (instancer.integer(["transflag"]) ?? 0) & Self.duplicateCollectionFlag != 0,
              let collectionPointer = instancer.pointer(["instance_collection", "dup_group"]), collectionPointer != 0,
              let collection = BlendStruct.at(collectionPointer, as: "Collection", in: file, dna: dna) else { return }
        guard depth <= Self.maxNesting else { return }
        let offset = collection.floats(["instance_offset", "dupli_ofs"]).flatMap { values -> SIMD3<Double>? in
            guard values.count >= 3, values.prefix(3).allSatisfy({ $0.isFinite }) else { return nil }
            return SIMD3(Double(values[0]), Double(values[1]), Double(values[2]))
        } ?? .zero
        let base = world * .translation(-offset)
        var seen = Set<UInt64>()
        for member in try members(of: collection, pointer: collectionPointer, seen: &seen, depth: 0) {
            guard placed < Self.maxInstances else {
                truncated = true
                return
            }
            guard let object = BlendStruct.at(member, as: "Object", in: file, dna: dna) else { continue }
            let memberWorld = try base * transforms.world(of: member)
            result.append(Placement(object: member, world: memberWorld))
            placed += 1
            try expand(object, world: memberWorld, depth: depth + 1, transforms: &transforms, into: &result)
        }
    }

    /// Objects of a collection and its child collections that are enabled in viewports, each once.
    private func members(of collection: BlendStruct, pointer: UInt64, seen: inout Set<UInt64>, depth: Int) throws -> [UInt64] {
        guard depth < limits.maxDepth, seen.insert(pointer).inserted,
              (collection.integer(["flag"]) ?? 0) & BlendScene.collectionHideViewport == 0 else { return [] }
        let maxItems = Swift.min(file.blocks.count + 1, BlendFile.maxBlocks)
        var objects: [UInt64] = []
        for entry in try collection.list(["gobject"], itemType: "CollectionObject", dna: dna, maxItems: maxItems) {
            guard let object = entry.pointer(["ob"]), let ob = BlendStruct.at(object, as: "Object", in: file, dna: dna),
                  (ob.integer(["visibility_flag", "restrictflag"]) ?? 0) & BlendScene.objectHideViewport == 0 else { continue }
            objects.append(object)
        }
        for child in try collection.list(["children"], itemType: "CollectionChild", dna: dna, maxItems: maxItems) {
            guard let childPointer = child.pointer(["collection"]),
                  let childCollection = BlendStruct.at(childPointer, as: "Collection", in: file, dna: dna) else { continue }
            objects += try members(of: childCollection, pointer: childPointer, seen: &seen, depth: depth + 1)
        }
        return objects
    }
}
