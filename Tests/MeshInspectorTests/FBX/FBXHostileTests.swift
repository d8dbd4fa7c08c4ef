import Foundation
import Testing
@testable import MeshInspector

/// Damaged and malicious FBX files, binary and ASCII: each must end in a `MeshInspectionError` with a reason.
@Suite struct FBXHostileTests {
    let writer = FBXTestWriter()

    func expectFailure(_ kind: MeshInspectionError.Kind, binary bytes: [UInt8], limits: InspectionLimits = .standard,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        check(kind, sourceLocation) { try FBXReader.inspectBinary(Data(bytes), limits: limits) }
    }

    func expectFailure(_ kind: MeshInspectionError.Kind, ascii text: String, limits: InspectionLimits = .standard,
                       sourceLocation: SourceLocation = #_sourceLocation) {
        check(kind, sourceLocation) { try FBXReader.inspectASCII(Data(text.utf8), limits: limits) }
    }

    private func check(_ kind: MeshInspectionError.Kind, _ sourceLocation: SourceLocation, _ body: () throws -> MeshReport) {
        do {
            let report = try body()
            Issue.record("expected \(kind), got \(report)", sourceLocation: sourceLocation)
        } catch let error as MeshInspectionError {
            #expect(error.kind == kind, "\(error.reason)", sourceLocation: sourceLocation)
            #expect(!error.reason.isEmpty, sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func writerProducesAReadableScene() throws {
        let report = try FBXReader.inspectBinary(Data(writer.triangleScene()), limits: .standard)
        #expect(report.vertexCount == 3)
        #expect(report.triangleCount == 1)
        #expect(report.boundingBox == BoundingBox(min: [0, 0, 0], max: [1, 1, 0]))
    }

    @Test func truncatedFiles() throws {
        let file = Array(try FBXBlendExpectation.data(directory: "fbx", name: "cube.fbx"))
        for cut in [0, 10, 27, 30, 40, file.count / 4, file.count / 2, file.count - 200] {
            #expect(throws: MeshInspectionError.self, "cut at \(cut)") {
                try FBXReader.inspectBinary(Data(file.prefix(cut)), limits: .standard)
            }
        }
        // Cut exactly between two top-level nodes: the closing sentinel is missing.
        let scene = writer.triangleScene()
        let firstNodeEnd = Int(scene[27]) | Int(scene[28]) << 8 | Int(scene[29]) << 16
        expectFailure(.truncated, binary: Array(scene.prefix(firstNodeEnd)))
    }

    @Test func offsetsOutsideTheirParent() {
        var scene = writer.triangleScene()
        scene.replaceSubrange(27..<31, with: [0xff, 0xff, 0xff, 0x7f])
        expectFailure(.truncated, binary: scene)
        var backwards = writer.triangleScene()
        backwards.replaceSubrange(27..<31, with: [20, 0, 0, 0])
        expectFailure(.malformed, binary: backwards)
    }

    @Test func deepNesting() {
        // 10,000 levels, built from the inside out without recursion.
        let depth = 10_000
        let record = 14  // 13-byte header + one-letter name
        var body: [UInt8] = []
        for level in stride(from: depth - 1, through: 0, by: -1) {
            let start = 27 + level * record
            let hasChildren = !body.isEmpty
            let end = start + record + body.count + (hasChildren ? 13 : 0)
            body = writer.recordHeader(end: end, propertyCount: 0, propertyBytes: 0, nameLength: 1) + [UInt8(ascii: "A")]
                + body + (hasChildren ? [UInt8](repeating: 0, count: 13) : [])
        }
        let file = FBXTestWriter.magic + writer.le(UInt32(7400)) + body + [UInt8](repeating: 0, count: 13)
        expectFailure(.limitExceeded, binary: file)

        let ascii = "; FBX 7.4.0 project file\n" + String(repeating: "A: {\n", count: depth) + String(repeating: "}\n", count: depth)
        expectFailure(.limitExceeded, ascii: ascii)
    }

