import Foundation

/// The supersampled visibility buffer — which triangle is nearest at each sample, and its depth — and the
/// triangle rasteriser that fills it. Shading happens afterwards, once per pixel (see `PreviewShading`), so a
/// million triangles cost their coverage, not a million shader runs.
///
/// Corners snap to 1/16 of a sample and edge functions are evaluated in 64-bit integers, so they are exact: two
/// faces sharing an edge cover every sample along it between them (no cracks), whatever the scale.
struct SampleBuffer {
    static let subpixelBits = 4
    static let empty = UInt32.max
    let width: Int
    let height: Int
    /// Index of the nearest triangle per sample, `empty` where nothing is drawn.
    private(set) var triangles: [UInt32]
    /// Depth key per sample (larger is nearer), 0 where nothing is drawn.
    private var depths: [Float]

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
        triangles = [UInt32](repeating: Self.empty, count: width * height)
        depths = [Float](repeating: 0, count: width * height)
    }

    /// The triangles that cover at least one sample, in increasing order.
    func visibleTriangles(count: Int) -> [Int32] {
        var shown = [Bool](repeating: false, count: count)
        for id in triangles where id != Self.empty && Int(id) < count { shown[Int(id)] = true }
        var list: [Int32] = []
        for (triangle, isShown) in shown.enumerated() where isShown { list.append(Int32(truncatingIfNeeded: triangle)) }
        return list
    }

    /// Average layers of surface drawn over every sample before a render is refused: real models stay in single
    /// digits, while a hostile file stacking a million picture-sized triangles would otherwise take hours.
    static let maxDepthComplexity = 100

    mutating func draw(_ positions: UnsafeBufferPointer<Float>, camera: PreviewCamera) throws {
        let width = self.width, height = self.height
        let budget = width * height * Self.maxDepthComplexity
        let covered = triangles.withUnsafeMutableBufferPointer { triangles in
            depths.withUnsafeMutableBufferPointer { depths in
                var covered = 0
                var index = 0
                var triangle: UInt32 = 0
                while index + 8 < positions.count, covered <= budget {
                    let a = SIMD3(positions[index], positions[index + 1], positions[index + 2])
                    let b = SIMD3(positions[index + 3], positions[index + 4], positions[index + 5])
                    let c = SIMD3(positions[index + 6], positions[index + 7], positions[index + 8])
                    index += 9
                    covered += Self.fill(
                        camera.project(a), camera.project(b), camera.project(c), id: triangle,
                        width: width, height: height, triangles: triangles, depths: depths)
                    triangle &+= 1
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
        _ p0: Projected, _ p1: Projected, _ p2: Projected, id: UInt32, width: Int, height: Int,
        triangles: UnsafeMutableBufferPointer<UInt32>, depths: UnsafeMutableBufferPointer<Float>
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
                        triangles[sample] = id
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
}
