import Foundation

/// How one mesh object with viewport modifiers is counted, decided once per object (its instanced copies reuse
/// it):
///
/// - only count-preserving modifiers (Armature, Displace, Smooth...) or ones Blender skips as disabled
///   (`DisabledModifiers`): the stored counts, exact;
/// - any modifier outside what the evaluator knows (Bevel, Boolean, Geometry Nodes...): the stored counts, as
///   today, marked approximate and named in `unevaluated`;
/// - otherwise the base mesh's topology is read (`BlendMeshTopology`) and the stack run (`BlendModifierStack`).
struct BlendObjectEvaluation {
    struct Outcome {
        /// nil: count the mesh as stored.
        var counts: MeshCounts?
        var positions: [SIMD3<Double>]?
        var box: (low: SIMD3<Double>, high: SIMD3<Double>)?
        var evaluated: [String] = []
        var unevaluated: [String] = []
        var isApproximate = false
        var warnings: [String] = []
    }

    let file: BlendFile
    let dna: BlendSDNA
    let limits: InspectionLimits
    let meshReader: BlendMeshReader
    private var cache: [UInt64: Outcome] = [:]
    /// Evaluated positions kept for later instanced copies of the same object; past this many, copies use the
    /// evaluated box instead, so a scene of many big modified objects does not hold them all in memory.
    private var cachedPositions = 8_000_000

    init(file: BlendFile, dna: BlendSDNA, limits: InspectionLimits, meshReader: BlendMeshReader) {
        self.file = file
        self.dna = dna
        self.limits = limits
        self.meshReader = meshReader
    }

    /// `isNew` is false for a further copy of an object already evaluated (its warnings are already reported).
    mutating func outcome(
        objectPointer: UInt64, objectName: String, mesh: BlendStruct, stored: BlendMeshReader.Geometry,
        modifiers: [BlendStruct], transforms: inout BlendObjectTransforms
    ) throws -> (outcome: Outcome, isNew: Bool) {
        if let cached = cache[objectPointer] { return (cached, false) }
        let result = try evaluate(objectPointer: objectPointer, objectName: objectName, mesh: mesh, stored: stored,
                                  modifiers: modifiers, transforms: &transforms)
        var kept = result
        if let positions = kept.positions {
            if positions.count <= cachedPositions {
                cachedPositions -= positions.count
            } else {
                kept.positions = nil
            }
        }
        cache[objectPointer] = kept
        return (result, true)
    }

    private func evaluate(
        objectPointer: UInt64, objectName: String, mesh: BlendStruct, stored: BlendMeshReader.Geometry,
        modifiers: [BlendStruct], transforms: inout BlendObjectTransforms
    ) throws -> Outcome {
        var outcome = Outcome()
        let types = modifiers.map { $0.integer(["type"]) ?? 0 }
        let names = types.map(BlendModifierType.name)
        let unknown = types.indices.filter {
            !BlendModifierType.countPreserving.contains(types[$0]) && !BlendModifierType.generative.contains(types[$0])
                && !DisabledModifiers.isDisabled(modifiers[$0], type: types[$0], dna: dna)
        }
        if !unknown.isEmpty {
            outcome.unevaluated = unknown.map { names[$0] }
            outcome.isApproximate = true
            let listed = unknown.map { "\(names[$0]) (\"\(modifiers[$0].string(["name"]) ?? "")\")" }.joined(separator: ", ")
            outcome.warnings.append("\(objectName) is counted before its modifiers because \(listed) cannot be evaluated here; Blender's statistics apply them.")
            return outcome
        }
        outcome.evaluated = names
        guard types.contains(where: { BlendModifierType.generative.contains($0) }) else { return outcome }

        let meshName = mesh.nested(["id"], dna: dna)?.string(["name"]).map { String($0.dropFirst(2)) } ?? "mesh"
        let base: ModifierMeshState
        let edges = Int(mesh.integer(["edges_num", "totedge"]) ?? 0)
        let corners = Int(mesh.integer(["corners_num", "totloop"]) ?? 0)
        let storedCounts = MeshCounts(vertices: stored.vertexCount, edges: Swift.max(edges, 0), faces: stored.polygonCount,
                                      corners: Swift.max(corners, 0))
        if storedCounts.largest > ModifierContext.geometryBudget {
            // Too big to rebuild: start from the stored counts (exact for Subdivision, copies without merging).
            var box = BoundsAccumulator()
            if let positions = stored.positions { meshReader.forEachPosition(positions) { box.add($0) } }
            base = .counts(storedCounts, box: box.extremes)
        } else {
            let topology = BlendMeshTopology(file: file, dna: dna, limits: limits, reader: meshReader)
            do {
                base = .geometry(try topology.read(mesh, geometry: stored, name: meshName))
            } catch {
                let why: String
                switch error {
                case .missing(let what): why = "its \(what) could not be found"
                case .damaged(let what): why = "it is damaged (\(what))"
                }
                return countedAsStored(outcome, objectName: objectName, because: "its mesh \"\(meshName)\" could not be rebuilt: \(why)")
            }
        }

        // World matrices the stack may need: the object's own, its mirror objects' and array offset objects'.
        var worlds: [UInt64: AffineTransform] = [:]
        for modifier in modifiers {
            let reference: UInt64?
            switch modifier.integer(["type"]) {
            case BlendModifierType.mirror: reference = modifier.reinterpreted(as: "MirrorModifierData", dna: dna)?.pointer(["mirror_ob"])
            case BlendModifierType.array: reference = modifier.reinterpreted(as: "ArrayModifierData", dna: dna)?.pointer(["offset_ob"])
            default: reference = nil
            }
            if let pointer = reference, pointer != 0, BlendStruct.at(pointer, as: "Object", in: file, dna: dna) != nil {
                worlds[pointer] = try transforms.world(of: pointer)
            }
        }
        var context = ModifierContext(limits: limits, objectName: objectName, objectWorld: try transforms.world(of: objectPointer),
                                      worldOf: { worlds[$0] })
        let result: BlendModifierStack.Result
        do {
            result = try BlendModifierStack.evaluate(modifiers, base: base, dna: dna, context: &context)
        } catch let unreadable as BlendModifierStack.Unreadable {
            return countedAsStored(outcome, objectName: objectName, because: "the settings of its \(unreadable.modifier) modifier could not be read")
        }
        outcome.counts = result.counts
        outcome.positions = result.positions
        outcome.box = result.box
        if !result.approximations.isEmpty {
            outcome.isApproximate = true
            outcome.warnings += result.approximations
        }
        return outcome
    }

    private func countedAsStored(_ outcome: Outcome, objectName: String, because reason: String) -> Outcome {
        var result = outcome
        result.unevaluated = result.evaluated
        result.evaluated = []
        result.isApproximate = true
        result.warnings.append("\(objectName) is counted before its modifiers because \(reason).")
        return result
    }
}
