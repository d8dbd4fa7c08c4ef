import Foundation

/// Rotation-invariant distributions of a sampled surface (points already centred and divided by the RMS radius),
/// each kept as a cumulative histogram so that comparing two is an earth mover's distance in one dimension: a
/// distribution shifted by a fraction of a bin moves the distance by that fraction, not by a whole bin's mass.
///
/// Pairs and triples of points are drawn with a fixed-seed generator: which points meet does not matter, only that
/// enough of them do, and a fixed seed keeps the fingerprint a pure function of the triangles.
struct ShapeDistributions {
    /// One distribution: its name (for reports), its range and its number of bins.
    struct Block: Sendable {
        var name: String
        var lower: Float
        var upper: Float
        var bins: Int
    }

    /// Distance of a point from the centroid.
    static let radius = Block(name: "radius", lower: 0, upper: 3, bins: 32)
    /// Distance between two points (Osada's D2).
    static let pairDistance = Block(name: "pairDistance", lower: 0, upper: 5, bins: 32)
    /// |cos| of the angle between a point's normal and its direction from the centroid: spheres say 1, flat parts
    /// seen edge-on say 0. Absolute, so flipped normals or winding do not matter.
    static let normalToRadius = Block(name: "normalToRadius", lower: 0, upper: 1, bins: 16)
    /// |cos| of the angle between two points' normals: a box has only 0 and 1, a sphere every value equally.
    static let normalToNormal = Block(name: "normalToNormal", lower: 0, upper: 1, bins: 16)
    /// The angle at the middle one of three points (Osada's A3), in radians.
    static let angle = Block(name: "angle", lower: 0, upper: .pi, bins: 16)

    static let blocks = [radius, pairDistance, normalToRadius, normalToNormal, angle]
    static var valueCount: Int { blocks.reduce(0) { $0 + $1.bins } }

    static let pairCount = 262_144
    static let tripleCount = 131_072

    /// The blocks' cumulative histograms, concatenated in `blocks` order, plus the mean radius.
    static func measure(_ samples: SurfaceSamples) -> (cumulative: [Float], meanRadius: Float) {
        // Coordinates apart and scalar arithmetic in the loops: as fast as SIMD3 in a release build, and many times
        // faster in a debug one, where the test suite runs.
        let px = samples.points.map(\.x), py = samples.points.map(\.y), pz = samples.points.map(\.z)
        let nx = samples.normals.map(\.x), ny = samples.normals.map(\.y), nz = samples.normals.map(\.z)
        var radii = [Float](repeating: 0, count: px.count), towardsCentre = radii
        var histograms = blocks.map { [Double](repeating: 0, count: $0.bins) }
        var radiusSum = 0.0
        for index in px.indices {
            let r = (px[index] * px[index] + py[index] * py[index] + pz[index] * pz[index]).squareRoot()
            radii[index] = r
            radiusSum += Double(r)
            let along = px[index] * nx[index] + py[index] * ny[index] + pz[index] * nz[index]
            towardsCentre[index] = r > 1e-6 ? abs(along) / r : 0
        }
        add(radii, to: &histograms[0], radius)
        add(towardsCentre, to: &histograms[2], normalToRadius)

        var generator = SplitMix64(seed: 0x5EED_F1A6_E4D2_0001)
        let count = UInt64(px.count)
        // An index in 0..<count from the high half of a 128-bit product: no division, and no bias worth a thought.
        func pick() -> Int { Int(generator.next().multipliedFullWidth(by: count).high) }
        px.withUnsafeBufferPointer { px in
            py.withUnsafeBufferPointer { py in
                pz.withUnsafeBufferPointer { pz in
                    nx.withUnsafeBufferPointer { nx in
                        ny.withUnsafeBufferPointer { ny in
                            nz.withUnsafeBufferPointer { nz in
                                if count >= 2 {
                                    var distances = [Float](repeating: 0, count: pairCount)
                                    var normalPairs = distances
                                    for pair in 0..<pairCount {
                                        let i = pick(), j = pick()
                                        let dx = px[i] - px[j], dy = py[i] - py[j], dz = pz[i] - pz[j]
                                        distances[pair] = (dx * dx + dy * dy + dz * dz).squareRoot()
                                        normalPairs[pair] = abs(nx[i] * nx[j] + ny[i] * ny[j] + nz[i] * nz[j])
                                    }
                                    add(distances, to: &histograms[1], pairDistance)
                                    add(normalPairs, to: &histograms[3], normalToNormal)
                                }
                                if count >= 3 {
                                    var angles: [Float] = []
                                    angles.reserveCapacity(tripleCount)
                                    for _ in 0..<tripleCount {
                                        let i = pick(), j = pick(), k = pick()
                                        let ux = px[i] - px[j], uy = py[i] - py[j], uz = pz[i] - pz[j]
                                        let vx = px[k] - px[j], vy = py[k] - py[j], vz = pz[k] - pz[j]
                                        let lengths = ((ux * ux + uy * uy + uz * uz) * (vx * vx + vy * vy + vz * vz)).squareRoot()
                                        guard lengths > 1e-12 else { continue }
                                        angles.append(acos(max(-1, min(1, (ux * vx + uy * vy + uz * vz) / lengths))))
                                    }
                                    add(angles, to: &histograms[4], angle)
                                }
                            }
                        }
                    }
                }
            }
        }
        var cumulative: [Float] = []
        cumulative.reserveCapacity(valueCount)
        for histogram in histograms {
            let total = histogram.reduce(0, +)
            var running = 0.0
            for value in histogram {
                running += value
                cumulative.append(total > 0 ? Float(running / total) : 0)
            }
        }
        return (cumulative, px.isEmpty ? 0 : Float(radiusSum / Double(px.count)))
    }

    /// Splits each value between its two nearest bin centres (linear binning), so a value near a bin edge does not
    /// jump from one bin to the next when the sampling jitters it.
    private static func add(_ values: [Float], to histogram: inout [Double], _ block: Block) {
        let scale = Float(block.bins) / (block.upper - block.lower)
        let last = Float(block.bins - 1)
        histogram.withUnsafeMutableBufferPointer { bins in
            for value in values {
                let position = (value - block.lower) * scale - 0.5
                guard position.isFinite else { continue }
                let clamped = max(0, min(last, position))
                let low = Int(clamped)
                let fraction = Double(clamped - Float(low))
                bins[low] += 1 - fraction
                if low + 1 < bins.count { bins[low + 1] += fraction }
            }
        }
    }
}

/// Sebastiano Vigna's SplitMix64: a tiny, fast generator whose only job here is a fixed, portable sequence.
struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
