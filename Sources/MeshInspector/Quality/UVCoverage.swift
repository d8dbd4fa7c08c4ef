import Foundation

/// How a mesh's first UV map uses the UV square: whether it leaves the 0–1 square (and whether it does so as UDIM
/// tiles), and how much of the area it covers is covered twice.
///
/// Overlap is measured by point-sampling a grid laid over the UVs' box: each sample counts the faces covering it,
/// and the ratio is samples covered twice over samples covered at all. Samples sit slightly off the texel centres,
/// so a sample never lands exactly on an edge two neighbouring faces share. Work and memory are capped: the grid
/// has at most `maxSamples` texels and the triangles' boxes together at most `maxVisits` of them, the resolution
/// dropping to fit.
struct UVCoverage: Equatable {
    var outsideUnitSquare = false
    /// Every face lies within one unit tile, none left of 0 or below 0: UDIM tiling.
    var looksLikeUDIM = true
    /// Samples covered at least once and at least twice.
    var covered = 0
    var overlapped = 0

    static let texelsPerUnit = 512.0
    static let maxSamples = 1 << 22
    static let maxVisits = 1 << 26
    /// UVs this close outside the square are rounding, not layout.
    static let tolerance: Float = 1e-3

    static func analyze(uvs: [Float], faceSizes: [UInt32]) -> UVCoverage {
        var result = UVCoverage()
        let cornerCount = uvs.count / 2
        var low = SIMD2<Float>(repeating: .infinity)
        var high = SIMD2<Float>(repeating: -.infinity)
        // Σ over fan triangles of their boxes' area and half-perimeter, bounded by their face's box.
        var boxArea = 0.0, boxPerimeter = 0.0
        uvs.withUnsafeBufferPointer { uv in
            var start = 0
            for size in faceSizes {
                let n = Int(size)
                guard start + n <= cornerCount else { break }
                defer { start += n }
                guard n > 0 else { continue }
                let tile = SIMD2<Float>(uv[start * 2], uv[start * 2 + 1]).rounded(.down)
                var faceLow = SIMD2<Float>(repeating: .infinity), faceHigh = SIMD2<Float>(repeating: -.infinity)
                defer {
                    if faceLow.x.isFinite, n >= 3 {
                        let sizeU = Double(faceHigh.x) - Double(faceLow.x), sizeV = Double(faceHigh.y) - Double(faceLow.y)
                        boxArea += Double(n - 2) * sizeU * sizeV
                        boxPerimeter += Double(n - 2) * (sizeU + sizeV)
                        low = pointwiseMin(low, faceLow)
                        high = pointwiseMax(high, faceHigh)
                    }
                }
                for corner in start..<(start + n) {
                    let point = SIMD2(uv[corner * 2], uv[corner * 2 + 1])
                    guard point.x.isFinite, point.y.isFinite else { continue }
                    faceLow = pointwiseMin(faceLow, point)
                    faceHigh = pointwiseMax(faceHigh, point)
                    if point.x < -tolerance || point.y < -tolerance || point.x > 1 + tolerance || point.y > 1 + tolerance {
                        result.outsideUnitSquare = true
                    }
                    // UDIM: tiles 1001–1100 are u in 0…10, v ≥ 0, each face inside a single tile.
                    let offset = point - tile
                    if point.x < -tolerance || point.y < -tolerance || point.x > 10 + tolerance
                        || offset.x < -tolerance || offset.y < -tolerance || offset.x > 1 + tolerance || offset.y > 1 + tolerance {
                        result.looksLikeUDIM = false
                    }
                }
            }
        }
        guard low.x.isFinite, high.x > low.x, high.y > low.y else {
            result.looksLikeUDIM = result.looksLikeUDIM && result.outsideUnitSquare
            return result
        }
        if !result.outsideUnitSquare { result.looksLikeUDIM = false }

        // Resolution: texelsPerUnit, lowered until the grid and the triangles' boxes fit their caps.
        // In doubles: the span of two finite floats can overflow a float.
        let spanU = Double(high.x) - Double(low.x), spanV = Double(high.y) - Double(low.y)
        var density = min(texelsPerUnit, (Double(maxSamples) / (spanU * spanV)).squareRoot())
        boxArea += boxPerimeter / density + Double(faceSizes.count) / (density * density)
        if boxArea * density * density > Double(maxVisits) {
            density = max(1, (Double(maxVisits) / max(boxArea, 1e-30)).squareRoot() / 2)
        }
        // Clamped as doubles before any conversion to Int, which would trap on a huge or NaN value.
        func cells(_ span: Double) -> Int {
            let value = (span * density).rounded(.up)
            return value.isNaN ? 1 : Int(Swift.max(1, Swift.min(4096, value)))
        }
        let width = cells(spanU), height = cells(spanV)
        let scaleU = Double(width) / spanU, scaleV = Double(height) / spanV
        var grid = [UInt8](repeating: 0, count: width * height)
        var visits = 0
        // Off-centre by irrational-looking fractions of a texel, so shared edges never pass through a sample.
        let jitterU = 0.5 + 0.013_719, jitterV = 0.5 + 0.029_137
        uvs.withUnsafeBufferPointer { uv in
            grid.withUnsafeMutableBufferPointer { cells in
                forEachTriangle(uv, faceSizes) { a, b, c in
                    guard visits < maxVisits * 2 else { return }
                    // Texel coordinates.
                    let ax = (Double(a.x) - Double(low.x)) * scaleU, ay = (Double(a.y) - Double(low.y)) * scaleV
                    let bx = (Double(b.x) - Double(low.x)) * scaleU, by = (Double(b.y) - Double(low.y)) * scaleV
                    let cx = (Double(c.x) - Double(low.x)) * scaleU, cy = (Double(c.y) - Double(low.y)) * scaleV
                    let area = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
                    guard area != 0, area.isFinite else { return }
                    let sign: Double = area > 0 ? 1 : -1
                    // Only the texels whose sample (x + jitter) lies within the triangle's box: most triangles of a
                    // dense mesh are smaller than a texel and have none.
                    let x0 = max(0, Int((min(ax, bx, cx) - jitterU).rounded(.up)))
                    let x1 = min(width - 1, Int((max(ax, bx, cx) - jitterU).rounded(.down)))
                    let y0 = max(0, Int((min(ay, by, cy) - jitterV).rounded(.up)))
                    let y1 = min(height - 1, Int((max(ay, by, cy) - jitterV).rounded(.down)))
                    guard x0 <= x1, y0 <= y1 else { return }
                    visits += (x1 - x0 + 1) * (y1 - y0 + 1)
                    for y in y0...y1 {
                        let sy = Double(y) + jitterV
                        for x in x0...x1 {
                            let sx = Double(x) + jitterU
                            let e0 = ((bx - ax) * (sy - ay) - (by - ay) * (sx - ax)) * sign
                            let e1 = ((cx - bx) * (sy - by) - (cy - by) * (sx - bx)) * sign
                            let e2 = ((ax - cx) * (sy - cy) - (ay - cy) * (sx - cx)) * sign
                            if e0 >= 0, e1 >= 0, e2 >= 0 {
                                let index = y * width + x
                                if cells[index] < 2 { cells[index] += 1 }
                            }
                        }
                    }
                }
            }
        }
        for cell in grid where cell > 0 {
            result.covered += 1
            if cell > 1 { result.overlapped += 1 }
        }
        return result
    }

    /// Fan triangles of every face with finite UVs.
    @inline(__always)
    private static func forEachTriangle(
        _ uv: UnsafeBufferPointer<Float>, _ faceSizes: [UInt32], _ body: (SIMD2<Float>, SIMD2<Float>, SIMD2<Float>) -> Void
    ) {
        let cornerCount = uv.count / 2
        var start = 0
        for size in faceSizes {
            let n = Int(size)
            guard start + n <= cornerCount else { return }
            defer { start += n }
            guard n >= 3 else { continue }
            let a = SIMD2(uv[start * 2], uv[start * 2 + 1])
            guard a.x.isFinite, a.y.isFinite else { continue }
            for k in 1..<(n - 1) {
                let b = SIMD2(uv[(start + k) * 2], uv[(start + k) * 2 + 1])
                let c = SIMD2(uv[(start + k + 1) * 2], uv[(start + k + 1) * 2 + 1])
                guard b.x.isFinite, b.y.isFinite, c.x.isFinite, c.y.isFinite else { continue }
                body(a, b, c)
            }
        }
    }
}
