import Foundation
import Testing
@testable import MeshInspector

/// What the previews carry beyond shape, per format (materials, textures, UVs, normals), and the pictures drawn
/// from it: coloured covers, smooth shading, the wireframe and the four-view sheet.
@Suite("Preview materials and views")
struct PreviewMaterialTests {
    static let small: PreviewRenderOptions = {
        var options = PreviewRenderOptions()
        options.width = 320
        options.height = 240
        return options
    }()

    @Test("textured fixtures carry their base-colour texture and coordinates", arguments: [
        "gltf/textured_embedded.gltf", "bundles/textured_gltf.zip", "bundles/textured_obj.zip",
    ])
    func textured(_ fixture: String) throws {
        let geometry = try MeshInspector.geometry(PreviewFixtures.data(fixture))
        #expect(geometry.materials.count == 1)
        let texture = try #require(geometry.materials.first?.texture)
        #expect(texture.width == 16 && texture.height == 16)
        let coordinates = try #require(geometry.textureCoordinates)
        #expect(coordinates.count == geometry.triangleCount * 6)
        let finite = coordinates.allSatisfy { $0.isFinite }
        #expect(finite)
        let indices = try #require(geometry.materialIndices)
        let allFirst = indices.allSatisfy { $0 == 0 }
        #expect(allFirst)
        // The checker shows: dark and light texels both reach the picture.
        let image = try PreviewRenderer.render(geometry, options: Self.small)
        let lumas = Self.modelPixels(image).map { Int($0.red) + Int($0.green) + Int($0.blue) }
        #expect((lumas.min() ?? 999) < 150 && (lumas.max() ?? 0) > 500, "\(lumas.min() ?? -1)…\(lumas.max() ?? -1)")
    }

    /// One scene saved by Blender three ways (scripts/make-texture-fixtures-blender.py): a sphere textured with a
    /// JPEG (in a GLB bufferView, embedded in the FBX, packed in the .blend) and a plain blue cube.
    @Test("a JPEG base-colour texture is found in GLB, FBX and .blend alike", arguments: [
        "textures/painted.glb", "textures/painted.fbx", "textures/painted.blend",
    ])
    func paintedScene(_ fixture: String) throws {
        let geometry = try MeshInspector.geometry(PreviewFixtures.data(fixture))
        #expect(geometry.materials.count == 2)
        let texture = try #require(geometry.materials.first?.texture)
        #expect(texture.width == 64 && texture.height == 64)
        let blue = try #require(geometry.materials.last?.baseColor)
        #expect(abs(blue.x - 0.1) < 0.01 && abs(blue.y - 0.2) < 0.01 && abs(blue.z - 0.8) < 0.01)
        let pixels = Self.modelPixels(try PreviewRenderer.render(geometry, options: Self.small))
        let orange = pixels.filter { $0.red > 150 && $0.blue < 60 && $0.green < $0.red }.count
        let cube = pixels.filter { $0.blue > 150 && $0.red < 120 }.count
        #expect(orange > 200 && cube > 2000, "orange \(orange), blue \(cube)")
    }

