import Foundation
import SQLKit
import Testing

@testable import HWC3D

@Suite("Community posts, reactions, comments and shares")
struct PostTests {
    @Test("members post markdown with a model; the list puts pinned first and sorts new, top and hot; edits and deletes keep counters")
    func postsAndSorts() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            let bob = try await server.register("bob", verified: true)
            let outsider = try await server.register("outsider", verified: true)
            try await CommunityFixtures.community(server, owner: owner, slug: "props")
            try await CommunityFixtures.join(server, "props", bob)
            let model = try await CatalogueFixtures.model(server, owner: bob, title: "Oak chair")
            let draft = try await CatalogueFixtures.model(server, owner: bob, title: "Secret", status: .draft)

            let created = try await server.request(.POST, "/api/v1/communities/props/posts", json: [
                "title": "My chair", "body": "Look at **this** <img src=x onerror=alert(1)>", "model_id": model.uuidString,
            ], token: bob.accessToken)
            #expect(created.status == .created, "\(created.text)")
            let post = try created.object()
            let first = try #require(post["id"] as? String)
            #expect(post["body"] as? String == "Look at **this** <img src=x onerror=alert(1)>")
            let html = try #require(post["body_html"] as? String)
            #expect(html.contains("<strong>this</strong>") && !html.contains("onerror"), "\(html)")
            #expect((post["model"] as? [String: Any])?["title"] as? String == "Oak chair")
            #expect((post["community"] as? [String: Any])?["slug"] as? String == "props")
            #expect(post["url"] as? String == "\(TestServer.frontend)/communities/props/posts/\(first)")
            #expect(post["pinned"] as? Bool == false)

            // A draft cannot be attached, an outsider cannot post, a bad title is 422: nothing stored.
            let withDraft = try await server.request(.POST, "/api/v1/communities/props/posts", json: [
                "title": "Hidden", "body": "x", "model_id": draft.uuidString,
            ], token: bob.accessToken)
            #expect(withDraft.status == .unprocessableEntity && withDraft.fieldErrors == ["model_id"], "\(withDraft.text)")
            let notMember = try await server.request(.POST, "/api/v1/communities/props/posts", json: ["title": "Hi", "body": "x"], token: outsider.accessToken)
            #expect(notMember.status == .forbidden, "\(notMember.text)")
            let empty = try await server.request(.POST, "/api/v1/communities/props/posts", json: ["title": " ", "body": "x"], token: bob.accessToken)
            #expect(empty.status == .unprocessableEntity)
            #expect(try await CatalogueFixtures.count(server, "community_posts") == 1)
            #expect(try await CommunityFixtures.communityCounters(server, "props").posts == 1)

            let second = try await CommunityFixtures.post(server, "props", author: owner, title: "Second")
            let third = try await CommunityFixtures.post(server, "props", author: bob, title: "Third")
            // `first` gets the reactions, so it leads `top`; `second` is pinned, so it leads every sort.
            for user in [owner, bob] {
                #expect(try await server.request(.PUT, "/api/v1/posts/\(first)/reactions", json: ["type": "fire"], token: user.accessToken).status == .ok)
            }
            let pin = try await server.request(.POST, "/api/v1/posts/\(second)/pin", token: owner.accessToken)
            #expect(try pin.object()["pinned"] as? Bool == true)
            #expect(try await server.request(.POST, "/api/v1/posts/\(third)/pin", token: bob.accessToken).status == .forbidden)

            func order(_ sort: String, perPage: Int = 20, page: Int = 1) async throws -> [String] {
                let list = try await server.request(.GET, "/api/v1/communities/props/posts?sort=\(sort)&per_page=\(perPage)&page=\(page)")
                #expect(list.status == .ok, "\(list.text)")
                #expect(((try list.object()["meta"] as? [String: Any])?["total"] as? Int) == 3)
                return ((try list.object()["items"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }
            }
            #expect(try await order("new") == [second, third, first])
            #expect(try await order("top") == [second, first, third])
            #expect(try await order("hot") == [second, first, third])
            #expect(try await order("new", perPage: 2, page: 1) == [second, third])
            #expect(try await order("new", perPage: 2, page: 2) == [first])

            // Edits: the author only, `edited_at` set; deletes: author or moderators, counters follow.
            let edit = try await server.request(.PATCH, "/api/v1/posts/\(first)", json: ["title": "My oak chair", "model_id": ""], token: bob.accessToken)
            #expect(edit.status == .ok, "\(edit.text)")
            #expect(try edit.object()["edited_at"] != nil)
            #expect(try edit.object()["model"] == nil)
            #expect(try await server.request(.PATCH, "/api/v1/posts/\(first)", json: ["title": "Mine"], token: owner.accessToken).status == .forbidden)
            #expect(try await server.request(.DELETE, "/api/v1/posts/\(second)", token: bob.accessToken).status == .forbidden)
            #expect(try await server.request(.DELETE, "/api/v1/posts/\(third)", token: owner.accessToken).status == .noContent)
            #expect(try await server.request(.GET, "/api/v1/posts/\(third)").status == .notFound)
            #expect(try await server.request(.DELETE, "/api/v1/posts/\(third)", token: owner.accessToken).status == .notFound)
            #expect(try await CommunityFixtures.communityCounters(server, "props").posts == 2)
        }
    }

