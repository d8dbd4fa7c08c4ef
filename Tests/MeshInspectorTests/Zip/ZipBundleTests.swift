import Foundation
import Testing
@testable import MeshInspector

@Suite("Zip bundles")
struct ZipBundleTests {
    private let scene = Array(TestFiles.triangleJSON(bufferURI: "buffers/triangle.bin").utf8)

    private func failure(_ archive: TestZip) throws -> MeshInspectionError {
        try #require(throws: MeshInspectionError.self) { _ = try MeshInspector.inspect(archive.data()) }
    }

    @Test("a glTF scene reads its buffer from the bundle, relative to its folder")
    func resolvesReferences() throws {
        let archive = TestZip(entries: [
            .stored("model/scene.gltf", scene),
            .stored("model/buffers/triangle.bin", TestFiles.triangleBinary),
            .stored("__MACOSX/model/._scene.gltf", [0, 1, 2]),
        ])
        #expect(try MeshInspector.detect(archive.data()) == .zipBundle(scene: .gltf))
        let report = try MeshInspector.inspect(archive.data())
        #expect(report.format == .gltf)
        #expect(report.triangleCount == 1)
        #expect(report.warnings.isEmpty)
    }

    @Test("path traversal, absolute paths, backslashes and links are refused", arguments: [
        "../evil.bin", "model/../../evil.bin", "/etc/passwd", "C:/Windows/evil.bin", "model\\evil.bin",
    ])
    func unsafePaths(_ name: String) throws {
        let error = try failure(TestZip(entries: [.stored("scene.gltf", scene), .stored(name, [1, 2, 3])]))
        #expect(error.kind == .malformed)
        #expect(error.reason.contains(name))
    }

    @Test("symbolic links are refused")
    func symlinks() throws {
        var link = TestZip.Entry.stored("buffers/triangle.bin", Array("/etc/passwd".utf8))
        link.isSymlink = true
        let error = try failure(TestZip(entries: [.stored("scene.gltf", scene), link]))
        #expect(error.reason.contains("symbolic link"))
    }

    @Test("a zip bomb (10 MB of zeros per entry, many entries) fails at the limit, quickly")
    func zipBomb() throws {
        let zeros = TestZip.deflatedZeros(10 * 1024 * 1024)
        let bomb = TestZip.Entry(
            name: "", payload: zeros, method: 8, crc: 0, uncompressedSize: 10 * 1024 * 1024)
        var archive = TestZip(entries: [.stored("scene.gltf", scene)])
        for index in 0..<100 {
            var entry = bomb
            entry.name = "zeros\(index).bin"
            archive.entries.append(entry)
        }
        let clock = ContinuousClock()
        let start = clock.now
        let error = try failure(archive)
        #expect(error.kind == .limitExceeded)
        #expect(clock.now - start < .seconds(10))
    }

    @Test("an entry that inflates past its declared size is stopped at once")
    func lyingBomb() throws {
        let zeros = TestZip.deflatedZeros(10 * 1024 * 1024)
        let lying = TestZip.Entry(
            name: "buffers/triangle.bin", payload: zeros, method: 8, crc: 0, uncompressedSize: 44)
        let error = try failure(TestZip(entries: [.stored("scene.gltf", scene), lying]))
        #expect(error.kind == .limitExceeded)
        #expect(error.reason.contains("zip bomb"))
    }

    @Test("the per-entry and entry-count limits hold")
    func limits() throws {
        var limits = InspectionLimits()
        limits.maxZipEntries = 3
        let many = TestZip(entries: (0..<5).map { .stored("f\($0).txt", [1]) } + [.stored("scene.gltf", scene)])
        let error = try #require(throws: MeshInspectionError.self) {
            _ = try MeshInspector.inspect(many.data(), limits: limits)
        }
        #expect(error.kind == .limitExceeded)
    }

    @Test("bundles need exactly one scene", arguments: [
        (TestZip(entries: [.stored("readme.txt", Array("hi".utf8))]), "no .gltf or .obj"),
        (TestZip(entries: [.stored("a.obj", Array("v 0 0 0\n".utf8)), .stored("b.gltf", [])]), "2 scenes"),
        (TestZip(entries: [.stored("model.glb", [0])]), "on its own"),
        (TestZip(entries: []), "no .gltf or .obj"),
    ])
    func sceneCount(_ archive: TestZip, _ reason: String) throws {
        let error = try failure(archive)
        #expect(error.kind == .unrecognized)
        #expect(error.reason.contains(reason), "\(error.reason)")
    }

    @Test("a damaged archive fails cleanly")
    func damaged() throws {
        let whole = try MeshFixtures.data("bundles/textured_obj.zip")
        for length in stride(from: 4, to: whole.count, by: 37) {
            #expect(throws: MeshInspectionError.self) { _ = try MeshInspector.inspect(whole.prefix(length)) }
        }
        var corrupted = [UInt8](whole)
        for index in stride(from: 40, to: corrupted.count / 2, by: 13) { corrupted[index] ^= 0x5A }
        do { _ = try MeshInspector.inspect(Data(corrupted)) } catch is MeshInspectionError {}
    }
}