    @Test func arraysThatLie() {
        // Two billion elements declared over 16 bytes.
        expectFailure(.limitExceeded, binary: writer.triangleScene(
            vertices: .array(type: "d", declaredCount: 2_000_000_000, encoding: 1, payload: [UInt8](repeating: 0, count: 16))))
        // Within the limits, but far more than 16 compressed bytes can inflate to.
        expectFailure(.malformed, binary: writer.triangleScene(
            vertices: .array(type: "d", declaredCount: 10_000_000, encoding: 1, payload: [UInt8](repeating: 0, count: 16))))
        // Raw arrays must hold exactly count × size bytes.
        expectFailure(.malformed, binary: writer.triangleScene(
            vertices: .array(type: "d", declaredCount: 9, encoding: 0, payload: [UInt8](repeating: 0, count: 40))))
        // Unknown encoding, corrupt zlib, and zlib that inflates to more than declared.
        expectFailure(.malformed, binary: writer.triangleScene(
            vertices: .array(type: "d", declaredCount: 9, encoding: 7, payload: [UInt8](repeating: 0, count: 72))))
        expectFailure(.malformed, binary: writer.triangleScene(
            vertices: .array(type: "d", declaredCount: 9, encoding: 1, payload: [0x78, 0x9c] + [UInt8](repeating: 0xAB, count: 30))))
        let bigger = BlendCompressionTests.zlib([UInt8](repeating: 0, count: 200))
        expectFailure(.malformed, binary: writer.triangleScene(
            vertices: .array(type: "d", declaredCount: 9, encoding: 1, payload: bigger)))
        // A declared size over the inflation limit is refused before inflating.
        var limits = InspectionLimits()
        limits.maxInflatedBytes = 1 << 20
        let bomb = BlendCompressionTests.zlib([UInt8](repeating: 0, count: 4 << 20))
        expectFailure(.limitExceeded, binary: writer.triangleScene(
            vertices: .array(type: "d", declaredCount: UInt32((4 << 20) / 8), encoding: 1, payload: bomb)), limits: limits)
    }

    @Test func unknownPropertyTypeAndOldVersions() {
        expectFailure(.malformed, binary: writer.file([FBXTestWriter.Node(name: "X", properties: [.raw(type: "Z", bytes: [1, 2, 3, 4])])]))
        var old = writer
        old.version = 6100
        expectFailure(.unsupported, binary: old.triangleScene())
        expectFailure(.unsupported, ascii: "FBXHeaderExtension:  {\n\tFBXVersion: 6100\n}\nObjects: {\n}\n")
    }

    @Test func badPolygonsAreDroppedNotTrusted() throws {
        // Corners past the vertex array, a repeated vertex and an unterminated tail: Blender's validation drops
        // the first two; the tail is not a polygon at all.
        let report = try FBXReader.inspectBinary(Data(writer.triangleScene(polygons: .ints([0, 1, -3, 0, 1, -100, 0, 0, -2, 0, 1]))), limits: .standard)
        #expect(report.polygonCount == 1)
        #expect(report.triangleCount == 1)
        #expect(report.warnings.count == 2)
    }

    @Test func manyInstancesStayBounded() throws {
        // One geometry under 3,000 models: counted once, placed 3,000 times.
        var connections: [FBXTestWriter.Node] = []
        var models: [FBXTestWriter.Node] = []
        for i in 0..<3000 {
            let id = Int64(1000 + i)
            models.append(FBXTestWriter.Node(name: "Model", properties: [.int64(id), .string("M\0\u{1}Model"), .string("Mesh")], children: [
                FBXTestWriter.Node(name: "Properties70", children: [
                    FBXTestWriter.Node(name: "P", properties: [.string("Lcl Translation"), .string("Lcl Translation"), .string(""),
                                                               .string("A"), .double(Double(i)), .double(0), .double(0)]),
                ]),
            ]))
            connections.append(FBXTestWriter.Node(name: "C", properties: [.string("OO"), .int64(10), .int64(id)]))
        }
        let file = writer.file([
            FBXTestWriter.Node(name: "Objects", children: [
                FBXTestWriter.Node(name: "Geometry", properties: [.int64(10), .string("G\0\u{1}Geometry"), .string("Mesh")], children: [
                    FBXTestWriter.Node(name: "Vertices", properties: [.doubles([0, 0, 0, 1, 0, 0, 0, 1, 0])]),
                    FBXTestWriter.Node(name: "PolygonVertexIndex", properties: [.ints([0, 1, -3])]),
                ]),
            ] + models),
            FBXTestWriter.Node(name: "Connections", children: connections),
        ])
        let report = try FBXReader.inspectBinary(Data(file), limits: .standard)
        #expect(report.vertexCount == 3)
        #expect(report.meshCount == 1)
        // No GlobalSettings: centimetre units; the last copy sits 2,999 cm along X and is 1 cm wide.
        #expect(report.boundingBox == BoundingBox(min: [0, 0, 0], max: [30, 0.01, 0]))
    }

