import Foundation
import Testing
@testable import MeshInspector

@Suite("Mesh topology and UV coverage")
struct MeshTopologyTests {
    /// A unit cube of 8 vertices and 6 outward quads.
    static let cubePositions: [Float] = [0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1, 1]
    static let cubeFaces: [[UInt32]] = [[0, 3, 2, 1], [4, 5, 6, 7], [0, 1, 5, 4], [1, 2, 6, 5], [2, 3, 7, 6], [3, 0, 4, 7]]

    static func mesh(_ positions: [Float], _ faces: [[UInt32]]) -> QualityMesh {
        var mesh = QualityMesh()
        mesh.positions = positions
        mesh.faceSizes = faces.map { UInt32($0.count) }
        mesh.corners = faces.flatMap { $0 }
        return mesh
    }

    @Test("a closed cube is manifold and consistently wound")
    func cube() {
        let topology = MeshTopology.analyze(Self.mesh(Self.cubePositions, Self.cubeFaces))
        #expect(topology.faces == 6)
        #expect(topology.boundaryEdges == 0 && topology.nonManifoldEdges == 0 && topology.inconsistentWindingEdges == 0)
        #expect(topology.looseVertices == 0 && topology.zeroAreaFaces == 0 && topology.ngons == 0)
    }

    @Test("faces split at UV seams are welded by exact position")
    func welding() {
        // Every face with its own four vertices, as glTF stores a cube: welded, it is closed.
        var positions: [Float] = []
        var faces: [[UInt32]] = []
        for face in Self.cubeFaces {
            faces.append(face.indices.map { UInt32(positions.count / 3 + $0) })
            for v in face { positions += Self.cubePositions[Int(v) * 3..<Int(v) * 3 + 3] }
        }
        let topology = MeshTopology.analyze(Self.mesh(positions, faces))
        #expect(topology.boundaryEdges == 0)
        #expect(topology.nonManifoldEdges == 0)
        // -0 and 0 are the same place.
        let negativeZero = Self.mesh([0, 0, 0, -0.0, 0, 0], [])
        #expect(MeshTopology.weld(negativeZero.positions, count: 2) == [0, 0])
    }

    @Test("holes, fins, flips, loose and degenerate geometry are counted")
    func defects() {
        let open = MeshTopology.analyze(Self.mesh(Self.cubePositions, Array(Self.cubeFaces.dropFirst())))
        #expect(open.boundaryEdges == 4)
        var flippedFaces = Self.cubeFaces
        flippedFaces[0].reverse()
        #expect(MeshTopology.analyze(Self.mesh(Self.cubePositions, flippedFaces)).inconsistentWindingEdges == 4)
        // A fin on edge 0–1: three faces on it, and three open edges of its own.
        let fin = MeshTopology.analyze(Self.mesh(Self.cubePositions + [0, -1, -1, 1, -1, -1], Self.cubeFaces + [[0, 1, 9, 8]]))
        #expect(fin.nonManifoldEdges == 1)
        #expect(fin.boundaryEdges == 3)
        var loose = Self.mesh(Self.cubePositions + [5, 5, 5, 6, 6, 6, 7, 7, 7], Self.cubeFaces)
        loose.edges = [9, 10]
        let looseTopology = MeshTopology.analyze(loose)
        #expect(looseTopology.looseVertices == 1)
        #expect(looseTopology.looseEdges == 1)
        let degenerate = MeshTopology.analyze(Self.mesh([0, 0, 0, 1, 0, 0, 2, 0, 0, 0, 1, 0], [[0, 1, 2], [0, 1, 3]]))
        #expect(degenerate.zeroAreaFaces == 1)
        let pentagon = MeshTopology.analyze(Self.mesh([0, 0, 0, 1, 0, 0, 1.5, 1, 0, 0.5, 1.5, 0, -0.5, 1, 0], [[0, 1, 2, 3, 4]]))
        #expect(pentagon.ngons == 1 && pentagon.boundaryEdges == 5)
        // Only listed point vertices are candidates when the format drops unused ones (glTF).
        var points = Self.mesh(Self.cubePositions + [5, 5, 5, 6, 6, 6], Self.cubeFaces)
        points.pointVertices = [9]
        #expect(MeshTopology.analyze(points).looseVertices == 1)
    }