    @Test("multi-material fixtures colour each face by its material", arguments: [
        "gltf/multi_material.glb", "fbx/multimaterial.fbx",
    ])
    func multiMaterial(_ fixture: String) throws {
        let geometry = try MeshInspector.geometry(PreviewFixtures.data(fixture))
        let colours = geometry.materials.map { $0.baseColor }
        #expect(colours == [SIMD3(1, 0, 0), SIMD3(0, 1, 0), SIMD3(0, 0, 1)])
        let used = Set(try #require(geometry.materialIndices))
        #expect(used == [0, 1, 2], "Blender assigns all three materials: \(used)")
        // Dominant channels in the picture: at least two of the three primary colours are visible from the cover.
        var dominant = Set<Int>()
        for pixel in Self.modelPixels(try PreviewRenderer.render(geometry, options: Self.small)) {
            let channels = [Int(pixel.red), Int(pixel.green), Int(pixel.blue)]
            if let top = channels.max(), top > 100, channels.filter({ $0 > top / 2 }).count == 1 {
                dominant.insert(channels.firstIndex(of: top)!)
            }
        }
        #expect(dominant.count >= 2, "\(dominant)")
    }

    @Test("glTF normals are read and turned into world space; other formats leave them to the renderer")
    func normals() throws {
        let gltf = try MeshInspector.geometry(PreviewFixtures.data("gltf/suzanne.glb"))
        let normals = try #require(gltf.normals)
        for triangle in stride(from: 0, to: gltf.triangleCount, by: 37) {
            let n = SIMD3(normals[triangle * 9], normals[triangle * 9 + 1], normals[triangle * 9 + 2])
            #expect(abs((n * n).sum().squareRoot() - 1) < 0.01)
        }
        let obj = try MeshInspector.geometry(PreviewFixtures.data("obj/suzanne.obj"))
        #expect(obj.normals == nil)
    }

    @Test(".blend material colours come from the Principled BSDF or the viewport colour")
    func blendMaterials() throws {
        let cube = try MeshInspector.geometry(PreviewFixtures.data("blend/cube-zstd.blend"))
        // Blender's default material: base colour 0.8 grey.
        let colours = cube.materials.map { $0.baseColor }
        #expect(colours == [SIMD3(repeating: 0.8)])
        let rigged = try MeshInspector.geometry(PreviewFixtures.data("blend/rigged-zstd.blend"))
        #expect(rigged.materials.count == 1)
    }

    @Test("smooth shading: a sphere without file normals shades in more steps than when flat, a box stays flat")
    func autoSmooth() throws {
        let sphere = try MeshInspector.geometry(PreviewFixtures.data("obj/uv_sphere.obj"))
        var options = Self.small
        let smooth = try PreviewRenderer.render(sphere, options: options)
        options.autoSmoothDegrees = 0
        let flat = try PreviewRenderer.render(sphere, options: options)
        let smoothPixels = Self.modelPixels(smooth), flatPixels = Self.modelPixels(flat)
        #expect(smoothPixels.count == flatPixels.count)
        let smoothShades = Set(smoothPixels.map { [$0.red, $0.green, $0.blue] }).count
        let flatShades = Set(flatPixels.map { [$0.red, $0.green, $0.blue] }).count
        #expect(smoothShades > flatShades, "\(smoothShades) vs \(flatShades)")
        // A box's faces meet at 90°: smoothing leaves it exactly as flat shading draws it.
        var boxOptions = Self.small
        let box = PreviewRendererTests.cube()
        let smoothBox = try PreviewRenderer.render(box, options: boxOptions)
        boxOptions.autoSmoothDegrees = 0
        let flatBox = try PreviewRenderer.render(box, options: boxOptions)
        #expect(flatBox == smoothBox)
    }

    @Test("polygons split into fans mark their inside edges, so the wireframe draws quads as quads", arguments: [
        "obj/cube.obj", "fbx/cube.fbx", "blend/cube-zstd.blend",
    ])
    func interiorEdges(_ fixture: String) throws {
        let geometry = try MeshInspector.geometry(PreviewFixtures.data(fixture))
        let edges = try #require(geometry.interiorEdges)
        #expect(edges.count == 12)
        // Six quads, each two fan triangles: the first's inside edge runs back to corner 0 (bit 2), the second's
        // leaves corner 0 (bit 0).
        let firsts = edges.filter { $0 == 4 }.count, seconds = edges.filter { $0 == 1 }.count
        #expect(firsts == 6 && seconds == 6, "\(edges)")
        // The wireframe of a quad cube has fewer line pixels than the same triangles with every edge drawn.
        var options = Self.small
        options.view = .wireframe
        var everyEdge = geometry
        everyEdge.interiorEdges = nil
        let quads = try PreviewRenderer.render(geometry, options: options)
        let triangles = try PreviewRenderer.render(everyEdge, options: options)
        let quadLines = Self.modelPixels(quads).filter { Int($0.red) + Int($0.green) + Int($0.blue) < 450 }.count
        let triangleLines = Self.modelPixels(triangles).filter { Int($0.red) + Int($0.green) + Int($0.blue) < 450 }.count
        #expect(quadLines < triangleLines, "\(quadLines) vs \(triangleLines)")
    }

    @Test("wireframe and sheet are deterministic, differ from the cover, and keep the picture size", arguments: [
        PreviewView.wireframe, PreviewView.sheet,
    ])
    func views(_ view: PreviewView) throws {
        let geometry = try MeshInspector.geometry(PreviewFixtures.data("gltf/suzanne.glb"))
        var options = Self.small
        let cover = try PreviewRenderer.render(geometry, options: options)
        options.view = view
        let first = try PreviewRenderer.render(geometry, options: options)
        let second = try PreviewRenderer.render(geometry, options: options)
        #expect(first == second)
        #expect(first != cover)
        #expect(first.width == 320 && first.height == 240)
        if view == .wireframe {
            // Lines are darker than anything on the light wireframe surface would be.
            let dark = Self.modelPixels(first).filter { Int($0.red) + Int($0.green) + Int($0.blue) < 450 }
            #expect(dark.count > 200)
        } else {
            // A separator line splits the picture in four, and each quarter shows the model.
            let separator = first.pixel(x: 159, y: 60)
            #expect(first.pixel(x: 159, y: 180) == separator && first.pixel(x: 80, y: 119) == separator)
            for (x, y) in [(80, 60), (240, 60), (80, 180), (240, 180)] {
                let centre = first.pixel(x: x, y: y)
                #expect(centre != first.pixel(x: x - 75, y: y), "quarter at \(x), \(y) looks empty")
            }
        }
    }

    @Test("the front view of the sheet looks at +Z: a model's front-facing half is the one drawn")
    func sheetOrientation() throws {
        // Two squares facing +Z: a red one in front (z = 1), a blue one behind (z = -1), the blue one larger.
        var positions: [Float] = []
        var indices: [UInt32] = []
        for (z, size, material) in [(Float(1), Float(1), UInt32(0)), (Float(-1), Float(2), UInt32(1))] {
            positions += [-size, -size, z, size, -size, z, size, size, z, -size, -size, z, size, size, z, -size, size, z]
            indices += [material, material]
        }
        let geometry = PreviewGeometry(
            positions: positions, sourceTriangleCount: 4, normals: nil, textureCoordinates: nil, materialIndices: indices,
            materials: [PreviewMaterial(baseColor: SIMD3(1, 0, 0)), PreviewMaterial(baseColor: SIMD3(0, 0, 1))])
        var options = Self.small
        options.view = .sheet
        let sheet = try PreviewRenderer.render(geometry, options: options)
        // Centre of the front quarter: the red square in front hides the blue one.
        let front = sheet.pixel(x: 80, y: 60)
        #expect(front.red > front.blue, "\(front)")
    }

    /// A smoke test of the full pipeline on a dense mesh; speed is measured on release builds (1M triangles).
    @Test("a dense mesh of 125,000 triangles renders in every view")
    func manyTriangles() throws {
        var positions: [Float] = []
        let side = 250
        positions.reserveCapacity(side * side * 18)
        for row in 0..<side {
            for column in 0..<side {
                let x0 = Float(column) / Float(side), x1 = Float(column + 1) / Float(side)
                let y0 = Float(row) / Float(side), y1 = Float(row + 1) / Float(side)
                func z(_ x: Float, _ y: Float) -> Float { 0.1 * sin(x * 12) * cos(y * 9) }
                positions += [x0, y0, z(x0, y0), x1, y0, z(x1, y0), x1, y1, z(x1, y1)]
                positions += [x0, y0, z(x0, y0), x1, y1, z(x1, y1), x0, y1, z(x0, y1)]
            }
        }
        let geometry = PreviewGeometry(positions: positions, sourceTriangleCount: side * side * 2)
        var options = Self.small
        for view in PreviewView.allCases {
            options.view = view
            let image = try PreviewRenderer.render(geometry, options: options)
            let drawn = Self.modelPixels(image).count
            #expect(drawn > 1000)
        }
    }

    /// Pixels that differ clearly from the background gradient.
    static func modelPixels(_ image: PreviewImage) -> [PreviewColor] {
        var result: [PreviewColor] = []
        for y in 0..<image.height {
            let background = PreviewRendererTests.backgroundOfRow(y, PreviewRenderOptions())
            for x in 0..<image.width {
                let pixel = image.pixel(x: x, y: y)
                let difference = abs(Int(pixel.red) - Int(background.red)) + abs(Int(pixel.green) - Int(background.green))
                    + abs(Int(pixel.blue) - Int(background.blue))
                if difference > 12 { result.append(pixel) }
            }
        }
        return result
    }
}
