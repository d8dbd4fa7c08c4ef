/// Sets of polygon vertex sets, as Blender's `mesh.validate()` compares polygons when it drops duplicates (FBX
/// imports always, OBJ imports of objects with a dropped face): by their sorted vertex indices. Triangles
/// and quads, nearly every polygon, are kept as fixed-size keys so a million of them cost no array allocations.
struct PolygonVertexSets {
    private var small = Set<SIMD4<UInt32>>()
    private var large = Set<[UInt32]>()

    /// Adds a set given as ascending vertex indices; false when it was already there.
    mutating func insert(sorted vertices: [UInt32]) -> Bool {
        if vertices.count <= 4 {
            var key = SIMD4<UInt32>(repeating: .max)
            for (slot, vertex) in vertices.enumerated() { key[slot] = vertex }
            return small.insert(key).inserted
        }
        return large.insert(vertices).inserted
    }
}
