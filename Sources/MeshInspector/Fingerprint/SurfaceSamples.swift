import Foundation

/// Points spread evenly over a triangle soup's surface by area, each with its triangle's unit normal, placed
/// relative to the surface's centroid and divided by its RMS radius (so translation and uniform scale are gone).
///
/// Sampling is systematic, not random: the surface is laid out triangle after triangle along one line of total
/// length `area`, and a point is taken every `area / count`. A triangle gets as many points as its share of the area
/// (± 1), wherever it comes in the list, and the points inside a triangle follow a low-discrepancy sequence, so two
/// triangulations or orderings of one surface give point sets that differ only by a small, even jitter. No random
/// numbers and no seed: the same triangles give the same points on every machine.
struct SurfaceSamples {
    var points: [SIMD3<Float>]
    var normals: [SIMD3<Float>]

    init(_ positions: [Float], moments: SurfaceMoments, count: Int) {
        points = []
        normals = []
        points.reserveCapacity(count + 1)
        normals.reserveCapacity(count + 1)
        let spacing = moments.area / Double(count)
        let centre = moments.centroid
        let scale = 1 / moments.rmsRadius
        // R2 sequence (Roberts): the plastic number's inverse powers give the best-spread 2-D Kronecker sequence.
        let stepU = 0.7548776662466927, stepV = 0.5698402909980532
        var next = spacing / 2
        var walked = 0.0
        var taken = 0
        positions.withUnsafeBufferPointer { values in
            var index = 0
            while index + 8 < values.count, taken < count {
                let a = SIMD3<Double>(Double(values[index]), Double(values[index + 1]), Double(values[index + 2]))
                let b = SIMD3<Double>(Double(values[index + 3]), Double(values[index + 4]), Double(values[index + 5]))
                let c = SIMD3<Double>(Double(values[index + 6]), Double(values[index + 7]), Double(values[index + 8]))
                index += 9
                let edgeB = b - a, edgeC = c - a
                let normal = SurfaceVector.cross(edgeB, edgeC)
                let doubleArea = SurfaceVector.length(normal)
                guard doubleArea > 0 else { continue }
                walked += doubleArea / 2
                guard next < walked else { continue }
                let unitNormal = SIMD3<Float>(normal / doubleArea)
                let base = (a - centre) * scale
                let spanB = edgeB * scale, spanC = edgeC * scale
                while next < walked, taken < count {
                    var u = (0.5 + stepU * Double(taken)).truncatingRemainder(dividingBy: 1)
                    var v = (0.5 + stepV * Double(taken)).truncatingRemainder(dividingBy: 1)
                    if u + v > 1 { u = 1 - u; v = 1 - v }
                    points.append(SIMD3<Float>(base + u * spanB + v * spanC))
                    normals.append(unitNormal)
                    taken += 1
                    next += spacing
                }
            }
        }
    }
}
