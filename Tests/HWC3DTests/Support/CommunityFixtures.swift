import Foundation
import SQLKit
import Testing

@testable import HWC3D

/// Communities, members and posts made through the API, as a user would.
enum CommunityFixtures {
    /// A community owned by `owner` (verified), answered as JSON.
    @discardableResult
    static func community(
        _ server: TestServer, owner: TestServer.SignedIn, slug: String, visibility: String = "public", name: String? = nil
    ) async throws -> [String: Any] {
        let response = try await server.request(.POST, "/api/v1/communities", json: [
            "name": name ?? "Community \(slug)", "slug": slug, "description": "About \(slug).", "visibility": visibility,
        ], token: owner.accessToken)
        #expect(response.status == .created, "\(response.text)")
        return try response.object()
    }

    /// `user` joins; for a private community the owner (or `approver`) approves the request.
    static func join(_ server: TestServer, _ slug: String, _ user: TestServer.SignedIn, approver: TestServer.SignedIn? = nil) async throws {
        let joined = try await server.request(.POST, "/api/v1/communities/\(slug)/join", token: user.accessToken)
        #expect(joined.status == .ok, "\(joined.text)")
        if try joined.object()["status"] as? String == "pending", let approver {
            let approved = try await server.request(
                .PATCH, "/api/v1/communities/\(slug)/members/\(user.id)", json: ["status": "active"], token: approver.accessToken)
            #expect(approved.status == .ok, "\(approved.text)")
        }
    }

    /// A post by `author`; its id.
    static func post(_ server: TestServer, _ slug: String, author: TestServer.SignedIn, title: String = "Hello", body: String = "First post.") async throws -> String {
        let response = try await server.request(
            .POST, "/api/v1/communities/\(slug)/posts", json: ["title": title, "body": body], token: author.accessToken)
        #expect(response.status == .created, "\(response.text)")
        return try #require(try response.object()["id"] as? String)
    }

    static func value(_ server: TestServer, _ query: SQLQueryString, column: String) async throws -> Int {
        let sql = try #require(server.app.db as? any SQLDatabase)
        return try #require(try await sql.raw(query).first()).decode(column: column, as: Int.self)
    }

    static func communityCounters(_ server: TestServer, _ slug: String) async throws -> (members: Int, posts: Int) {
        let sql = try #require(server.app.db as? any SQLDatabase)
        let row = try #require(try await sql.raw("SELECT member_count, post_count FROM communities WHERE slug = \(bind: slug)").first())
        return (try row.decode(column: "member_count", as: Int.self), try row.decode(column: "post_count", as: Int.self))
    }
}
