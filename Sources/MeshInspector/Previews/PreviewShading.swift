import Foundation

/// The geometry of a render, prepared once and shared by every view of it (the sheet draws four): corner
/// normals worked out, materials' textures turned into mip chains.
struct PreviewScene {
    let positions: [Float]
    let bounds: (min: SIMD3<Float>, max: SIMD3<Float>)?
    let fileNormals: [Float]?
    let autoSmoothDegrees: Float
    let textureCoordinates: [Float]?
    let materialIndices: [UInt32]?
    let materials: [ShadingMaterial]
    let interiorEdges: [UInt8]?

    init(_ geometry: PreviewGeometry, autoSmoothDegrees: Float) {
        positions = geometry.positions
        bounds = geometry.bounds
        fileNormals = geometry.normals
        self.autoSmoothDegrees = autoSmoothDegrees
        textureCoordinates = geometry.textureCoordinates
        materialIndices = geometry.materialIndices
        materials = geometry.materials.map(ShadingMaterial.init)
        interiorEdges = geometry.interiorEdges?.count == geometry.triangleCount ? geometry.interiorEdges : nil
    }
}

/// A material ready to sample: its colour in linear light and its texture as a chain of halved images.
struct ShadingMaterial {
    struct Level {
        let width: Int
        let height: Int
        /// RGBA, 8-bit sRGB.
        let pixels: [UInt8]
    }

    let baseColor: SIMD3<Float>
    let levels: [Level]
    let transform: (row0: SIMD3<Float>, row1: SIMD3<Float>)

    init(_ material: PreviewMaterial) {
        baseColor = material.baseColor
        transform = material.textureTransform
        guard let texture = material.texture else { levels = []; return }
        var levels = [Level(width: texture.width, height: texture.height, pixels: texture.pixels)]
        while let last = levels.last, last.width > 1 || last.height > 1 {
            levels.append(Self.halved(last))
        }
        self.levels = levels
    }

    /// A 2 × 2 box filter (1 × 2 or 2 × 1 along an axis already one pixel long).
    private static func halved(_ level: Level) -> Level {
        let width = Swift.max(1, level.width / 2), height = Swift.max(1, level.height / 2)
        var pixels = [UInt8](repeating: 0, count: width * height * 4)
        level.pixels.withUnsafeBufferPointer { source in
            for y in 0..<height {
                let y0 = Swift.min(level.height - 1, y * 2), y1 = Swift.min(level.height - 1, y * 2 + 1)
                for x in 0..<width {
                    let x0 = Swift.min(level.width - 1, x * 2), x1 = Swift.min(level.width - 1, x * 2 + 1)
                    for channel in 0..<4 {
                        let sum = Int(source[(y0 * level.width + x0) * 4 + channel]) + Int(source[(y0 * level.width + x1) * 4 + channel])
                            + Int(source[(y1 * level.width + x0) * 4 + channel]) + Int(source[(y1 * level.width + x1) * 4 + channel])
                        pixels[(y * width + x) * 4 + channel] = UInt8((sum + 2) / 4)
                    }
                }
            }
        }
        return Level(width: width, height: height, pixels: pixels)
    }

    /// Bilinear sample, repeating outside 0…1, from the level whose texels are about one per picture pixel
    /// (`lod` = log2 of texels per pixel along a side). Linear light.
    @inline(__always)
    func sample(_ u: Float, _ v: Float, lod: Float) -> SIMD3<Float> {
        let chosen = lod.isFinite ? Swift.min(levels.count - 1, Swift.max(0, Int(lod.rounded(.down)))) : 0
        let level = levels[chosen]
        let tu = transform.row0.x * u + transform.row0.y * v + transform.row0.z
        let tv = transform.row1.x * u + transform.row1.y * v + transform.row1.z
        guard tu.isFinite, tv.isFinite, tu.magnitude < 1e6, tv.magnitude < 1e6 else { return SIMD3(repeating: 1) }
        let x = (tu - tu.rounded(.down)) * Float(level.width) - 0.5
        let y = (tv - tv.rounded(.down)) * Float(level.height) - 0.5
        let fx = x - x.rounded(.down), fy = y - y.rounded(.down)
        var x0 = Int(x.rounded(.down)), y0 = Int(y.rounded(.down))
        x0 = (x0 % level.width + level.width) % level.width
        y0 = (y0 % level.height + level.height) % level.height
        let x1 = (x0 + 1) % level.width, y1 = (y0 + 1) % level.height
        return level.pixels.withUnsafeBufferPointer { pixels in
            func texel(_ x: Int, _ y: Int) -> SIMD3<Float> {
                let index = (y * level.width + x) * 4
                return SIMD3(SRGB.linearTable[Int(pixels[index])], SRGB.linearTable[Int(pixels[index + 1])], SRGB.linearTable[Int(pixels[index + 2])])
            }
            let top = texel(x0, y0) * (1 - fx) + texel(x1, y0) * fx
            let bottom = texel(x0, y1) * (1 - fx) + texel(x1, y1) * fx
            return top * (1 - fy) + bottom * fy
        }
    }
}