    @Test func instanceBudgetFallsBackToMeshBoxes() {
        var budget = InstanceBoundsBudget(points: 5)
        var bounds = BoundsAccumulator()
        let points: [SIMD3<Double>] = [SIMD3(0, 0, 0), SIMD3(1, 0, 0), SIMD3(0, 1, 0)]
        for shift in 0..<3 {
            budget.add(count: 3, transform: .translation(SIMD3(Double(shift) * 10, 0, 0)),
                       localBox: { (SIMD3(0, 0, 0), SIMD3(1, 1, 0)) }, points: { points.forEach($0) }, to: &bounds)
        }
        #expect(budget.approximated)
        #expect(bounds.box() == BoundingBox(min: [0, 0, 0], max: [21, 1, 0]))
    }

    @Test func modelParentCycle() {
        let cycle = [
            FBXTestWriter.Node(name: "C", properties: [.string("OO"), .int64(20), .int64(30)]),
            FBXTestWriter.Node(name: "C", properties: [.string("OO"), .int64(30), .int64(20)]),
        ]
        expectFailure(.malformed, binary: writer.triangleScene(extraConnections: cycle))
    }

    @Test func asciiDamage() {
        let header = "; FBX 7.4.0 project file\nFBXHeaderExtension:  {\n\tFBXVersion: 7400\n}\n"
        expectFailure(.truncated, ascii: header + "Objects:  {\n\tGeometry: 1, \"Geometry::A")
        expectFailure(.malformed, ascii: header + "Objects:  {\n\tGeometry: 1, \"Geometry::A, \"Mesh\" {\n")
        expectFailure(.truncated, ascii: header + "Objects:  {\n\tGeometry: 1, \"Geometry::A\", \"Mesh\" {\n")
        expectFailure(.limitExceeded, ascii: header + "Objects:  {\n\tGeometry: 1, \"Geometry::A\", \"Mesh\" {\n\t\tVertices: *99999999999 {\n\t\t\ta: 1\n\t\t}\n\t}\n}\n")
        expectFailure(.truncated, ascii: header + "Objects:  {\n\tGeometry: 1, \"Geometry::A\", \"Mesh\" {\n\t\tVertices: *3 {\n\t\t\ta: 1,2,3")
        expectFailure(.malformed, ascii: header + "}\n")
        expectFailure(.malformed, ascii: header + "Objects:  {\n\t@@@\n}\n")
        let badNumber = header + """
            Objects:  {
            \tGeometry: 1, "Geometry::A", "Mesh" {
            \t\tVertices: *3 {
            \t\t\ta: 1,zz,3
            \t\t}
            \t\tPolygonVertexIndex: *3 {
            \t\t\ta: 0,1,-3
            \t\t}
            \t}
            \tModel: 2, "Model::A", "Mesh" {
            \t}
            }
            Connections:  {
            \tC: "OO",1,2
            \tC: "OO",2,0
            }

            """
        expectFailure(.malformed, ascii: badNumber)
        expectFailure(.malformed, ascii: "; just a comment\n")
    }

    /// Random corruption of valid files: whatever happens must be a report or a `MeshInspectionError`.
    @Test func randomCorruptionNeverCrashes() throws {
        var generator = FBXBlendRandom(seed: 0xF8C)
        let binary = Array(try FBXBlendExpectation.data(directory: "fbx", name: "cube.fbx"))
        let wide = Array(try FBXBlendExpectation.data(directory: "fbx", name: "suzanne-7500.fbx"))
        let ascii = Array(try FBXBlendExpectation.data(directory: "fbx", name: "cube-ascii.fbx"))
        var failures = 0
        for iteration in 0..<3000 {
            var bytes = [binary, wide, ascii][iteration % 3]
            for _ in 0..<(1 + Int(generator.next() % 8)) {
                let index = Int(generator.next() % UInt64(bytes.count))
                bytes[index] = UInt8(truncatingIfNeeded: generator.next())
            }
            do {
                _ = iteration % 3 == 2
                    ? try FBXReader.inspectASCII(Data(bytes), limits: .standard)
                    : try FBXReader.inspectBinary(Data(bytes), limits: .standard)
            } catch is MeshInspectionError {
                failures += 1
            }
        }
        #expect(failures > 0)
    }
}
