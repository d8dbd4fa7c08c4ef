import Foundation

/// A perspective camera looking at the model's bounding sphere from the options' azimuth and elevation, Y up,
/// then framed on the model's actual silhouette: every vertex is projected once and the picture is scaled and
/// centred so their extent fills it up to the margin. (Fitting the sphere alone leaves a flat or long model
/// small in the middle of the picture.)
struct PreviewCamera {
    let eye: SIMD3<Float>
    let right: SIMD3<Float>
    let up: SIMD3<Float>
    /// Points from the model towards the camera.
    let back: SIMD3<Float>
    /// Sample-buffer pixels per unit of the image plane at distance 1, and the plane point at the picture's centre.
    private let scale: Float
    private let centre: SIMD2<Float>
    private let halfSize: SIMD2<Float>

    /// nil when there is nothing to frame.
    init?(framing geometry: PreviewGeometry, width: Int, height: Int, options: PreviewRenderOptions) {
        guard let bounds = geometry.bounds else { return nil }
        let middle = (bounds.min + bounds.max) / 2
        var radius = ((bounds.max - bounds.min) * (bounds.max - bounds.min)).sum().squareRoot() / 2
        if !(radius > 0) || !radius.isFinite { radius = 1 }
        let degrees = Float.pi / 180
        let azimuth = options.azimuthDegrees * degrees
        let elevation = options.elevationDegrees.clamped(to: -89...89) * degrees
        back = SIMD3(sin(azimuth) * cos(elevation), sin(elevation), cos(azimuth) * cos(elevation))
        right = simdNormalize(simdCross(SIMD3(0, 1, 0), back))
        up = simdCross(back, right)

        let aspect = Float(width) / Float(height)
        let halfVertical = options.verticalFieldOfViewDegrees * degrees / 2
        let halfNarrowest = Swift.min(halfVertical, atan(tan(halfVertical) * aspect))
        // The whole sphere sits in front of the camera, so every vertex has a positive depth.
        eye = middle + back * (radius / sin(halfNarrowest))

        var low = SIMD2<Float>(repeating: .infinity)
        var high = SIMD2<Float>(repeating: -.infinity)
        let (eye, right, up, back) = (eye, right, up, back)
        geometry.positions.withUnsafeBufferPointer { values in
            var index = 0
            while index + 2 < values.count {
                let offset = SIMD3(values[index], values[index + 1], values[index + 2]) - eye
                let depth = -(offset * back).sum()
                let plane = SIMD2((offset * right).sum(), (offset * up).sum()) / depth
                low = pointwiseMin(low, plane)
                high = pointwiseMax(high, plane)
                index += 3
            }
        }
        let usable = SIMD2(Float(width), Float(height)) * (1 - 2 * options.margin)
        let extent = high - low
        let natural = Float(height) / 2 / tan(halfVertical)
        var fit = natural
        if extent.x > 1e-9 { fit = usable.x / extent.x }
        if extent.y > 1e-9 { fit = Swift.min(extent.x > 1e-9 ? fit : .infinity, usable.y / extent.y) }
        scale = fit.isFinite && fit > 0 ? fit : natural
        centre = (low + high) / 2
        halfSize = SIMD2(Float(width), Float(height)) / 2
    }

    /// Sample-buffer position (x right, y down) and inverse depth of a world point.
    @inline(__always)
    func project(_ point: SIMD3<Float>) -> (x: Float, y: Float, inverseDepth: Float) {
        let offset = point - eye
        let inverseDepth = -1 / (offset * back).sum()
        let plane = SIMD2((offset * right).sum(), (offset * up).sum()) * inverseDepth
        let screen = (plane - centre) * scale
        return (halfSize.x + screen.x, halfSize.y - screen.y, inverseDepth)
    }
}

