/// The node hierarchy of a glTF document, walked without recursion.
///
/// Blender's importer makes an object of every node that has no parent and of all their descendants, whatever the
/// document's `scenes` say; so does this walk. A node with two parents, or nodes that only reach each other
/// (a cycle), make Blender's importer fail, and fail here too with a reason.
enum GLTFSceneGraph {
    struct MeshInstance {
        var node: Int
        var mesh: Int
        var skin: Int?
        /// Column-major world transform.
        var world: [Double]
    }

    static func meshInstances(_ document: GLTFDocument, maxDepth: Int) throws -> [MeshInstance] {
        let nodes = document.nodes
        var parent = [Int](repeating: -1, count: nodes.count)
        for (index, node) in nodes.enumerated() {
            for child in node.children {
                guard child < nodes.count else {
                    throw GLTFDocument.malformed("node \(index) has child \(child), but there are \(nodes.count) nodes")
                }
                guard parent[child] == -1 else {
                    throw GLTFDocument.malformed("node \(child) is the child of more than one node")
                }
                parent[child] = index
            }
        }

        var instances: [MeshInstance] = []
        var visited = [Bool](repeating: false, count: nodes.count)
        var pending: [(node: Int, depth: Int, parentWorld: [Double]?)] = []
        for index in nodes.indices where parent[index] == -1 {
            pending.append((index, 1, nil))
        }
        while let (index, depth, parentWorld) = pending.popLast() {
            guard depth <= maxDepth else {
                throw MeshInspectionError(
                    .limitExceeded, "The glTF node hierarchy is deeper than \(maxDepth) levels.")
            }
            visited[index] = true
            let node = nodes[index]
            let world = parentWorld.map { multiply($0, node.matrix) } ?? node.matrix
            if let mesh = node.mesh {
                instances.append(MeshInstance(node: index, mesh: mesh, skin: node.skin, world: world))
            }
            for child in node.children {
                pending.append((child, depth + 1, world))
            }
        }
        // With one parent per node, every node not reached from a root sits on (or under) a cycle.
        if let stuck = visited.firstIndex(of: false) {
            throw GLTFDocument.malformed("the node hierarchy has a cycle: node \(stuck) never leads back to a root node")
        }
        return instances.sorted { $0.node < $1.node }
    }

    static func multiply(_ a: [Double], _ b: [Double]) -> [Double] {
        var result = [Double](repeating: 0, count: 16)
        for column in 0..<4 {
            for row in 0..<4 {
                var sum = 0.0
                for k in 0..<4 { sum += a[k * 4 + row] * b[column * 4 + k] }
                result[column * 4 + row] = sum
            }
        }
        return result
    }

    static func transform(_ m: [Double], _ x: Double, _ y: Double, _ z: Double) -> (Double, Double, Double) {
        (m[0] * x + m[4] * y + m[8] * z + m[12],
         m[1] * x + m[5] * y + m[9] * z + m[13],
         m[2] * x + m[6] * y + m[10] * z + m[14])
    }
}
