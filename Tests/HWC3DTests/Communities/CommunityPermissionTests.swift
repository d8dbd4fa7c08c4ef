import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

/// Who may do what in a private community, route by route: the answer of each route to each kind of caller. A
/// private community's content is 404 to everyone outside it (never 403, which would tell it exists), and a
/// refused write changes nothing.
@Suite("Community permission matrix")
struct CommunityPermissionTests {
    enum Actor: String, CaseIterable {
        case anonymous, outsider, pending, banned, member, moderator, owner, admin, adminWithoutPermission
    }

    @Test("every route answers each caller of a private community as the rules say, and refusals change nothing")
    func privateCommunityMatrix() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            let moderator = try await server.register("moddy", verified: true)
            let member = try await server.register("member", verified: true)
            let author = try await server.register("author", verified: true)
            let pending = try await server.register("pending", verified: true)
            let banned = try await server.register("banned", verified: true)
            let outsider = try await server.register("outsider", verified: true)
            let (_, adminToken) = try await CatalogueFixtures.admin(server, "modadmin", role: .moderator)
            let (_, supportToken) = try await CatalogueFixtures.admin(server, "helpdesk", role: .support)
            try await CommunityFixtures.community(server, owner: owner, slug: "secret", visibility: "private")
            for user in [moderator, member, author, banned] { try await CommunityFixtures.join(server, "secret", user, approver: owner) }
            _ = try await server.request(.PATCH, "/api/v1/communities/secret/members/\(moderator.id)", json: ["role": "moderator"], token: owner.accessToken)
            _ = try await server.request(.POST, "/api/v1/communities/secret/join", token: pending.accessToken)
            let post = try await CommunityFixtures.post(server, "secret", author: author, title: "Private plans")
            let comment = try await server.request(.POST, "/api/v1/posts/\(post)/comments", json: ["body": "Hush"], token: author.accessToken)
            let commentID = try #require(try comment.object()["id"] as? String)
            _ = try await server.request(.DELETE, "/api/v1/communities/secret/members/\(banned.id)?ban=true", token: owner.accessToken)

            let tokens: [Actor: String?] = [
                .anonymous: nil, .outsider: outsider.accessToken, .pending: pending.accessToken, .banned: banned.accessToken,
                .member: member.accessToken, .moderator: moderator.accessToken, .owner: owner.accessToken, .admin: adminToken,
                .adminWithoutPermission: supportToken,
            ]
            let outside: Set<Actor> = [.outsider, .pending, .banned, .adminWithoutPermission]

