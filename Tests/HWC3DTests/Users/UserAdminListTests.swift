import Fluent
import Foundation
import Testing
import VaporTesting

@testable import HWC3D

/// The admin console's list of accounts.
@Suite("Admin user list")
struct UserAdminListTests {
    @Test("GET /admin/users: search, filters, sort, pagination and per_page bounds")
    func listUsers() async throws {
        try await withServer { server in
            let boss = try await server.makeAdmin("boss")
            let alice = try await server.register("alice")
            let bob = try await server.register("bob")
            let quentin = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": "qb@studio.example.org", "username": "qb_3d", "password": TestServer.goodPassword, "display_name": "Quentin Blake",
            ])
            #expect(quentin.status == .created)
            try await User.query(on: server.app.db).filter(\.$email == bob.email).set(\.$status, to: .suspended).update()
            let token = try #require(try await server.adminSignIn(boss)["access_token"] as? String)

            func list(_ query: String) async throws -> (usernames: [String], meta: [String: Any], items: [[String: Any]]) {
                let response = try await server.request(.GET, "/api/v1/admin/users\(query)", token: token)
                #expect(response.status == .ok, "\(query): \(response.text)")
                let body = try response.object()
                let items = body["items"] as? [[String: Any]] ?? []
                return (items.compactMap { $0["username"] as? String }, body["meta"] as? [String: Any] ?? [:], items)
            }

            let all = try await list("")
            #expect(Set(all.usernames) == ["boss", "alice", "bob", "qb_3d"])
            #expect(all.meta["page"] as? Int == 1)
            #expect(all.meta["per_page"] as? Int == 20)
            #expect(all.meta["total"] as? Int == 4)
            #expect(all.meta["pages"] as? Int == 1)
            let bossItem = try #require(all.items.first { $0["username"] as? String == "boss" })
            #expect(bossItem["is_admin"] as? Bool == true)
            #expect(bossItem["role"] as? String == "super_admin")
            #expect(bossItem["email_verified"] as? Bool == true)
            #expect(bossItem["id"] as? String == boss.id)
            let aliceItem = try #require(all.items.first { $0["username"] as? String == "alice" })
            #expect(aliceItem["is_admin"] as? Bool == false)
            #expect(aliceItem["role"] == nil)
            #expect(aliceItem["email"] as? String == alice.email)
            #expect(aliceItem["status"] as? String == "active")
            #expect(all.items.first { $0["username"] as? String == "bob" }?["status"] as? String == "suspended")

            // q matches email, username and display name, case-insensitively and partially.
            #expect(try await list("?q=ALI").usernames == ["alice"])
            #expect(try await list("?q=blake").usernames == ["qb_3d"])
            #expect(try await list("?q=studio.example").usernames == ["qb_3d"])
            #expect(try await list("?q=%20%20").meta["total"] as? Int == 4, "a blank q is no filter")
            // LIKE wildcards in q are literal.
            #expect(try await list("?q=%25").meta["total"] as? Int == 0)
            #expect(try await list("?q=b_b").meta["total"] as? Int == 0)
            let longQ = try await server.request(.GET, "/api/v1/admin/users?q=\(String(repeating: "x", count: 101))", token: token)
            #expect(longQ.status == .unprocessableEntity)
            #expect(longQ.fieldErrors == ["q"])

            #expect(try await list("?verified=true").usernames == ["boss"])
            #expect(Set(try await list("?verified=false").usernames) == ["alice", "bob", "qb_3d"])
            #expect(try await list("?status=suspended").usernames == ["bob"])
            #expect(Set(try await list("?status=active").usernames) == ["boss", "alice", "qb_3d"])
            #expect(try await list("?is_admin=true").usernames == ["boss"])
            #expect(Set(try await list("?is_admin=false").usernames) == ["alice", "bob", "qb_3d"])
            #expect(try await list("?is_admin=false&status=active&q=a").usernames.sorted() == ["alice", "qb_3d"])

            // Sorted by username, two per page.
            let page1 = try await list("?sort=username&per_page=2")
            let page2 = try await list("?sort=username&per_page=2&page=2")
            let page3 = try await list("?sort=username&per_page=2&page=3")
            #expect(page1.usernames == ["alice", "bob"])
            #expect(page2.usernames == ["boss", "qb_3d"])
            #expect(page3.usernames == [])
            #expect(page2.meta["page"] as? Int == 2)
            #expect(page2.meta["per_page"] as? Int == 2)
            #expect(page2.meta["total"] as? Int == 4)
            #expect(page2.meta["pages"] as? Int == 2)
            #expect(try await list("?sort=email").usernames == ["alice", "bob", "boss", "qb_3d"])

            for bad in ["per_page=1000", "per_page=0", "page=0"] {
                let response = try await server.request(.GET, "/api/v1/admin/users?\(bad)", token: token)
                #expect(response.status == .unprocessableEntity, "\(bad)")
                #expect(response.problemType == "validation")
                #expect(response.fieldErrors == [String(bad.prefix { $0 != "=" })])
            }
        }
    }
}
