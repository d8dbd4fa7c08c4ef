import Foundation

/// Finds the objects Blender's statistics would count: those of the file's current scene (`GLOB.curscene`) that
/// are visible in its current view layer.
///
/// Visibility, as Blender 3.4 decides it (checked against its statistics on the fixtures): an object counts when it
/// sits in a collection reachable from the scene's master collection through layer collections that are neither
/// excluded (`LAYER_COLLECTION_EXCLUDE`) nor hidden (`LAYER_COLLECTION_HIDE`, inherited), whose collections are
/// not disabled in viewports (`COLLECTION_HIDE_VIEWPORT`, inherited), and the object itself is not hidden in the
/// view layer (`BASE_HIDDEN` on its base) nor disabled in viewports (`OB_HIDE_VIEWPORT`). Objects only reachable
/// as orphans, through fake users, or from other scenes are not counted. Files without view-layer data (written
/// by scripts) fall back to every object of the scene's collection tree.
struct BlendScene {
    static let layerCollectionExclude: Int64 = 1 << 4
    static let layerCollectionHide: Int64 = 1 << 7
    static let collectionHideViewport: Int64 = 1 << 0
    static let baseHidden: Int64 = 1 << 8
    static let objectHideViewport: Int64 = 1 << 0

    let file: BlendFile
    let dna: BlendSDNA
    let limits: InspectionLimits

    var maxListItems: Int { Swift.min(file.blocks.count + 1, BlendFile.maxBlocks) }

    /// The scene the file was saved with as current, else the first one.
    func currentScene() -> BlendStruct? {
        let global = file.blocks(withCode: "GLOB").first.flatMap { BlendStruct.first(in: $0, as: "FileGlobal", file: file, dna: dna) }
        if let pointer = global?.pointer(["curscene"]), let block = file.block(at: pointer), block.code == BlendFile.code("SC"),
           let scene = BlendStruct.first(in: block, as: "Scene", file: file, dna: dna) {
            return scene
        }
        return file.blocks(withCode: "SC").lazy.compactMap { BlendStruct.first(in: $0, as: "Scene", file: file, dna: dna) }.first
    }

    /// Metres per Blender unit (`Scene.unit.scale_length`, 1 unless set).
    func metresPerUnit(_ scene: BlendStruct) -> Double {
        guard let unit = scene.nested(["unit"], dna: dna), let scale = unit.floats(["scale_length"])?.first,
              scale.isFinite, scale > 0 else { return 1 }
        return Double(scale)
    }

    /// Old pointers of the visible objects, in a stable order, each once.
    func visibleObjects(in scene: BlendStruct) throws -> [UInt64] {
        var result: [UInt64] = []
        var seen = Set<UInt64>()
        func add(_ pointer: UInt64) {
            if pointer != 0, seen.insert(pointer).inserted { result.append(pointer) }
        }

        guard let master = scene.pointer(["master_collection"]).flatMap({ BlendStruct.at($0, as: "Collection", in: file, dna: dna) }) else {
            // Before 2.80 scenes listed their objects as bases directly.
            for base in try scene.list(["base"], itemType: "Base", dna: dna, maxItems: maxListItems) {
                add(base.pointer(["object"]) ?? 0)
            }
            return result
        }

        let viewLayer = try currentViewLayer(scene)
        let layerRoot = try viewLayer?.list(["layer_collections"], itemType: "LayerCollection", dna: dna, maxItems: maxListItems).first
        guard let viewLayer, let layerRoot else {
            var visited = Set<UInt64>()
            try walkCollections(master, pointer: scene.pointer(["master_collection"]) ?? 0, path: [], visited: &visited) { add($0) }
            return result
        }

        var hiddenBases = Set<UInt64>()
        for base in try viewLayer.list(["object_bases"], itemType: "Base", dna: dna, maxItems: maxListItems) {
            if let object = base.pointer(["object"]), let flag = base.integer(["flag"]), flag & Self.baseHidden != 0 {
                hiddenBases.insert(object)
            }
        }
        var visitedLayers = Set<Int>()
        var listedCollections = Set<UInt64>()
        try walkLayer(layerRoot, visible: true, depth: 0, visited: &visitedLayers, listed: &listedCollections) { object in
            guard !hiddenBases.contains(object),
                  let ob = BlendStruct.at(object, as: "Object", in: file, dna: dna) else { return }
            let restriction = ob.integer(["visibility_flag", "restrictflag"]) ?? 0
            if restriction & Self.objectHideViewport == 0 { add(object) }
        }
        return result
    }