    @Test("faces pointing past the vertices are left out, not trapped on")
    func hostileIndices() {
        let topology = MeshTopology.analyze(Self.mesh(Self.cubePositions, [[0, 1, 99], [0, 1, 2]]))
        #expect(topology.faces == 1)
        var mesh = Self.mesh([Float.nan, 0, 0, .infinity, 0, 0, 0, 0, 0], [[0, 1, 2]])
        mesh.edges = [0, 7, 1]
        _ = MeshTopology.analyze(mesh)
    }

    @Test("UV overlap is the share of covered area used twice")
    func overlap() {
        // Two unit squares on top of each other: all the covered area is used twice.
        let square: [Float] = [0, 0, 1, 0, 1, 1, 0, 1]
        let stacked = UVCoverage.analyze(uvs: square + square, faceSizes: [4, 4])
        #expect(stacked.covered > 0 && stacked.overlapped == stacked.covered)
        // Neighbours sharing an edge do not overlap.
        let halves: [Float] = [0, 0, 0.5, 0, 0.5, 1, 0, 1, 0.5, 0, 1, 0, 1, 1, 0.5, 1]
        #expect(UVCoverage.analyze(uvs: halves, faceSizes: [4, 4]).overlapped == 0)
        // A square and a quarter of it on top: a quarter of the area is used twice.
        let quarter: [Float] = [0, 0, 0.5, 0, 0.5, 0.5, 0, 0.5]
        let partial = UVCoverage.analyze(uvs: square + quarter, faceSizes: [4, 4])
        #expect(abs(Double(partial.overlapped) / Double(partial.covered) - 0.25) < 0.01)
        // Mirrored (clockwise) faces count the same.
        let mirrored: [Float] = [0, 0, 0, 1, 1, 1, 1, 0]
        #expect(UVCoverage.analyze(uvs: square + mirrored, faceSizes: [4, 4]).overlapped > 0)
    }

    @Test("UDIM tiles are told apart from UVs that merely leave the square")
    func udim() {
        let tiles: [Float] = [0.1, 0.1, 0.9, 0.1, 0.9, 0.9, 1.1, 0.1, 1.9, 0.1, 1.9, 0.9, 2.2, 1.2, 2.8, 1.2, 2.8, 1.8]
        let tiled = UVCoverage.analyze(uvs: tiles, faceSizes: [3, 3, 3])
        #expect(tiled.outsideUnitSquare && tiled.looksLikeUDIM)
        let straddling: [Float] = [0.5, 0.1, 1.5, 0.1, 1.0, 0.9]
        let shifted = UVCoverage.analyze(uvs: straddling, faceSizes: [3])
        #expect(shifted.outsideUnitSquare && !shifted.looksLikeUDIM)
        let negative: [Float] = [-0.9, 0.1, -0.1, 0.1, -0.5, 0.9]
        #expect(!UVCoverage.analyze(uvs: negative, faceSizes: [3]).looksLikeUDIM)
        let inside: [Float] = [0, 0, 1, 0, 1, 1]
        let unit = UVCoverage.analyze(uvs: inside, faceSizes: [3])
        #expect(!unit.outsideUnitSquare && !unit.looksLikeUDIM)
    }

    @Test("huge, non-finite and many UVs stay within the work cap")
    func hostileUVs() {
        let huge: [Float] = [-1e30, -1e30, 1e30, -1e30, 1e30, 1e30, .nan, 0, 1, 1, 0, 1]
        _ = UVCoverage.analyze(uvs: huge, faceSizes: [3, 3])
        // Spans that overflow a float.
        let extreme: [Float] = [-3e38, -3e38, 3e38, -3e38, 3e38, 3e38, -3e38, 3e38]
        _ = UVCoverage.analyze(uvs: extreme, faceSizes: [4])
        _ = UVCoverage.analyze(uvs: extreme + [0, 0, 1e-30, 0, 0, 1e-30], faceSizes: [4, 3])
        // 20,000 triangles each covering the whole square: the resolution drops so the work stays bounded.
        let many: [Float] = Array(Array(repeating: [Float(0), 0, 1, 0, 0, 1], count: 20_000).joined())
        let started = Date()
        let result = UVCoverage.analyze(uvs: many, faceSizes: Array(repeating: 3, count: 20_000))
        #expect(result.overlapped == result.covered && result.covered > 0)
        #expect(Date().timeIntervalSince(started) < 20)
        // Face sizes that claim more corners than there are.
        _ = UVCoverage.analyze(uvs: [0, 0, 1, 0], faceSizes: [3, 4_000_000_000])
    }
}
