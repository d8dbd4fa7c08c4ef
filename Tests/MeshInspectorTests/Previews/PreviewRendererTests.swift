import Foundation
import Testing
@testable import MeshInspector

/// The software renderer: framing, shading against the background, determinism, aspect ratios and refusals.
@Suite("Preview renderer")
struct PreviewRendererTests {
    static let small: PreviewRenderOptions = {
        var options = PreviewRenderOptions()
        options.width = 320
        options.height = 240
        return options
    }()

    @Test("a cube: corners keep the background, the centre is shaded clay, not background")
    func cube() throws {
        let options = Self.small
        let image = try PreviewRenderer.render(Self.cube(), options: options)
        #expect(image.width == 320 && image.height == 240 && image.pixels.count == 320 * 240 * 3)
        // Rows are a vertical gradient: top rows are the top colour, bottom rows the bottom one.
        for x in [0, 319] {
            expectClose(image.pixel(x: x, y: 0), options.backgroundTop, tolerance: 1)
            expectClose(image.pixel(x: x, y: 239), options.backgroundBottom, tolerance: 1)
        }
        let centre = image.pixel(x: 160, y: 120)
        #expect(distance(centre, Self.backgroundOfRow(120, options)) > 10, "centre \(centre) looks like background")
        // Clay: warm, so red ≥ green ≥ blue, and lit, so neither black nor white.
        #expect(centre.red >= centre.green && centre.green >= centre.blue, "\(centre)")
        #expect(centre.red > 40 && centre.red < 250)
    }

    @Test("three visible faces of a cube get three different shades")
    func facesAreShadedApart() throws {
        let image = try PreviewRenderer.render(Self.cube(), options: Self.small)
        let silhouette = try #require(Self.silhouette(image, options: Self.small))
        var shades = Set<[UInt8]>()
        for y in stride(from: silhouette.top, through: silhouette.bottom, by: 4) {
            for x in stride(from: silhouette.left, through: silhouette.right, by: 4) {
                let pixel = image.pixel(x: x, y: y)
                if distance(pixel, Self.backgroundOfRow(y, Self.small)) > 10 { shades.insert([pixel.red, pixel.green, pixel.blue]) }
            }
        }
        // Flat shading: the interior of each face is one colour; edges add a few blends.
        #expect(shades.count >= 3)
    }

    @Test("the same geometry renders to the same bytes every time")
    func deterministic() throws {
        let geometry = try MeshInspector.geometry(PreviewFixtures.data("gltf/suzanne.glb"))
        let first = try PreviewRenderer.render(geometry, options: Self.small)
        let second = try PreviewRenderer.render(geometry, options: Self.small)
        #expect(Self.checksum(first) == Self.checksum(second))
        #expect(first == second)
        let other = try PreviewRenderer.render(Self.cube(), options: Self.small)
        #expect(Self.checksum(other) != Self.checksum(first))
    }

    @Test("wide and tall pictures frame the model inside the margins without stretching it")
    func aspect() throws {
        var ratios: [Double] = []
        for (width, height) in [(480, 160), (160, 480), (300, 300)] {
            var options = PreviewRenderOptions()
            options.width = width
            options.height = height
            let image = try PreviewRenderer.render(Self.cube(), options: options)
            let box = try #require(Self.silhouette(image, options: options))
            let margin = options.margin
            let boxWidth = box.right - box.left + 1, boxHeight = box.bottom - box.top + 1
            // Inside the margins (one pixel of anti-aliasing allowed), and filling them along the tighter axis.
            #expect(box.left >= Int(Float(width) * margin) - 1 && box.right <= width - Int(Float(width) * margin))
            #expect(box.top >= Int(Float(height) * margin) - 1 && box.bottom <= height - Int(Float(height) * margin))
            let fillsWidth = Double(boxWidth) >= Double(width) * (1 - 2 * Double(margin)) - 3
            let fillsHeight = Double(boxHeight) >= Double(height) * (1 - 2 * Double(margin)) - 3
            #expect(fillsWidth || fillsHeight, "\(width)x\(height): silhouette \(boxWidth)x\(boxHeight)")
            // Centred.
            #expect(abs((box.left + box.right) / 2 - width / 2) <= 2 && abs((box.top + box.bottom) / 2 - height / 2) <= 2)
            ratios.append(Double(boxWidth) / Double(boxHeight))
        }
        // Same camera, so the same silhouette shape at every size.
        for ratio in ratios { #expect(abs(ratio - ratios[0]) < 0.06 * ratios[0], "\(ratios)") }
    }

    @Test("supersampling softens edges: a 1× render has only pure colours, a 2× one has blends")
    func antiAliasing() throws {
        var options = Self.small
        options.supersampling = 1
        let aliased = try PreviewRenderer.render(Self.cube(), options: options)
        options.supersampling = 2
        let smooth = try PreviewRenderer.render(Self.cube(), options: options)
        #expect(Self.distinctColours(smooth) > Self.distinctColours(aliased))
    }

    @Test("two triangles sharing a diagonal leave no crack between them")
    func watertight() throws {
        var options = Self.small
        options.supersampling = 1
        // A flat square on the ground, split along its diagonal into two faces of the same normal and shade.
        let corners: [SIMD3<Float>] = [SIMD3(-1, 0, -1), SIMD3(1, 0, -1), SIMD3(1, 0, 1), SIMD3(-1, 0, 1)]
        let positions = [0, 1, 2, 0, 2, 3].flatMap { [corners[$0].x, corners[$0].y, corners[$0].z] }
        let image = try PreviewRenderer.render(PreviewGeometry(positions: positions, sourceTriangleCount: 2), options: options)
        let surface = image.pixel(x: 160, y: 120)
        var rowsCrossed = 0
        for y in 0..<image.height {
            let run = (0..<image.width).filter { image.pixel(x: $0, y: y) == surface }
            guard let first = run.first, let last = run.last else { continue }
            rowsCrossed += 1
            // The square is convex: each row crosses it in one unbroken run.
            #expect(run.count == last - first + 1, "row \(y) has a gap")
        }
        #expect(rowsCrossed > 100)
    }

    @Test("a pile of picture-sized triangles is refused, quickly, instead of drawn for hours")
    func overdrawLimit() throws {
        var positions: [Float] = []
        for layer in 0..<2000 {
            let z = Float(layer) * 0.001
            positions += [-1, -1, z, 1, -1, z, 0, 1, z]
        }
        let clock = ContinuousClock()
        let started = clock.now
        let error = try #require(throws: MeshInspectionError.self) {
            try PreviewRenderer.render(PreviewGeometry(positions: positions, sourceTriangleCount: 2000), options: Self.small)
        }
        #expect(error.kind == .limitExceeded)
        #expect(clock.now - started < .seconds(10))
    }