/// Shades one point of one triangle: the corner normals and texture coordinates interpolated (perspective
/// correct), the material's colour times its texture, lit by a neutral studio rig that turns with the camera — a
/// warm key from the upper left, a cool fill from the right, a rim from behind and above, and a soft sky/ground
/// ambient. Both sides of a face are lit alike, files rarely agree on winding. The wireframe view draws a light
/// neutral surface instead and darkens the samples near each triangle's edges.
struct SurfaceShader {
    let scene: PreviewScene
    let camera: PreviewCamera
    let normals: SmoothNormals
    let clay: SIMD3<Float>
    let wireframe: Bool
    let wire: SIMD3<Float>
    /// Samples per picture pixel along a side.
    let factor: Float
    private let key: SIMD3<Float>
    private let fill: SIMD3<Float>
    private let rim: SIMD3<Float>

    init(scene: PreviewScene, camera: PreviewCamera, normals: SmoothNormals, options: PreviewRenderOptions, wireframe: Bool) {
        self.scene = scene
        self.normals = normals
        self.camera = camera
        self.wireframe = wireframe
        factor = Float(options.supersampling)
        clay = wireframe
            ? SIMD3(repeating: 0.72)
            : SIMD3(SRGB.toLinear(options.surface.red), SRGB.toLinear(options.surface.green), SRGB.toLinear(options.surface.blue))
        wire = SIMD3(SRGB.toLinear(options.wireColor.red), SRGB.toLinear(options.wireColor.green), SRGB.toLinear(options.wireColor.blue))
        key = simdNormalize(-0.45 * camera.right + 0.8 * camera.up + 0.55 * camera.back)
        fill = simdNormalize(0.8 * camera.right + 0.1 * camera.up + 0.4 * camera.back)
        rim = simdNormalize(0.3 * camera.right + 0.55 * camera.up - 0.8 * camera.back)
    }

    /// Never asked to shade: stands in when there is no camera (nothing to draw).
    static let placeholder: SurfaceShader = {
        let scene = PreviewScene(PreviewGeometry(positions: [], sourceTriangleCount: 0), autoSmoothDegrees: 0)
        let camera = PreviewCamera(
            framing: [0, 0, 0], bounds: (SIMD3(repeating: 0), SIMD3(repeating: 0)), width: 1, height: 1,
            viewpoint: .front, verticalFieldOfViewDegrees: 30, margin: 0)!
        let normals = [Float]().withUnsafeBufferPointer {
            SmoothNormals(positions: $0, fileNormals: nil, maxAngleDegrees: 0, triangles: [])
        }
        return SurfaceShader(scene: scene, camera: camera, normals: normals, options: .standard, wireframe: false)
    }()