    @Test("reactions: one per user, replaceable, removable; per-type counts stay exact under concurrent reactions")
    func reactions() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            try await CommunityFixtures.community(server, owner: owner, slug: "fans")
            let post = try await CommunityFixtures.post(server, "fans", author: owner)
            let path = "/api/v1/posts/\(post)/reactions"

            let liked = try await server.request(.PUT, path, json: ["type": "like"], token: owner.accessToken)
            #expect(try liked.object()["my_reaction"] as? String == "like")
            let loved = try await server.request(.PUT, path, json: ["type": "love"], token: owner.accessToken)
            let lovedBody = try loved.object()
            #expect(lovedBody["reactions"] as? [String: Int] == ["like": 0, "love": 1, "fire": 0, "wow": 0, "laugh": 0])
            #expect(lovedBody["reaction_count"] as? Int == 1)
            let bogus = try await server.request(.PUT, path, json: ["type": "angry"], token: owner.accessToken)
            #expect(bogus.status == .badRequest || bogus.status == .unprocessableEntity, "\(bogus.text)")
            let removed = try await server.request(.DELETE, path, token: owner.accessToken)
            #expect(try removed.object()["reaction_count"] as? Int == 0)
            #expect(try removed.object()["my_reaction"] == nil)
            #expect(try await server.request(.DELETE, path, token: owner.accessToken).status == .ok)

            var users: [TestServer.SignedIn] = []
            for index in 0..<10 {
                let user = try await server.register("fan\(index)")
                try await CommunityFixtures.join(server, "fans", user)
                users.append(user)
            }
            let kinds = ["like", "love", "fire", "wow", "laugh"]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, user) in users.enumerated() {
                    for step in 0..<4 {
                        group.addTask {
                            if step == 2 && index % 3 == 0 {
                                _ = try await server.request(.DELETE, path, token: user.accessToken)
                            } else {
                                _ = try await server.request(.PUT, path, json: ["type": kinds[(index + step) % 5]], token: user.accessToken)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let sql = try #require(server.app.db as? any SQLDatabase)
            let postID = try #require(UUID(uuidString: post))
            let row = try #require(try await sql.raw("SELECT * FROM community_posts WHERE id = \(bind: postID)").first())
            var total = 0
            for kind in kinds {
                let rows = try await CatalogueFixtures.count(server, "post_reactions WHERE post_id = \(bind: postID) AND type = \(bind: kind)")
                #expect(try row.decode(column: "\(kind)_count", as: Int.self) == rows, "\(kind)")
                total += rows
            }
            #expect(try row.decode(column: "reaction_count", as: Int.self) == total)
            #expect(try await CatalogueFixtures.count(server, "post_reactions WHERE post_id = \(bind: postID)") == total)
        }
    }

    @Test("comments thread one level; a deleted comment with replies stays a placeholder; comment_count and shares follow")
    func commentsAndShares() async throws {
        try await withServer(["RATE_LIMIT_ENABLED": "false"]) { server in
            let owner = try await server.register("owner", verified: true)
            let bob = try await server.register("bob", verified: true)
            let outsider = try await server.register("outsider", verified: true)
            try await CommunityFixtures.community(server, owner: owner, slug: "talk")
            try await CommunityFixtures.join(server, "talk", bob)
            let post = try await CommunityFixtures.post(server, "talk", author: owner)
            let path = "/api/v1/posts/\(post)/comments"

            let top = try await server.request(.POST, path, json: ["body": "Nice"], token: bob.accessToken)
            #expect(top.status == .created, "\(top.text)")
            let topID = try #require(try top.object()["id"] as? String)
            let reply = try await server.request(.POST, path, json: ["body": "Thanks", "parent_id": topID], token: owner.accessToken)
            let replyID = try #require(try reply.object()["id"] as? String)
            let nested = try await server.request(.POST, path, json: ["body": "No", "parent_id": replyID], token: bob.accessToken)
            #expect(nested.status == .unprocessableEntity)
            #expect(try await server.request(.POST, path, json: ["body": "Hi"], token: outsider.accessToken).status == .forbidden)
            #expect(try await server.request(.PATCH, "\(path)/\(topID)", json: ["body": "Mine"], token: owner.accessToken).status == .forbidden)
            let edited = try await server.request(.PATCH, "\(path)/\(topID)", json: ["body": "Very nice"], token: bob.accessToken)
            #expect(try edited.object()["edited_at"] != nil)
            #expect(try await CommunityFixtures.value(server, "SELECT comment_count FROM community_posts", column: "comment_count") == 2)

            // The owner moderates: the comment with a reply becomes a placeholder.
            #expect(try await server.request(.DELETE, "\(path)/\(topID)", token: owner.accessToken).status == .noContent)
            let list = try await server.request(.GET, path).object()
            let items = try #require(list["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items[0]["deleted"] as? Bool == true && items[0]["body"] == nil && items[0]["author"] == nil)
            #expect((items[0]["replies"] as? [[String: Any]])?.first?["body"] as? String == "Thanks")
            #expect(try await CommunityFixtures.value(server, "SELECT comment_count FROM community_posts", column: "comment_count") == 1)

            let shared = try await server.request(.POST, "/api/v1/posts/\(post)/share", token: outsider.accessToken)
            #expect(try shared.object()["url"] as? String == "\(TestServer.frontend)/communities/talk/posts/\(post)")
            #expect(try shared.object()["share_count"] as? Int == 1)
            let again = try await server.request(.POST, "/api/v1/posts/\(post)/share", token: outsider.accessToken)
            #expect(try again.object()["share_count"] as? Int == 1)
        }
    }
}