            // Reads of the content: members and moderating admins; 404 for the rest.
            let reads = ["/api/v1/communities/secret/posts", "/api/v1/posts/\(post)", "/api/v1/posts/\(post)/comments", "/api/v1/communities/secret/members"]
            for path in reads {
                for actor in Actor.allCases {
                    let response = try await server.request(.GET, path, token: tokens[actor]!)
                    let expected: UInt = actor == .anonymous || outside.contains(actor) ? 404 : 200
                    #expect(response.status.code == expected, "GET \(path) as \(actor): \(response.status) \(response.text)")
                    if expected == 404 { #expect(!response.text.contains("Private plans") && !response.text.contains("Hush")) }
                }
            }
            // The community itself is public knowledge, its activity is not.
            for actor in Actor.allCases {
                let detail = try await server.request(.GET, "/api/v1/communities/secret", token: tokens[actor]!)
                #expect(detail.status == .ok)
                let isMember: Set<Actor> = [.member, .moderator, .owner]
                #expect((try detail.object()["post_count"] != nil) == isMember.contains(actor), "\(actor): \(detail.text)")
            }
            let listed = try await server.request(.GET, "/api/v1/communities", token: outsider.accessToken)
            #expect(((try listed.object()["items"] as? [[String: Any]]) ?? []).allSatisfy { $0["post_count"] == nil && $0["last_activity_at"] == nil })

            // Writes. Expected status per actor; anything not listed: 404 if outside, 401 if anonymous.
            struct Write {
                let method: HTTPMethod
                let path: String
                let json: [String: Any]?
                let allowed: [Actor: UInt]
            }
            var writes: [Write] = []
            writes += [
                Write(method: .POST, path: "/api/v1/communities/secret/posts", json: ["title": "T", "body": "B"],
                      allowed: [.member: 201, .moderator: 201, .owner: 201, .admin: 403]),
                Write(method: .PUT, path: "/api/v1/posts/\(post)/reactions", json: ["type": "wow"],
                      allowed: [.member: 200, .moderator: 200, .owner: 200, .admin: 403]),
            ]
            writes += [
                Write(method: .POST, path: "/api/v1/posts/\(post)/comments", json: ["body": "C"],
                      allowed: [.member: 201, .moderator: 201, .owner: 201, .admin: 403]),
                Write(method: .POST, path: "/api/v1/posts/\(post)/share", json: nil,
                      allowed: [.member: 200, .moderator: 200, .owner: 200, .admin: 200]),
                Write(method: .POST, path: "/api/v1/posts/\(post)/pin", json: nil,
                      allowed: [.member: 403, .moderator: 200, .owner: 200, .admin: 200]),
            ]
            writes += [
                Write(method: .PATCH, path: "/api/v1/communities/secret", json: ["description": "Changed"],
                      allowed: [.member: 403, .moderator: 200, .owner: 200, .admin: 200]),
                Write(method: .PATCH, path: "/api/v1/posts/\(post)", json: ["title": "Changed"],
                      allowed: [.member: 403, .moderator: 403, .owner: 403, .admin: 403]),
            ]
            writes += [
                Write(method: .PATCH, path: "/api/v1/posts/\(post)/comments/\(commentID)", json: ["body": "Changed"],
                      allowed: [.member: 403, .moderator: 403, .owner: 403, .admin: 403]),
                // Nobody removes the owner, not even the owner or an admin: ownership is handed over.
                Write(method: .DELETE, path: "/api/v1/communities/secret/members/\(owner.id)", json: nil,
                      allowed: [.member: 403, .moderator: 403, .owner: 403, .admin: 403]),
                // Deleting succeeds for the owner and the admin: checked last, below.
                Write(method: .DELETE, path: "/api/v1/communities/secret", json: nil,
                      allowed: [.member: 403, .moderator: 403, .owner: 0, .admin: 0]),
            ]
            for write in writes {
                for actor in Actor.allCases {
                    let expected = write.allowed[actor] ?? (actor == .anonymous ? 401 : 404)
                    guard expected >= 400 else { continue }  // 0: allowed, tried elsewhere
                    let before = try await Self.snapshot(server)
                    let response = try await server.request(write.method, write.path, json: write.json, token: tokens[actor]!)
                    #expect(response.status.code == expected, "\(write.method) \(write.path) as \(actor): \(response.status) \(response.text)")
                    #expect(try await Self.snapshot(server) == before, "\(write.method) \(write.path) as \(actor) changed something")
                }
            }
            // And those allowed really succeed.
            for write in writes {
                for actor in Actor.allCases {
                    guard let expected = write.allowed[actor], expected > 0, expected < 400 else { continue }
                    let response = try await server.request(write.method, write.path, json: write.json, token: tokens[actor]!)
                    #expect(response.status.code == expected, "\(write.method) \(write.path) as \(actor): \(response.status) \(response.text)")
                }
            }
            // The moderating admin may delete the community; then it is gone for everyone.
            #expect(try await server.request(.DELETE, "/api/v1/communities/secret", token: adminToken).status == .noContent)
            #expect(try await server.request(.GET, "/api/v1/posts/\(post)", token: member.accessToken).status == .notFound)
        }
    }

    /// Everything a refused write could touch.
    static func snapshot(_ server: TestServer) async throws -> [String] {
        let sql = try #require(server.app.db as? any SQLDatabase)
        var lines: [String] = []
        for table in ["communities", "community_members", "community_posts", "post_reactions", "post_comments", "post_shares"] {
            let rows = try await sql.raw("SELECT * FROM \(unsafeRaw: table) ORDER BY id").all()
            for row in rows {
                var cells: [String] = []
                for column in row.allColumns.sorted() {
                    let text = (try? row.decode(column: column, as: String?.self)) ?? nil
                    let number = (try? row.decode(column: column, as: Double?.self)) ?? nil
                    cells.append("\(column)=\(text ?? number.map { String($0) } ?? "-")")
                }
                lines.append("\(table): " + cells.joined(separator: " "))
            }
        }
        return lines
    }
}
