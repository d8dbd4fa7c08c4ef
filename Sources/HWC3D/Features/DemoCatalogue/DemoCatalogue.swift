import Foundation

/// The sample listings `seed-demo` creates: varied categories, licenses, prices and formats, so every filter and
/// facet of the catalogue has something to show.
struct DemoListing {
    let title: String
    let description: String
    let category: String
    let tags: [String]
    let license: ModelAsset.License
    let priceCents: Int
    let creator: Int
    let format: MeshFormatChoice
    let featured: Bool
    let build: @Sendable () -> DemoMesh

    enum MeshFormatChoice { case glb, obj }
}

enum DemoCatalogue {
    static let creators: [(username: String, name: String, bio: String)] = [
        ("studio_nimbus", "Studio Nimbus", "Small studio making game-ready furniture and props."),
        ("ada_polygons", "Ada Polygons", "Low-poly nature and stylised environments."),
        ("rivet_works", "Rivet Works", "Hard-surface vehicles and sci-fi kit."),
    ]

    static let listings: [DemoListing] = [
        .init(title: "Oak Dining Chair", description: "Four-legged dining chair with a slatted back. Clean quads, real-world scale (0.9 m tall).",
              category: "seating", tags: ["chair", "furniture", "game-ready"], license: .ccBy, priceCents: 0, creator: 0, format: .glb, featured: true) {
            var m = DemoMesh()
            let wood = m.material("Oak", 0.62, 0.42, 0.24)
            m.add(DemoShapes.box(wood, center: SIMD3(0, 0.45, 0), size: SIMD3(0.46, 0.05, 0.44)))
            for (x, z) in [(-0.2, -0.19), (0.2, -0.19), (-0.2, 0.19), (0.2, 0.19)] as [(Float, Float)] {
                m.add(DemoShapes.box(wood, center: SIMD3(x, 0.21, z), size: SIMD3(0.045, 0.42, 0.045)))
            }
            for x in [-0.2, 0.2] as [Float] { m.add(DemoShapes.box(wood, center: SIMD3(x, 0.7, -0.19), size: SIMD3(0.045, 0.46, 0.045))) }
            for y in [0.6, 0.72, 0.84] as [Float] { m.add(DemoShapes.box(wood, center: SIMD3(0, y, -0.19), size: SIMD3(0.4, 0.06, 0.025))) }
            return m
        },
        .init(title: "Round Café Table", description: "Pedestal table for cafés and kitchens; metal base, wooden top.",
              category: "tables", tags: ["table", "furniture", "interior"], license: .standard, priceCents: 499, creator: 0, format: .glb, featured: false) {
            var m = DemoMesh()
            let wood = m.material("Walnut", 0.45, 0.3, 0.18), metal = m.material("Black metal", 0.08, 0.08, 0.09)
            m.add(DemoShapes.cylinder(wood, center: SIMD3(0, 0.72, 0), radius: 0.4, height: 0.035, segments: 48))
            m.add(DemoShapes.cylinder(metal, center: SIMD3(0, 0.02, 0), radius: 0.05, height: 0.7))
            m.add(DemoShapes.cylinder(metal, center: .zero, radius: 0.25, height: 0.02, segments: 40))
            return m
        },
        .init(title: "Industrial Pendant Lamp", description: "Cone-shaded pendant light with a brass cap. Two materials.",
              category: "lighting", tags: ["lamp", "lighting", "industrial"], license: .ccBy, priceCents: 0, creator: 0, format: .obj, featured: false) {
            var m = DemoMesh()
            let shade = m.material("Enamel green", 0.12, 0.35, 0.28), brass = m.material("Brass", 0.78, 0.6, 0.25)
            m.add(DemoShapes.lathe(shade, center: SIMD3(0, 0, 0), profile: [(0.22, 0), (0.06, 0.18), (0.03, 0.24)], segments: 40, caps: false))
            m.add(DemoShapes.cylinder(brass, center: SIMD3(0, 0.24, 0), radius: 0.035, height: 0.05))
            m.add(DemoShapes.sphere(brass, center: SIMD3(0, 0.06, 0), radius: 0.05))
            return m
        },
        .init(title: "Mossy Boulder Set", description: "Three stylised boulders for terrain dressing, each a separate lump.",
              category: "rocks", tags: ["rock", "nature", "lowpoly", "environment"], license: .cc0, priceCents: 0, creator: 1, format: .glb, featured: true) {
            var m = DemoMesh()
            let stone = m.material("Stone", 0.5, 0.52, 0.48)
            m.add(DemoShapes.rock(stone, center: SIMD3(0, 0.35, 0), radius: 0.4, seed: 3))
            m.add(DemoShapes.rock(stone, center: SIMD3(0.75, 0.22, 0.2), radius: 0.25, seed: 11))
            m.add(DemoShapes.rock(stone, center: SIMD3(-0.6, 0.15, 0.35), radius: 0.17, seed: 23))
            return m
        },
        .init(title: "Low-poly Pine Tree", description: "Three-tier pine for stylised forests; 1 draw call per material.",
              category: "plants", tags: ["tree", "nature", "lowpoly"], license: .cc0, priceCents: 0, creator: 1, format: .obj, featured: false) {
            var m = DemoMesh()
            let bark = m.material("Bark", 0.4, 0.26, 0.14), needles = m.material("Needles", 0.16, 0.42, 0.22)
            m.add(DemoShapes.cylinder(bark, center: .zero, radius: 0.09, height: 0.5, segments: 8))
            for (i, r) in [0.7, 0.55, 0.38].enumerated() {
                m.add(DemoShapes.cone(needles, center: SIMD3(0, 0.4 + Float(i) * 0.45, 0), radius: Float(r), height: 0.8, segments: 10))
            }
            return m
        },
        .init(title: "Garden Planter Pot", description: "Tapered terracotta pot with a rim, ready for any plant model.",
              category: "plants", tags: ["pot", "garden", "interior"], license: .ccBySa, priceCents: 0, creator: 1, format: .glb, featured: false) {
            var m = DemoMesh()
            let clay = m.material("Terracotta", 0.76, 0.4, 0.25)
            m.add(DemoShapes.lathe(clay, center: .zero, profile: [(0.14, 0), (0.2, 0.32), (0.23, 0.33), (0.23, 0.38), (0.2, 0.38)], segments: 36))
            return m
        },
        .init(title: "Retro Rocket", description: "Toy-style rocket with fins and a porthole ring. Good for kids' games and icons.",
              category: "aircraft", tags: ["rocket", "space", "toy", "scifi"], license: .standard, priceCents: 1299, creator: 2, format: .glb, featured: true) {
            var m = DemoMesh()
            let hull = m.material("Hull white", 0.92, 0.92, 0.9), red = m.material("Signal red", 0.8, 0.12, 0.1)
            m.add(DemoShapes.cylinder(hull, center: SIMD3(0, 0.3, 0), radius: 0.2, height: 0.9, segments: 32))
            m.add(DemoShapes.cone(red, center: SIMD3(0, 1.2, 0), radius: 0.2, height: 0.45, segments: 32))
            m.add(DemoShapes.torus(red, center: SIMD3(0, 0.85, 0.2), major: 0.07, minor: 0.015))
            for angle in [0, 2.094, 4.189] as [Float] {
                m.add(DemoShapes.box(red, center: SIMD3(0.25 * cos(angle), 0.3, 0.25 * sin(angle)), size: SIMD3(0.12, 0.3, 0.12)))
            }
            return m
        },
        .init(title: "Sci-fi Cargo Crate", description: "Stackable hard-surface crate with corner braces. 1 m cube.",
              category: "props", tags: ["crate", "scifi", "props", "game-ready"], license: .ccByNc, priceCents: 0, creator: 2, format: .glb, featured: false) {
            var m = DemoMesh()
            let body = m.material("Painted steel", 0.3, 0.38, 0.45), brace = m.material("Hazard yellow", 0.95, 0.75, 0.1)
            m.add(DemoShapes.box(body, center: SIMD3(0, 0.5, 0), size: SIMD3(0.94, 0.94, 0.94)))
            for x in [-0.48, 0.48] as [Float] { for z in [-0.48, 0.48] as [Float] {
                m.add(DemoShapes.box(brace, center: SIMD3(x, 0.5, z), size: SIMD3(0.08, 1, 0.08)))
            } }
            return m
        },
        .init(title: "Ceramic Coffee Mug", description: "Everyday mug with a torus handle; 300 ml proportions.",
              category: "food", tags: ["mug", "kitchen", "props"], license: .cc0, priceCents: 0, creator: 0, format: .obj, featured: false) {
            var m = DemoMesh()
            let glaze = m.material("Glaze blue", 0.2, 0.35, 0.7)
            m.add(DemoShapes.lathe(glaze, center: .zero, profile: [(0.04, 0), (0.045, 0.1), (0.045, 0.105), (0.04, 0.105), (0.04, 0.01)], segments: 40))
            m.add(DemoShapes.torus(glaze, center: SIMD3(0.05, 0.055, 0), major: 0.03, minor: 0.007))
            return m
        },
        .init(title: "Donut with Icing", description: "A sweet torus for food scenes, two materials.",
              category: "food", tags: ["donut", "food", "stylised"], license: .ccBy, priceCents: 199, creator: 1, format: .glb, featured: false) {
            var m = DemoMesh()
            let dough = m.material("Dough", 0.85, 0.6, 0.35), icing = m.material("Pink icing", 0.95, 0.5, 0.7)
            m.add(DemoShapes.torus(dough, center: .zero, major: 0.06, minor: 0.03, sides: 20, segments: 48))
            m.add(DemoShapes.torus(icing, center: SIMD3(0, 0.012, 0), major: 0.06, minor: 0.026, sides: 20, segments: 48))
            return m
        },
    ]
}