    /// Packed 8-bit sRGB of triangle `triangle` at sample-buffer point (`x`, `y`).
    @inline(__always)
    func shade(_ triangle: Int, _ x: Float, _ y: Float) -> UInt32 {
        let base = triangle * 9
        let a = scene.positions.withUnsafeBufferPointer { SIMD3($0[base], $0[base + 1], $0[base + 2]) }
        let b = scene.positions.withUnsafeBufferPointer { SIMD3($0[base + 3], $0[base + 4], $0[base + 5]) }
        let c = scene.positions.withUnsafeBufferPointer { SIMD3($0[base + 6], $0[base + 7], $0[base + 8]) }
        let p0 = camera.project(a), p1 = camera.project(b), p2 = camera.project(c)
        let doubleArea = (p1.x - p0.x) * (p2.y - p0.y) - (p2.x - p0.x) * (p1.y - p0.y)
        var s1: Float = 1.0 / 3, s2: Float = 1.0 / 3
        if doubleArea != 0, doubleArea.isFinite {
            s1 = ((x - p0.x) * (p2.y - p0.y) - (p2.x - p0.x) * (y - p0.y)) / doubleArea
            s2 = ((p1.x - p0.x) * (y - p0.y) - (x - p0.x) * (p1.y - p0.y)) / doubleArea
        }
        s1 = s1.clamped(to: 0...1); s2 = s2.clamped(to: 0...(1 - s1))
        let s0 = 1 - s1 - s2
        // Perspective-correct weights for the attributes; screen weights (s) for the edge distances.
        var w0 = s0, w1 = s1, w2 = s2
        if !camera.orthographic {
            w0 *= p0.inverseDepth; w1 *= p1.inverseDepth; w2 *= p2.inverseDepth
            let sum = w0 + w1 + w2
            if sum > 0, sum.isFinite { w0 /= sum; w1 /= sum; w2 /= sum } else { w0 = s0; w1 = s1; w2 = s2 }
        }

        var geometric = simdNormalize(simdCross(b - a, c - a))
        if (geometric * camera.towardsEye(from: a)).sum() < 0 { geometric = -geometric }
        var normal = geometric
        if let (n0, n1, n2) = normals.corners(of: triangle) { normal = simdNormalize(n0 * w0 + n1 * w1 + n2 * w2) }
        if (normal * geometric).sum() < 0 { normal = -normal }
        if normal == .zero { normal = geometric }

        var albedo = clay
        if !wireframe {
            let material = scene.materialIndices.map { Int($0[triangle]) } ?? -1
            if material >= 0, material < scene.materials.count {
                albedo = scene.materials[material].baseColor
                if !scene.materials[material].levels.isEmpty, let coordinates = scene.textureCoordinates {
                    let surface = scene.materials[material]
                    let t = triangle * 6
                    let (u0, v0, u1, v1, u2, v2) = coordinates.withUnsafeBufferPointer {
                        ($0[t], $0[t + 1], $0[t + 2], $0[t + 3], $0[t + 4], $0[t + 5])
                    }
                    if u0.isFinite {
                        let u = u0 * w0 + u1 * w1 + u2 * w2, v = v0 * w0 + v1 * w1 + v2 * w2
                        // Texels per picture pixel, from the triangle's texture area over its picture area.
                        let level = surface.levels[0]
                        let texelArea = abs((u1 - u0) * (v2 - v0) - (u2 - u0) * (v1 - v0)) * Float(level.width * level.height)
                        let pixelArea = abs(doubleArea) / (factor * factor)
                        let lod = 0.5 * log2(Swift.max(texelArea, 1e-12) / Swift.max(pixelArea, 1e-12))
                        albedo *= surface.sample(u, v, lod: lod)
                    }
                }
            }
        }

        let sky = 0.5 + 0.5 * normal.y
        var light = SIMD3<Float>(repeating: 0.14 + 0.12 * sky)
        light += SIMD3(1.0, 0.97, 0.92) * (0.72 * Swift.max(0, (normal * key).sum()))
        light += SIMD3(0.93, 0.96, 1.0) * (0.28 * Swift.max(0, (normal * fill).sum()))
        light += SIMD3(repeating: 0.3 * Swift.max(0, (normal * rim).sum()))
        // The wireframe's surface only carries the lines: lit softly, so it stays light on every side.
        var linear = wireframe ? albedo * (0.55 + 0.45 * light) : albedo * light

        if wireframe {
            // Distance in picture pixels to the nearest edge: a barycentric weight is the distance to the opposite
            // edge over the triangle's height there.
            func edgeDistance(_ weight: Float, _ from: (x: Float, y: Float, inverseDepth: Float), _ to: (x: Float, y: Float, inverseDepth: Float)) -> Float {
                let length = ((to.x - from.x) * (to.x - from.x) + (to.y - from.y) * (to.y - from.y)).squareRoot()
                return length > 0 ? weight * abs(doubleArea) / length / factor : .infinity
            }
            // Edges inside a split polygon are not drawn: bit 0 is corner 0→1 (opposite corner 2), bit 1 is 1→2
            // (opposite 0), bit 2 is 2→0 (opposite 1).
            let interior = scene.interiorEdges.map { Int($0[triangle]) } ?? 0
            let distance = Swift.min(
                interior & 2 == 0 ? edgeDistance(s0, p1, p2) : .infinity,
                interior & 4 == 0 ? edgeDistance(s1, p2, p0) : .infinity,
                interior & 1 == 0 ? edgeDistance(s2, p0, p1) : .infinity)
            let coverage = (0.9 - distance).clamped(to: 0...1)
            linear = linear * (1 - coverage) + wire * coverage
        }
        return SRGB.packed(linear)
    }
}

