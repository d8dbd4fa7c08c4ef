import Foundation

/// An OBJ's materials for a preview: each `usemtl` name's `Kd` colour and `map_Kd` image from the material
/// libraries the bundle holds. A lone OBJ upload has no libraries, so its faces stay clay; a material missing
/// from the libraries gets the grey Blender's importer gives it (0.8).
enum OBJPreviewMaterials {
    static func read(
        _ names: [String], libraries: [String], resources: SceneResources, limits: InspectionLimits
    ) -> [PreviewMaterial] {
        guard !names.isEmpty else { return [] }
        var library = MTLLibrary()
        var found = false
        for name in libraries {
            guard let data = try? resources.data(forReference: name) else { continue }
            if (try? data.withUnsafeBytes({ try library.parse($0, limits: limits) })) != nil { found = true }
        }
        guard found else { return [] }
        var textures: [String: PreviewTexture?] = [:]
        return names.map { name in
            let kd = library.diffuseColours[name] ?? (0.8, 0.8, 0.8)
            var material = PreviewMaterial(baseColor: PreviewMaterial.linear(kd.0, kd.1, kd.2))
            if let path = library.diffuseTexture(of: name) {
                if textures[path] == nil {
                    textures[path] = (try? resources.data(forReference: path)).flatMap { $0 }.flatMap { PreviewTextureDecoder.decode($0) }
                }
                if let texture = textures[path] ?? nil {
                    material.texture = texture
                    // Blender multiplies nothing into an image-textured base colour: the image alone shows.
                    material.baseColor = SIMD3(repeating: 1)
                }
            }
            return material
        }
    }
}
