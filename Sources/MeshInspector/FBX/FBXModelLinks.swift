/// How an FBX scene's objects hang together, read from its `Connections` section: which `Model`s place each `Mesh`
/// geometry (a geometry drawn once per model), and each model's parent model. The counts and the preview read the
/// scene through the same links, so they place the same meshes.
struct FBXModelLinks {
    var modelsOfGeometry: [String: [String]] = [:]
    var parentOfModel: [String: String] = [:]

    init(_ document: FBXDocument, geometries: [String: FBXNode], models: [String: FBXNode]) {
        for connection in document.root("Connections")?.children ?? [] where connection.name == "C" {
            guard let child = connection.property(1)?.objectKey, let parent = connection.property(2)?.objectKey else { continue }
            if geometries[child] != nil, models[parent] != nil {
                modelsOfGeometry[child, default: []].append(parent)
            } else if models[child] != nil, models[parent] != nil {
                parentOfModel[child] = parent
            }
        }
    }
}