/// Turns a visibility buffer into the picture: each pixel whose samples all show one triangle is shaded once at
/// its centre; an edge pixel shades each triangle it shows once, at the centre of that triangle's samples, and
/// averages them with the background by sample count.
enum PreviewResolve {
    static func image(
        _ buffer: SampleBuffer, factor: Int, shader optionalShader: SurfaceShader?, options: PreviewRenderOptions
    ) -> PreviewImage {
        // Unwrapped once: binding an optional struct of arrays per pixel would retain and release each array.
        let hasShader = optionalShader != nil
        let shader = optionalShader ?? SurfaceShader.placeholder
        let outWidth = buffer.width / factor, outHeight = buffer.height / factor
        var pixels = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
        let top = SIMD3<Float>(Float(options.backgroundTop.red), Float(options.backgroundTop.green), Float(options.backgroundTop.blue))
        let bottom = SIMD3<Float>(Float(options.backgroundBottom.red), Float(options.backgroundBottom.green), Float(options.backgroundBottom.blue))
        let background: [UInt32] = (0..<buffer.height).map { row in
            let share = buffer.height > 1 ? Float(row) / Float(buffer.height - 1) : 0
            let colour = (top + (bottom - top) * share).rounded(.toNearestOrEven)
            return UInt32(colour.x) | UInt32(colour.y) << 8 | UInt32(colour.z) << 16
        }
        let count = UInt32(factor * factor)
        let width = buffer.width
        let half = Float(factor) / 2
        buffer.triangles.withUnsafeBufferPointer { ids in
            pixels.withUnsafeMutableBufferPointer { pixels in
                // Distinct triangles of one pixel: ids, sample counts and summed sample positions.
                var seen = [UInt32](repeating: 0, count: factor * factor)
                var seenCount = [UInt32](repeating: 0, count: factor * factor)
                var seenX = [Float](repeating: 0, count: factor * factor)
                var seenY = [Float](repeating: 0, count: factor * factor)
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        let first = ids[y * factor * width + x * factor]
                        var uniform = true
                        for dy in 0..<factor where uniform {
                            let rowStart = (y * factor + dy) * width + x * factor
                            for dx in 0..<factor where ids[rowStart + dx] != first { uniform = false; break }
                        }
                        var red: UInt32 = 0, green: UInt32 = 0, blue: UInt32 = 0
                        if uniform, first != SampleBuffer.empty, hasShader {
                            let colour = shader.shade(Int(first), Float(x * factor) + half, Float(y * factor) + half)
                            red = (colour & 0xFF) * count; green = (colour >> 8 & 0xFF) * count; blue = (colour >> 16 & 0xFF) * count
                        } else {
                            var distinct = 0
                            for dy in 0..<factor {
                                let row = y * factor + dy
                                let rowStart = row * width + x * factor
                                for dx in 0..<factor {
                                    let id = ids[rowStart + dx]
                                    if id == SampleBuffer.empty || !hasShader {
                                        let colour = background[row]
                                        red += colour & 0xFF; green += colour >> 8 & 0xFF; blue += colour >> 16 & 0xFF
                                        continue
                                    }
                                    var slot = 0
                                    while slot < distinct, seen[slot] != id { slot += 1 }
                                    if slot == distinct {
                                        seen[slot] = id; seenCount[slot] = 0; seenX[slot] = 0; seenY[slot] = 0
                                        distinct += 1
                                    }
                                    seenCount[slot] += 1
                                    seenX[slot] += Float(x * factor + dx) + 0.5
                                    seenY[slot] += Float(row) + 0.5
                                }
                            }
                            if hasShader {
                                for slot in 0..<distinct {
                                    let samples = Float(seenCount[slot])
                                    let colour = shader.shade(Int(seen[slot]), seenX[slot] / samples, seenY[slot] / samples)
                                    red += (colour & 0xFF) * seenCount[slot]
                                    green += (colour >> 8 & 0xFF) * seenCount[slot]
                                    blue += (colour >> 16 & 0xFF) * seenCount[slot]
                                }
                            }
                        }
                        let out = (y * outWidth + x) * 3
                        pixels[out] = UInt8((red + count / 2) / count)
                        pixels[out + 1] = UInt8((green + count / 2) / count)
                        pixels[out + 2] = UInt8((blue + count / 2) / count)
                    }
                }
            }
        }
        return PreviewImage(width: outWidth, height: outHeight, pixels: pixels)
    }
}