/// The supersampled colour and depth buffers, and the triangle rasteriser that fills them.
///
/// Corners snap to 1/16 of a sample and edge functions are evaluated in 64-bit integers, so they are exact: two
/// faces sharing an edge cover every sample along it between them (no cracks), whatever the scale.
struct SampleBuffer {
    static let subpixelBits = 4
    let width: Int
    let height: Int
    private var colours: [UInt32]
    /// Inverse view depth per sample (larger is nearer), 0 where nothing is drawn.
    private var depths: [Float]

    init(width: Int, height: Int, options: PreviewRenderOptions) {
        self.width = width
        self.height = height
        colours = [UInt32](repeating: 0, count: width * height)
        depths = [Float](repeating: 0, count: width * height)
        let top = SIMD3<Float>(Float(options.backgroundTop.red), Float(options.backgroundTop.green), Float(options.backgroundTop.blue))
        let bottom = SIMD3<Float>(Float(options.backgroundBottom.red), Float(options.backgroundBottom.green), Float(options.backgroundBottom.blue))
        colours.withUnsafeMutableBufferPointer { buffer in
            for row in 0..<height {
                let share = height > 1 ? Float(row) / Float(height - 1) : 0
                let colour = (top + (bottom - top) * share).rounded(.toNearestOrEven)
                let packed = UInt32(colour.x) | UInt32(colour.y) << 8 | UInt32(colour.z) << 16
                let start = row * width
                for column in 0..<width { buffer[start + column] = packed }
            }
        }
    }

    /// Average layers of surface drawn over every sample before a render is refused: real models stay in single
    /// digits, while a hostile file stacking a million picture-sized triangles would otherwise take hours.
    static let maxDepthComplexity = 100

    mutating func draw(_ positions: UnsafeBufferPointer<Float>, camera: PreviewCamera, shader: FlatShader) throws {
        let width = self.width, height = self.height
        let budget = width * height * Self.maxDepthComplexity
        let covered = colours.withUnsafeMutableBufferPointer { colours in
            depths.withUnsafeMutableBufferPointer { depths in
                var covered = 0
                var index = 0
                while index + 8 < positions.count, covered <= budget {
                    let a = SIMD3(positions[index], positions[index + 1], positions[index + 2])
                    let b = SIMD3(positions[index + 3], positions[index + 4], positions[index + 5])
                    let c = SIMD3(positions[index + 6], positions[index + 7], positions[index + 8])
                    index += 9
                    guard let colour = shader.colour(a, b, c) else { continue }
                    covered += Self.fill(
                        camera.project(a), camera.project(b), camera.project(c), colour: colour,
                        width: width, height: height, colours: colours, depths: depths)
                }
                return covered
            }
        }
        guard covered <= budget else {
            throw MeshInspectionError(
                .limitExceeded, "The model's surfaces overlap too many times over to draw a preview in reasonable time.")
        }
    }

    private typealias Projected = (x: Float, y: Float, inverseDepth: Float)

    @inline(__always)
    private static func fixed(_ value: Float) -> Int64? {
        let scaled = (value * Float(1 << subpixelBits)).rounded()
        // Framing keeps corners inside the picture; anything far outside is a broken value, not a triangle.
        guard scaled.magnitude < 1e9 else { return nil }
        return Int64(scaled)
    }

