import Foundation

/// The exact area, centroid and second moments of a triangle soup's surface (every point of every triangle weighted
/// by area), and from them its size and proportions. These are integrals over the surface, not samples, so they do
/// not depend on how the surface is cut into triangles, on the order of the triangles or on their corners' order.
struct SurfaceMoments {
    var area: Double
    var centroid: SIMD3<Double>
    /// Eigenvalues of the surface's covariance, largest first (the variances along its principal axes).
    var principalVariances: SIMD3<Double>

    /// Root-mean-square distance of the surface from its centroid: the size every distance is divided by.
    var rmsRadius: Double { principalVariances.sum().squareRoot() }

    /// Nil when the soup has no area (no triangles, all degenerate) or a coordinate is not finite.
    init?(_ positions: [Float]) {
        guard positions.count >= 9 else { return nil }
        // Moments are taken about the first corner, not the origin: a model placed far from the origin would
        // otherwise lose its covariance to cancellation.
        let origin = SIMD3<Double>(Double(positions[0]), Double(positions[1]), Double(positions[2]))
        var area = 0.0
        var first = SIMD3<Double>()
        // ∫ x xᵀ dA, upper triangle: xx, yy, zz, xy, xz, yz.
        var diagonal = SIMD3<Double>()
        var offDiagonal = SIMD3<Double>()
        positions.withUnsafeBufferPointer { values in
            var index = 0
            while index + 8 < values.count {
                let a = SIMD3<Double>(Double(values[index]), Double(values[index + 1]), Double(values[index + 2])) - origin
                let b = SIMD3<Double>(Double(values[index + 3]), Double(values[index + 4]), Double(values[index + 5])) - origin
                let c = SIMD3<Double>(Double(values[index + 6]), Double(values[index + 7]), Double(values[index + 8])) - origin
                index += 9
                let doubleArea = SurfaceVector.length(SurfaceVector.cross(b - a, c - a))
                guard doubleArea > 0 else { continue }
                let weight = doubleArea / 2
                let sum = a + b + c
                area += weight
                first += weight / 3 * sum
                // Over a triangle, E[x xᵀ] = (a aᵀ + b bᵀ + c cᵀ + s sᵀ) / 12 with s = a + b + c.
                let scale = weight / 12
                let squares: SIMD3<Double> = a * a + b * b + c * c + sum * sum
                diagonal += scale * squares
                offDiagonal += scale * (Self.crossTerms(a) + Self.crossTerms(b) + Self.crossTerms(c) + Self.crossTerms(sum))
            }
        }
        guard area > 0, area.isFinite, diagonal.sum().isFinite, offDiagonal.sum().isFinite else { return nil }
        let mean = first / area
        let variances = diagonal / area - mean * mean
        let covariances = offDiagonal / area - Self.crossTerms(mean)
        let eigenvalues = Self.symmetricEigenvalues(diagonal: variances, offDiagonal: covariances)
        guard eigenvalues.x > 0, eigenvalues.sum().isFinite else { return nil }
        self.area = area
        self.centroid = mean + origin
        self.principalVariances = eigenvalues
    }

    /// (xy, xz, yz): the upper off-diagonal of v vᵀ.
    @inline(__always)
    static func crossTerms(_ v: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(v.x, v.x, v.y) * SIMD3(v.y, v.z, v.z)
    }

    /// Eigenvalues of the symmetric matrix [[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]], largest first, clamped at 0:
    /// the closed trigonometric form, no iteration.
    static func symmetricEigenvalues(diagonal d: SIMD3<Double>, offDiagonal o: SIMD3<Double>) -> SIMD3<Double> {
        let offNorm = o.x * o.x + o.y * o.y + o.z * o.z
        var values: [Double]
        if offNorm <= 1e-30 * max(1e-300, (d * d).sum()) {
            values = [d.x, d.y, d.z]
        } else {
            let q = d.sum() / 3
            let shifted = d - q
            let p = ((shifted * shifted).sum() + 2 * offNorm).squareRoot() / 6.0.squareRoot()
            // B = (A − qI) / p; its determinant / 2 is cos 3φ.
            let b = shifted / p, e = o / p
            let determinant = b.x * (b.y * b.z - e.z * e.z) - e.x * (e.x * b.z - e.z * e.y) + e.y * (e.x * e.z - b.y * e.y)
            let r = max(-1, min(1, determinant / 2))
            let phi = acos(r) / 3
            let largest = q + 2 * p * cos(phi)
            let smallest = q + 2 * p * cos(phi + 2 * Double.pi / 3)
            values = [largest, 3 * q - largest - smallest, smallest]
        }
        values.sort(by: >)
        return SIMD3(max(0, values[0]), max(0, values[1]), max(0, values[2]))
    }
}
