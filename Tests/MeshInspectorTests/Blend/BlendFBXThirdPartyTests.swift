import Foundation
import Testing
@testable import MeshInspector

/// Files written by other tools and older Blenders, from Debian's `assimp-testmodels` package when it is
/// installed (`apt-get install assimp-testmodels`); skipped otherwise. Expected numbers are Blender 3.4.1's
/// statistics after opening or importing each file; files whose modifiers Blender evaluates are left out.
private let assimpModels = "/usr/share/assimp/models"

@Suite(.enabled(if: FileManager.default.fileExists(atPath: assimpModels)))
struct BlendFBXThirdPartyTests {
    static let root = assimpModels

    static let fbx: [(String, vertices: Int, polygons: Int, triangles: Int, meshes: Int, materials: Int, textures: Int)] = [
        ("FBX/spider.fbx", 762, 1368, 1368, 19, 4, 4),
        ("FBX/huesitos.fbx", 62, 68, 120, 1, 1, 0),
        ("FBX/global_settings.fbx", 680, 848, 1352, 2, 1, 0),
        ("FBX/animation_with_skeleton.fbx", 1058, 1056, 2112, 1, 1, 0),
        ("FBX/box.fbx", 24, 12, 12, 1, 1, 0),
        ("FBX/phong_cube.fbx", 8, 6, 12, 1, 1, 0),
    ]

    static let blend: [(String, vertices: Int, polygons: Int, triangles: Int)] = [
        ("BLEND/4Cubes4Mats_248.blend", 32, 24, 48),
        ("BLEND/CubeHierarchy_248.blend", 84, 61, 122),
        ("BLEND/Suzanne_248.blend", 1980, 2000, 3872),
        ("BLEND/TorusLightsCams_250_compressed.blend", 2304, 2304, 4608),
        ("BLEND/blender_269_regress1.blend", 507, 500, 968),
        ("BLEND/box.blend", 8, 6, 12),
        ("BLEND/test_279.blend", 84, 44, 44),
    ]

    @Test func fbxFromOtherToolsMatchBlender() throws {
        for entry in Self.fbx {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(Self.root)/\(entry.0)"))
            let report = try FBXReader.inspectBinary(data, limits: .standard)
            #expect(report.vertexCount == entry.vertices, "\(entry.0)")
            #expect(report.polygonCount == entry.polygons, "\(entry.0)")
            #expect(report.triangleCount == entry.triangles, "\(entry.0)")
            #expect(report.meshCount == entry.meshes, "\(entry.0)")
            #expect(report.materialCount == entry.materials, "\(entry.0)")
            #expect(report.textureCount == entry.textures, "\(entry.0)")
        }
    }

    @Test func olderBlendFilesMatchBlender() throws {
        for entry in Self.blend {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(Self.root)/\(entry.0)"))
            let compression: BlendCompression = data.starts(with: [0x1f, 0x8b]) ? .gzip : .none
            let report = try BlendReader.inspect(data, compression: compression, limits: .standard)
            #expect(report.vertexCount == entry.vertices, "\(entry.0)")
            #expect(report.polygonCount == entry.polygons, "\(entry.0)")
            #expect(report.triangleCount == entry.triangles, "\(entry.0)")
        }
    }

    /// Every file of the collection either reads or fails with a reason.
    @Test func everyFileEndsCleanly() throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: Self.root)
            .filter { [".fbx", ".blend"].contains(where: $0.lowercased().hasSuffix) }
        #expect(!files.isEmpty)
        for path in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(Self.root)/\(path)"))
            do {
                if path.lowercased().hasSuffix(".blend") {
                    _ = try BlendReader.inspect(data, compression: .none, limits: .standard)
                } else if data.starts(with: FBXBinaryParser.magic) {
                    _ = try FBXReader.inspectBinary(data, limits: .standard)
                } else {
                    _ = try FBXReader.inspectASCII(data, limits: .standard)
                }
            } catch let error as MeshInspectionError {
                #expect(!error.reason.isEmpty, "\(path)")
            }
        }
    }
}
