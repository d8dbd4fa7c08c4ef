import Foundation

/// Procedural meshes for `seed-demo`: the project makes its own sample files, so a fresh install shows a
/// catalogue without shipping or downloading any third-party asset.
struct DemoMesh {
    struct Part {
        var material: Int
        var positions: [SIMD3<Float>] = []
        var normals: [SIMD3<Float>] = []
        var indices: [UInt32] = []
    }

    var parts: [Part] = []
    var materials: [(name: String, color: SIMD3<Float>)] = []

    var triangleCount: Int { parts.reduce(0) { $0 + $1.indices.count / 3 } }
    var vertexCount: Int { parts.reduce(0) { $0 + $1.positions.count } }

    mutating func material(_ name: String, _ r: Float, _ g: Float, _ b: Float) -> Int {
        materials.append((name, SIMD3(r, g, b)))
        return materials.count - 1
    }

    mutating func add(_ shape: Part) {
        if let index = parts.firstIndex(where: { $0.material == shape.material }) {
            let base = UInt32(parts[index].positions.count)
            parts[index].positions += shape.positions
            parts[index].normals += shape.normals
            parts[index].indices += shape.indices.map { $0 + base }
        } else {
            parts.append(shape)
        }
    }
}

/// Shape builders, each returning one part with outward normals, counter-clockwise front faces, Y up, metres.
enum DemoShapes {
    static func box(_ material: Int, center c: SIMD3<Float>, size s: SIMD3<Float>) -> DemoMesh.Part {
        var part = DemoMesh.Part(material: material)
        let h = s / 2
        let faces: [(SIMD3<Float>, SIMD3<Float>, SIMD3<Float>)] = [
            (SIMD3(1, 0, 0), SIMD3(0, 0, -1), SIMD3(0, 1, 0)), (SIMD3(-1, 0, 0), SIMD3(0, 0, 1), SIMD3(0, 1, 0)),
            (SIMD3(0, 1, 0), SIMD3(1, 0, 0), SIMD3(0, 0, -1)), (SIMD3(0, -1, 0), SIMD3(1, 0, 0), SIMD3(0, 0, 1)),
            (SIMD3(0, 0, 1), SIMD3(1, 0, 0), SIMD3(0, 1, 0)), (SIMD3(0, 0, -1), SIMD3(-1, 0, 0), SIMD3(0, 1, 0)),
        ]
        for (normal, u, v) in faces {
            let base = UInt32(part.positions.count)
            for (a, b) in [(-1, -1), (1, -1), (1, 1), (-1, 1)] as [(Float, Float)] {
                part.positions.append(c + (normal + u * a + v * b) * h)
                part.normals.append(normal)
            }
            part.indices += [base, base + 1, base + 2, base, base + 2, base + 3]
        }
        return part
    }

    /// A surface of revolution around Y from a profile of (radius, height) points, with optional caps.
    static func lathe(_ material: Int, center c: SIMD3<Float>, profile: [(Float, Float)], segments: Int, caps: Bool = true) -> DemoMesh.Part {
        var part = DemoMesh.Part(material: material)
        for i in 0..<(profile.count - 1) {
            let (r0, y0) = profile[i], (r1, y1) = profile[i + 1]
            let slope = SIMD2<Float>(y1 - y0, -(r1 - r0))
            for s in 0..<segments {
                let a0 = Float(s) / Float(segments) * 2 * .pi, a1 = Float(s + 1) / Float(segments) * 2 * .pi
                let base = UInt32(part.positions.count)
                for (angle, r, y) in [(a0, r0, y0), (a1, r0, y0), (a1, r1, y1), (a0, r1, y1)] {
                    part.positions.append(c + SIMD3(r * cos(angle), y, -r * sin(angle)))
                    let mid = (a0 + a1) / 2
                    let n = SIMD3(slope.x * cos(mid), slope.y, -slope.x * sin(mid))
                    let length = max((n * n).sum().squareRoot(), 1e-6)
                    part.normals.append(n / length)
                }
                if r0 > 0 || r1 > 0 { part.indices += [base, base + 1, base + 2, base, base + 2, base + 3] }
            }
        }
        if caps {
            for (r, y, up) in [(profile[0].0, profile[0].1, false), (profile[profile.count - 1].0, profile[profile.count - 1].1, true)] where r > 0 {
                let centre = UInt32(part.positions.count)
                part.positions.append(c + SIMD3(0, y, 0))
                part.normals.append(SIMD3(0, up ? 1 : -1, 0))
                for s in 0...segments {
                    let angle = Float(s) / Float(segments) * 2 * .pi
                    part.positions.append(c + SIMD3(r * cos(angle), y, -r * sin(angle)))
                    part.normals.append(SIMD3(0, up ? 1 : -1, 0))
                }
                for s in 0..<UInt32(segments) {
                    part.indices += up ? [centre, centre + 1 + s, centre + 2 + s] : [centre, centre + 2 + s, centre + 1 + s]
                }
            }
        }
        return part
    }

    static func cylinder(_ material: Int, center: SIMD3<Float>, radius: Float, height: Float, segments: Int = 24) -> DemoMesh.Part {
        lathe(material, center: center, profile: [(radius, 0), (radius, height)], segments: segments)
    }

    static func cone(_ material: Int, center: SIMD3<Float>, radius: Float, height: Float, segments: Int = 24) -> DemoMesh.Part {
        lathe(material, center: center, profile: [(radius, 0), (0, height)], segments: segments)
    }

    static func sphere(_ material: Int, center: SIMD3<Float>, radius: Float, rings: Int = 16, segments: Int = 32) -> DemoMesh.Part {
        let profile = (0...rings).map { i -> (Float, Float) in
            let phi = Float(i) / Float(rings) * .pi
            return (radius * sin(phi), -radius * cos(phi))
        }
        return lathe(material, center: center, profile: profile, segments: segments, caps: false)
    }

    static func torus(_ material: Int, center: SIMD3<Float>, major: Float, minor: Float, sides: Int = 16, segments: Int = 40) -> DemoMesh.Part {
        let profile = (0...sides).map { i -> (Float, Float) in
            let theta = Float(i) / Float(sides) * 2 * .pi
            return (major - minor * cos(theta), minor * sin(theta))
        }
        return lathe(material, center: center, profile: profile, segments: segments, caps: false)
    }

    /// A lumpy rock: a sphere pushed in and out by a fixed pseudo-random field, so every seed run is identical.
    static func rock(_ material: Int, center: SIMD3<Float>, radius: Float, seed: UInt32) -> DemoMesh.Part {
        var part = sphere(material, center: .zero, radius: radius, rings: 12, segments: 20)
        for i in part.positions.indices {
            let p = part.positions[i]
            let noise = sin(p.x * 7.1 + Float(seed)) * cos(p.y * 5.3 - Float(seed) * 0.7) * sin(p.z * 6.7 + 1.3)
            part.positions[i] = center + p * (1 + 0.18 * noise)
        }
        return part
    }
}
