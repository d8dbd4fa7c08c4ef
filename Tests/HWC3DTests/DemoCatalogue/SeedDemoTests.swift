import Fluent
import Foundation
import Testing
import Vapor
import VaporTesting

@testable import HWC3D

@Suite("seed-demo")
struct SeedDemoTests {
    @Test("fills an empty catalogue with analysed, previewed, published models, and does nothing the second time")
    func seedsOnce() async throws {
        try await withServer { server in
            var context = CommandContext(console: Terminal(), input: CommandInput(arguments: ["hwc3d"]))
            context.application = server.app
            try await SeedDemoCommand().run(using: &context)

            let list = try await server.request(.GET, "/api/v1/models?per_page=50")
            #expect(list.status == .ok)
            let items = try #require(try list.object()["items"] as? [[String: Any]])
            #expect(items.count == DemoCatalogue.listings.count)
            for item in items {
                #expect(item["cover_image"] != nil, "\(item["title"] ?? "")")
                #expect((item["triangle_count"] as? Int ?? 0) > 0, "\(item["title"] ?? "")")
            }
            let formats = Set(items.flatMap { $0["formats"] as? [String] ?? [] })
            #expect(formats == ["glb", "obj"])
            let failed = try await ModelFileRecord.query(on: server.app.db).filter(\.$analysisStatus != "ready").count()
            #expect(failed == 0)

            // Each generated file's counts are what its generator built.
            let chair = try #require(DemoCatalogue.listings.first)
            let detail = try await server.request(.GET, "/api/v1/models/oak-dining-chair").object()
            #expect(detail["triangle_count"] as? Int == chair.build().triangleCount)
            #expect(detail["vertex_count"] as? Int == chair.build().vertexCount)

            // The logins are kept beside the database, for the owner's eyes only, and they work.
            let loginsPath = server.dataDir.appendingPathComponent("demo-logins.txt").path
            let logins = try String(contentsOfFile: loginsPath, encoding: .utf8)
            let permissions = try FileManager.default.attributesOfItem(atPath: loginsPath)[.posixPermissions] as? Int
            #expect(permissions == 0o600)
            let password = try #require(logins.components(separatedBy: "password: ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
            let signIn = try await server.request(.POST, "/api/v1/auth/login", json: ["login": DemoCatalogue.creators[0].username, "password": password])
            #expect(signIn.status == .ok, "\(signIn.text)")

            try await SeedDemoCommand().run(using: &context)
            #expect(try await ModelAsset.query(on: server.app.db).count() == DemoCatalogue.listings.count)
            #expect(try await User.query(on: server.app.db).count() == DemoCatalogue.creators.count)
        }
    }
}
