import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// The catalogue filters on the quality report (issue 13): `manifold`, `has_uv`, `textured`, `max_triangles` and
/// `real_size_min`/`real_size_max`, read from the model row that the analysis fills.
@Suite("Quality filters")
struct QualityFilterTests {
    /// A cube with UVs, as OBJ: closed, 12 triangles, units unknown (OBJ has none).
    static let uvCube = Array((String(decoding: TestMeshes.objCube, as: UTF8.self)
        .replacingOccurrences(of: "o Cube\n", with: "o Cube\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n")
        .replacingOccurrences(of: "f 1 2 3 4", with: "f 1/1 2/2 3/3 4/4")).utf8)

    private func slugs(_ server: TestServer, _ query: String) async throws -> Set<String> {
        let response = try await server.request(.GET, "/api/v1/models?\(query)")
        #expect(response.status == .ok, "\(query): \(response.text)")
        let items = try #require(try response.object()["items"] as? [[String: Any]])
        return Set(items.compactMap { $0["title"] as? String })
    }

    @Test("each filter keeps the models whose main file qualifies, and bad values answer 422")
    func filters() async throws {
        try await withServer { server in
            let sphere = TestMeshes.lumpySphere()
            let makers: [(String, [UInt8], String)] = [
                ("Blob", TestMeshes.glb(positions: sphere.positions, triangles: sphere.triangles), "blob.glb"),
                ("Quad", TestMeshes.glbQuad(), "quad.glb"),
                ("Cube", Self.uvCube, "cube.obj"),
            ]
            for (index, (title, file, filename)) in makers.enumerated() {
                let creator = try await server.register("maker\(index)", verified: true)
                let id = try await ModelDrafts.publishedModel(server, creator, file: file, filename: filename)
                #expect(try await server.request(.PATCH, "/api/v1/models/\(id)", json: ["title": title], token: creator.accessToken).status == .ok)
            }
            let rows = try await server.app.db.sql.raw("SELECT title, manifold, has_uv, textured, size_m FROM models ORDER BY title").all()
            #expect(rows.count == 3)
            let blob = try #require(rows.first { (try? $0.decode(column: "title", as: String.self)) == "Blob" })
            #expect(try blob.decode(column: "manifold", as: Bool?.self) == true)
            #expect(try blob.decode(column: "size_m", as: Double?.self).map { $0 > 2 && $0 < 3 } == true)

            #expect(try await slugs(server, "manifold=true") == ["Blob", "Cube"])
            #expect(try await slugs(server, "manifold=false") == ["Quad"])
            #expect(try await slugs(server, "has_uv=true") == ["Cube"])
            #expect(try await slugs(server, "has_uv=false") == ["Blob", "Quad"])
            #expect(try await slugs(server, "textured=true") == [])
            #expect(try await slugs(server, "textured=false") == ["Blob", "Quad", "Cube"])
            #expect(try await slugs(server, "max_triangles=12") == ["Quad", "Cube"])
            #expect(try await slugs(server, "max_triangles=12&max_polys=5") == ["Quad"])
            // OBJ has no units, so the cube has no real size and no size filter keeps it.
            #expect(try await slugs(server, "real_size_min=2") == ["Blob"])
            #expect(try await slugs(server, "real_size_max=1.5") == ["Quad"])
            #expect(try await slugs(server, "real_size_min=0.5&real_size_max=5&manifold=true") == ["Blob"])

            for bad in ["real_size_min=-1", "real_size_min=3&real_size_max=1", "max_triangles=-5", "min_polys=100&max_triangles=10"] {
                let response = try await server.request(.GET, "/api/v1/models?\(bad)")
                #expect(response.status == .unprocessableEntity, "\(bad): \(response.text)")
            }
            let both = try await server.request(.GET, "/api/v1/models?real_size_min=-1&max_triangles=-1")
            #expect(Set(both.fieldErrors) == ["real_size_min", "max_triangles"])
        }
    }
}