    @inline(__always)
    private static func fill(
        _ p0: Projected, _ p1: Projected, _ p2: Projected, colour: UInt32, width: Int, height: Int,
        colours: UnsafeMutableBufferPointer<UInt32>, depths: UnsafeMutableBufferPointer<Float>
    ) -> Int {
        guard let ax = fixed(p0.x), let ay = fixed(p0.y), var bx = fixed(p1.x), var by = fixed(p1.y),
              var cx = fixed(p2.x), var cy = fixed(p2.y) else { return 0 }
        var zb = p1.inverseDepth, zc = p2.inverseDepth
        let za = p0.inverseDepth
        var area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
        guard area != 0 else { return 0 }
        if area < 0 {
            swap(&bx, &cx); swap(&by, &cy); swap(&zb, &zc)
            area = -area
        }
        let half = Int64(1 << (subpixelBits - 1))
        let shift = Int64(subpixelBits)
        // Samples whose centres (k + ½) lie within the triangle's box.
        let minColumn = Swift.max(0, Int((Swift.min(ax, bx, cx) - half + (1 << shift) - 1) >> shift))
        let maxColumn = Swift.min(width - 1, Int((Swift.max(ax, bx, cx) - half) >> shift))
        let minRow = Swift.max(0, Int((Swift.min(ay, by, cy) - half + (1 << shift) - 1) >> shift))
        let maxRow = Swift.min(height - 1, Int((Swift.max(ay, by, cy) - half) >> shift))
        guard minColumn <= maxColumn, minRow <= maxRow else { return 0 }

        // Edge functions at the first sample centre, and their steps per sample to the right and per row down.
        let px = Int64(minColumn) << shift + half
        let py = Int64(minRow) << shift + half
        var row0 = (cx - bx) * (py - by) - (cy - by) * (px - bx)
        var row1 = (ax - cx) * (py - cy) - (ay - cy) * (px - cx)
        var row2 = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
        let step0 = (by - cy) << shift, step1 = (cy - ay) << shift, step2 = (ay - by) << shift
        let down0 = (cx - bx) << shift, down1 = (ax - cx) << shift, down2 = (bx - ax) << shift

        // Inverse depth is linear in screen space: its value at the row start plus a step per sample.
        let inverseArea = 1 / Double(area)
        let depthStep = Float((Double(step0) * Double(za) + Double(step1) * Double(zb) + Double(step2) * Double(zc)) * inverseArea)
        var covered = 0
        for row in minRow...maxRow {
            // The samples of this row inside all three edges form one run, found exactly from the edge values at the
            // row start: a long thin sliver costs its covered samples, not its whole bounding box.
            var first = minColumn, last = maxColumn
            Self.clip(&first, &last, from: minColumn, value: row0, step: step0)
            Self.clip(&first, &last, from: minColumn, value: row1, step: step1)
            Self.clip(&first, &last, from: minColumn, value: row2, step: step2)
            if first <= last {
                covered += last - first + 1
                let rowDepth = Float((Double(row0) * Double(za) + Double(row1) * Double(zb) + Double(row2) * Double(zc)) * inverseArea)
                let rowStart = row * width
                for column in first...last {
                    let depth = rowDepth + depthStep * Float(column - minColumn)
                    let sample = rowStart + column
                    if depth > depths[sample] {
                        depths[sample] = depth
                        colours[sample] = colour
                    }
                }
            }
            row0 += down0; row1 += down1; row2 += down2
        }
        return covered
    }

    /// Narrows `first...last` to the columns where an edge function, `value` at column `origin` and changing by
    /// `step` per column, is not negative.
    @inline(__always)
    private static func clip(_ first: inout Int, _ last: inout Int, from origin: Int, value: Int64, step: Int64) {
        if step > 0 {
            if value < 0 { first = Swift.max(first, origin + Int((-value + step - 1) / step)) }
        } else if step < 0 {
            if value < 0 { last = origin - 1 } else { last = Swift.min(last, origin + Int(value / -step)) }
        } else if value < 0 {
            last = origin - 1
        }
    }

    /// Averages each `factor × factor` block of samples into one RGB pixel.
    func downsampled(by factor: Int) -> PreviewImage {
        let outWidth = width / factor, outHeight = height / factor
        var pixels = [UInt8](repeating: 0, count: outWidth * outHeight * 3)
        let count = UInt32(factor * factor)
        let width = self.width
        colours.withUnsafeBufferPointer { colours in
            pixels.withUnsafeMutableBufferPointer { pixels in
                for y in 0..<outHeight {
                    for x in 0..<outWidth {
                        var red: UInt32 = 0, green: UInt32 = 0, blue: UInt32 = 0
                        for dy in 0..<factor {
                            let rowStart = (y * factor + dy) * width + x * factor
                            for dx in 0..<factor {
                                let sample = colours[rowStart + dx]
                                red += sample & 0xFF
                                green += sample >> 8 & 0xFF
                                blue += sample >> 16 & 0xFF
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