    @Test("nothing to draw, or a shape with no area, leaves just the background")
    func emptyAndDegenerate() throws {
        let options = Self.small
        let empty = try PreviewRenderer.render(PreviewGeometry(positions: [], sourceTriangleCount: 0), options: options)
        let point = try PreviewRenderer.render(
            PreviewGeometry(positions: [Float](repeating: 1, count: 18), sourceTriangleCount: 2), options: options)
        #expect(empty == point)
        #expect(Self.silhouette(empty, options: options) == nil)
    }

    @Test("sizes and settings out of range are refused", arguments: [
        (0, 240, 2), (320, 0, 2), (9000, 240, 2), (320, 240, 0), (320, 240, 5), (8192, 8192, 2),
    ])
    func refusals(_ width: Int, _ height: Int, _ supersampling: Int) throws {
        var options = PreviewRenderOptions()
        options.width = width
        options.height = height
        options.supersampling = supersampling
        #expect(throws: MeshInspectionError.self) { try PreviewRenderer.render(Self.cube(), options: options) }
    }

    // MARK: helpers

    /// A 2 × 1 × 1 box (12 triangles), long along X so framing and aspect are visible.
    static func cube() -> PreviewGeometry {
        let corners: [SIMD3<Float>] = (0..<8).map { index -> SIMD3<Float> in
            let x: Float = index & 1 == 0 ? -1 : 1
            let y: Float = index & 2 == 0 ? -0.5 : 0.5
            let z: Float = index & 4 == 0 ? -0.5 : 0.5
            return SIMD3(x, y, z)
        }
        let faces = [[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4], [1, 5, 7, 3]]
        var positions: [Float] = []
        for face in faces {
            for triangle in [[face[0], face[1], face[2]], [face[0], face[2], face[3]]] {
                for corner in triangle { positions += [corners[corner].x, corners[corner].y, corners[corner].z] }
            }
        }
        return PreviewGeometry(positions: positions, sourceTriangleCount: 12)
    }

    static func backgroundOfRow(_ y: Int, _ options: PreviewRenderOptions) -> PreviewColor {
        let share = Double(y) / Double(max(1, options.height - 1))
        func mix(_ top: UInt8, _ bottom: UInt8) -> UInt8 { UInt8((Double(top) + (Double(bottom) - Double(top)) * share).rounded()) }
        return PreviewColor(
            mix(options.backgroundTop.red, options.backgroundBottom.red), mix(options.backgroundTop.green, options.backgroundBottom.green),
            mix(options.backgroundTop.blue, options.backgroundBottom.blue))
    }

    /// Box of the pixels that differ from their row's background by more than the gradient's rounding.
    static func silhouette(_ image: PreviewImage, options: PreviewRenderOptions) -> (left: Int, right: Int, top: Int, bottom: Int)? {
        var box: (left: Int, right: Int, top: Int, bottom: Int)?
        for y in 0..<image.height {
            let background = backgroundOfRow(y, options)
            for x in 0..<image.width where distance(image.pixel(x: x, y: y), background) > 3 {
                box = (min(box?.left ?? x, x), max(box?.right ?? x, x), min(box?.top ?? y, y), max(box?.bottom ?? y, y))
            }
        }
        return box
    }

    static func distinctColours(_ image: PreviewImage) -> Int {
        Set(stride(from: 0, to: image.pixels.count, by: 3).map { Array(image.pixels[$0..<$0 + 3]) }).count
    }

    /// FNV-1a over the pixels.
    static func checksum(_ image: PreviewImage) -> UInt64 {
        image.pixels.reduce(0xcbf2_9ce4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }
}

private func distance(_ a: PreviewColor, _ b: PreviewColor) -> Int {
    max(abs(Int(a.red) - Int(b.red)), abs(Int(a.green) - Int(b.green)), abs(Int(a.blue) - Int(b.blue)))
}

private func expectClose(
    _ actual: PreviewColor, _ expected: PreviewColor, tolerance: Int, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(distance(actual, expected) <= tolerance, "\(actual) is not \(expected)", sourceLocation: sourceLocation)
}