    private func currentViewLayer(_ scene: BlendStruct) throws -> BlendStruct? {
        let layers = try scene.list(["view_layers"], itemType: "ViewLayer", dna: dna, maxItems: maxListItems)
        let global = file.blocks(withCode: "GLOB").first.flatMap { BlendStruct.first(in: $0, as: "FileGlobal", file: file, dna: dna) }
        if let wanted = global?.pointer(["cur_view_layer"]), let match = layers.first(where: { file.block(at: wanted)?.data.lowerBound == $0.start }) {
            return match
        }
        return layers.first
    }

    private func walkLayer(
        _ layer: BlendStruct, visible parentVisible: Bool, depth: Int, visited: inout Set<Int>, listed: inout Set<UInt64>,
        _ visit: (UInt64) -> Void
    ) throws {
        guard depth < limits.maxDepth else {
            throw MeshInspectionError(.limitExceeded, "The .blend collection hierarchy is more than \(limits.maxDepth) levels deep.")
        }
        let flag = layer.integer(["flag"]) ?? 0
        // Layer collections form a tree; keyed by where each sits in the file, a repeat means a damaged cycle.
        guard visited.insert(layer.start).inserted else {
            throw MeshInspectionError(.malformed, "The .blend view layer's collection tree loops back on itself.")
        }
        guard flag & Self.layerCollectionExclude == 0,
              let collectionPointer = layer.pointer(["collection"]),
              let collection = BlendStruct.at(collectionPointer, as: "Collection", in: file, dna: dna) else { return }
        let collectionFlag = collection.integer(["flag"]) ?? 0
        let visible = parentVisible && flag & Self.layerCollectionHide == 0 && collectionFlag & Self.collectionHideViewport == 0
        // A collection linked in several places is listed once: its objects are already in.
        if visible, listed.insert(collectionPointer).inserted {
            for entry in try collection.list(["gobject"], itemType: "CollectionObject", dna: dna, maxItems: maxListItems) {
                if let object = entry.pointer(["ob"]) { visit(object) }
            }
        }
        for child in try layer.list(["layer_collections"], itemType: "LayerCollection", dna: dna, maxItems: maxListItems) {
            try walkLayer(child, visible: visible, depth: depth + 1, visited: &visited, listed: &listed, visit)
        }
    }

    /// `path` holds the collections above this one: meeting one again is a cycle. A collection linked under two
    /// parents is legitimate and walked once (`visited`).
    private func walkCollections(
        _ collection: BlendStruct, pointer: UInt64, path: [UInt64], visited: inout Set<UInt64>, _ visit: (UInt64) -> Void
    ) throws {
        guard path.count < limits.maxDepth else {
            throw MeshInspectionError(.limitExceeded, "The .blend collection hierarchy is more than \(limits.maxDepth) levels deep.")
        }
        guard !path.contains(pointer) else {
            throw MeshInspectionError(.malformed, "The .blend collections contain each other in a cycle.")
        }
        guard visited.insert(pointer).inserted else { return }
        for entry in try collection.list(["gobject"], itemType: "CollectionObject", dna: dna, maxItems: maxListItems) {
            if let object = entry.pointer(["ob"]) { visit(object) }
        }
        for child in try collection.list(["children"], itemType: "CollectionChild", dna: dna, maxItems: maxListItems) {
            guard let childPointer = child.pointer(["collection"]),
                  let childCollection = BlendStruct.at(childPointer, as: "Collection", in: file, dna: dna) else { continue }
            if path.contains(childPointer) || childPointer == pointer {
                throw MeshInspectionError(.malformed, "The .blend collections contain each other in a cycle.")
            }
            try walkCollections(childCollection, pointer: childPointer, path: path + [pointer], visited: &visited, visit)
        }
    }
}
