import Foundation

/// A compact description of a model's shape that does not change when the model is converted to another format,
/// its vertices or triangles are reordered, its quads are triangulated the other way, or it is moved, uniformly
/// scaled, rotated or mirrored: for finding that an upload is another creator's published model.
///
/// It is built from the area-weighted surface only (materials, UVs, names and hierarchy play no part):
/// - exact surface moments give the centroid, the RMS radius (the unit of length) and the proportions of the
///   principal axes;
/// - about 33 000 points spread evenly by area give cumulative histograms of the distance from the centroid, the
///   distance between two points, the angle at the middle of three, the angle between a point's normal and its
///   direction from the centroid, and the angle between two points' normals.
///
/// Previews of scenes over a million triangles keep every k-th triangle; that keeps the surface's statistics, so
/// such a preview fingerprints like the whole scene (see `matchThreshold`).
public struct ShapeFingerprint: Codable, Sendable, Equatable {
    /// Bump whenever the descriptor changes; fingerprints of different versions must not be compared.
    public static let version = 1

    /// `[√(λ₂/λ₁), √(λ₃/λ₁), mean radius / RMS radius]` followed by the cumulative histograms of
    /// `ShapeDistributions.blocks`; `ShapeFingerprint.valueCount` floats.
    public var values: [Float]

    public static let valueCount = 3 + ShapeDistributions.valueCount

    /// Points spread over the surface: enough that two samplings of one surface differ by well under the threshold,
    /// few enough that the sampled points, pairs and triples cost a fixed few tens of milliseconds at most; the two
    /// passes over the triangles add about 0.1 s per million on a busy two-core machine (measured by the script).
    static let sampleCount = 32_768

    /// Restores a stored fingerprint.
    public init(values: [Float]) {
        self.values = values
    }

    /// Nil when the geometry has no surface: no triangles, all of zero area, or an infinite coordinate (triangles
    /// with a NaN corner have no area and are left out).
    public init?(_ geometry: PreviewGeometry) {
        guard let moments = SurfaceMoments(geometry.positions), moments.rmsRadius > 0 else { return nil }
        let samples = SurfaceSamples(geometry.positions, moments: moments, count: Self.sampleCount)
        guard !samples.points.isEmpty else { return nil }
        let variances = moments.principalVariances
        let distributions = ShapeDistributions.measure(samples)
        values = [
            Float((variances.y / variances.x).squareRoot()), Float((variances.z / variances.x).squareRoot()),
            distributions.meanRadius,
        ] + distributions.cumulative
    }

    /// 0 for identical shapes. The sum, over the proportions and every distribution, of the mean absolute
    /// difference (each distribution's mean |Δ CDF| is its earth mover's distance as a fraction of its range).
    /// Fingerprints of different lengths (a corrupt or foreign row) are infinitely far apart.
    public func distance(to other: ShapeFingerprint) -> Float {
        guard values.count == Self.valueCount, other.values.count == Self.valueCount else { return .infinity }
        var total: Float = 0
        for index in 0..<3 { total += abs(values[index] - other.values[index]) }
        var offset = 3
        for block in ShapeDistributions.blocks {
            var sum: Float = 0
            for index in offset..<(offset + block.bins) { sum += abs(values[index] - other.values[index]) }
            total += sum / Float(block.bins)
            offset += block.bins
        }
        return total.isNaN ? .infinity : total
    }

    /// Distance at or below which two shapes are taken for the same model. From scripts/measure-fingerprints.py
    /// (Blender 3.4's exports, December 2026): 168 GLB, glTF, OBJ, FBX and BLEND copies of 33 corpus fixtures and
    /// primitives under random rotations, translations and scales (0.05–20×) lie at most 0.0034 from their
    /// original, previews of a million-triangle scene thinned to 1M, 250k and 50k triangles at most 0.0029; of the
    /// 514,605 pairs among 1,015 distinct generated models none is within 0.019. So 0.01: about three times the
    /// worst copy, half the closest distinct pair.
    ///
    /// Near-duplicates: a 2-unit cube bevelled by 0.005 still matches the cube (0.005–0.007); bevelled by 0.02
    /// (0.016–0.027), stretched by 2 % (0.032), a UV sphere re-tessellated 48×24 instead of 24×12 (0.014) or an
    /// icosphere instead (0.014), Suzanne subdivided once (0.079) or missing an ear (0.20) do not. Suzanne with every
    /// vertex jittered by ±0.5 % of its size matches (0.004); by ±2 % it is at 0.015. Mirror images always match.
    public static let matchThreshold: Float = 0.01

    /// A coarse key for shortlisting candidates before computing distances: the two proportions and the mean
    /// radius, each quantised to 16 steps, as `(p₂ · 16 + p₃) · 16 + r`, in 0..<4096.
    ///
    /// Equal shapes land on equal or *neighbouring* keys: a value near a step's edge may fall on either side, so
    /// look up `neighbouringBuckets` (up to 27 keys: each quantised value ±1), never the key alone.
    public var bucket: Int {
        let steps = bucketSteps
        return (steps.0 * Self.bucketStepCount + steps.1) * Self.bucketStepCount + steps.2
    }

    /// The keys a shape equal to this one may have: `bucket` and every key one step away in one or more of its
    /// three quantised values.
    public var neighbouringBuckets: [Int] {
        let steps = bucketSteps, last = Self.bucketStepCount - 1
        var keys: [Int] = []
        for a in max(0, steps.0 - 1)...min(last, steps.0 + 1) {
            for b in max(0, steps.1 - 1)...min(last, steps.1 + 1) {
                for c in max(0, steps.2 - 1)...min(last, steps.2 + 1) {
                    keys.append((a * Self.bucketStepCount + b) * Self.bucketStepCount + c)
                }
            }
        }
        return keys
    }

    /// Steps per quantised value: a step is 0.0625 of a proportion and 0.016 of the mean radius, far more than
    /// conversion and re-triangulation move them (at most 0.0001 in the measurement), so a copy is never more than one
    /// step away. Among the 1,015 measured models, a model's 27 neighbouring keys hold 17 % of the others.
    static let bucketStepCount = 16

    private var bucketSteps: (Int, Int, Int) {
        guard values.count >= 3 else { return (0, 0, 0) }
        func step(_ value: Float, from lower: Float, to upper: Float) -> Int {
            let position = (value - lower) / (upper - lower) * Float(Self.bucketStepCount)
            return position.isFinite ? max(0, min(Self.bucketStepCount - 1, Int(position))) : 0
        }
        // Proportions lie in 0...1. The mean radius is at most the RMS radius (a sphere's) and, for the thousand
        // generated models measured, at least 0.8 of it; lower values share the lowest step.
        return (step(values[0], from: 0, to: 1), step(values[1], from: 0, to: 1), step(values[2], from: 0.75, to: 1))
    }
}
