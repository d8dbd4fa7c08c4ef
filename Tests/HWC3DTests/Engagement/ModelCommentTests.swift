import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Model comments")
struct ModelCommentTests {
    @Test("a verified user comments and replies; the list nests replies under their comment with authors; comment_count follows")
    func commentAndReply() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let bob = try await server.register("bob", verified: true)
            let carol = try await server.register("carol", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let path = "/api/v1/models/\(model)/comments"

            let created = try await server.request(.POST, path, json: ["body": "  Lovely topology.\n "], token: bob.accessToken)
            #expect(created.status == .created, "\(created.text)")
            let comment = try created.object()
            let commentID = try #require(comment["id"] as? String)
            #expect(comment["body"] as? String == "Lovely topology.")
            #expect(comment["deleted"] as? Bool == false)
            #expect(comment["parent_id"] == nil)
            #expect(comment["edited_at"] == nil)
            #expect((comment["replies"] as? [Any])?.isEmpty == true)
            #expect((comment["author"] as? [String: Any])?["username"] as? String == "bob")
            #expect((comment["author"] as? [String: Any])?["id"] as? String == bob.id)

            let reply = try await server.request(.POST, path, json: ["body": "Thanks!", "parent_id": commentID], token: carol.accessToken)
            #expect(reply.status == .created, "\(reply.text)")
            let replyID = try #require(try reply.object()["id"] as? String)
            #expect(try reply.object()["parent_id"] as? String == commentID)
            let second = try await server.request(.POST, path, json: ["body": "Is it rigged?"], token: carol.accessToken)
            #expect(second.status == .created)

            let list = try await server.request(.GET, path)
            #expect(list.status == .ok, "\(list.text)")
            let body = try list.object()
            let items = try #require(body["items"] as? [[String: Any]])
            #expect(items.map { $0["body"] as? String } == ["Lovely topology.", "Is it rigged?"])
            let replies = try #require(items[0]["replies"] as? [[String: Any]])
            #expect(replies.count == 1)
            #expect(replies[0]["id"] as? String == replyID)
            #expect(replies[0]["parent_id"] as? String == commentID)
            #expect(replies[0]["body"] as? String == "Thanks!")
            #expect((replies[0]["author"] as? [String: Any])?["username"] as? String == "carol")
            #expect((items[1]["replies"] as? [Any])?.isEmpty == true)
            #expect((body["meta"] as? [String: Any])?["total"] as? Int == 2)
            #expect(try await CatalogueFixtures.row(server, model).commentCount == 3)
            let stored = try #require(try await ModelComment.find(UUID(uuidString: commentID), on: server.app.db))
            #expect(stored.body == "Lovely topology.")
            #expect(stored.$author.id.uuidString.lowercased() == bob.id)
        }
    }

    @Test("refused comments: anonymous 401, unverified 403, unpublished 404, bad body or parent 422; nothing is stored")
    func refusedComments() async throws {
        try await withServer { server in
            let alice = try await server.register("alice", verified: true)
            let bob = try await server.register("bob", verified: true)
            let unverified = try await server.register("uma")
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let other = try await CatalogueFixtures.model(server, owner: alice, title: "Other")
            let draft = try await CatalogueFixtures.model(server, owner: alice, status: .draft)
            let pending = try await CatalogueFixtures.model(server, owner: bob, status: .pendingReview)
            let path = "/api/v1/models/\(model)/comments"

            let top = try await server.request(.POST, path, json: ["body": "Top"], token: bob.accessToken).object()["id"] as? String
            let topID = try #require(top)
            let reply = try await server.request(.POST, path, json: ["body": "Reply", "parent_id": topID], token: alice.accessToken)
            let replyID = try #require(try reply.object()["id"] as? String)
            let elsewhere = try await server.request(.POST, "/api/v1/models/\(other)/comments", json: ["body": "Elsewhere"], token: bob.accessToken)
            let elsewhereID = try #require(try elsewhere.object()["id"] as? String)

            let anonymous = try await server.request(.POST, path, json: ["body": "Hi"])
            #expect(anonymous.status == .unauthorized)
            let notVerified = try await server.request(.POST, path, json: ["body": "Hi"], token: unverified.accessToken)
            #expect(notVerified.status == .forbidden)
            #expect(notVerified.problemType == "email-not-verified")
            for hidden in [draft, pending] {
                let response = try await server.request(.POST, "/api/v1/models/\(hidden)/comments", json: ["body": "Hi"], token: bob.accessToken)
                #expect(response.status == .notFound)
                #expect(try await server.request(.GET, "/api/v1/models/\(hidden)/comments").status == .notFound)
            }
            // Even its owner cannot comment on a draft.
            #expect(try await server.request(.POST, "/api/v1/models/\(draft)/comments", json: ["body": "Hi"], token: alice.accessToken).status == .notFound)

            let cases: [([String: Any], String)] = [
                (["body": ""], "body"), (["body": " \n\t "], "body"), (["body": String(repeating: "x", count: 5001)], "body"),
                (["body": "bell\u{7}"], "body"),
                (["body": "Hi", "parent_id": replyID], "parent_id"), (["body": "Hi", "parent_id": elsewhereID], "parent_id"),
                (["body": "Hi", "parent_id": "nope"], "parent_id"), (["body": "Hi", "parent_id": UUID().uuidString], "parent_id"),
            ]
            for (json, field) in cases {
                let response = try await server.request(.POST, path, json: json, token: bob.accessToken)
                #expect(response.status == .unprocessableEntity, "\(json.keys.sorted()): \(response.status)")
                #expect(response.problemType == "validation")
                #expect(response.fieldErrors == [field])
            }
            let missing = try await server.request(.POST, path, json: ["parent_id": topID], token: bob.accessToken)
            #expect(missing.status == .badRequest || missing.status == .unprocessableEntity)
            #expect(try await CatalogueFixtures.count(server, "model_comments") == 3)
            #expect(try await CatalogueFixtures.row(server, model).commentCount == 2)

            // 5,000 characters (after trimming) is the limit, not past it.
            let longest = try await server.request(
                .POST, path, json: ["body": " " + String(repeating: "é", count: 5000) + " "], token: bob.accessToken)
            #expect(longest.status == .created)
        }
    }

    @Test("pages hold top-level comments oldest first, each with all its replies in order; meta counts top-level comments")
    func pagination() async throws {
        try await withServer(["RATE_LIMIT_COMMENT": "1000/60"]) { server in
            let alice = try await server.register("alice", verified: true)
            let bob = try await server.register("bob", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let path = "/api/v1/models/\(model)/comments"
            var topIDs: [String] = []
            for index in 0..<25 {
                let response = try await server.request(.POST, path, json: ["body": "comment \(index)"], token: bob.accessToken)
                topIDs.append(try #require(try response.object()["id"] as? String))
            }
            // Replies to the 21st comment, written after everything else.
            for index in 0..<3 {
                let response = try await server.request(
                    .POST, path, json: ["body": "reply \(index)", "parent_id": topIDs[20]], token: alice.accessToken)
                #expect(response.status == .created)
            }

            let third = try await server.request(.GET, "\(path)?per_page=10&page=3").object()
            let items = try #require(third["items"] as? [[String: Any]])
            #expect(items.map { $0["body"] as? String } == (20..<25).map { "comment \($0)" })
            #expect((items[0]["replies"] as? [[String: Any]])?.map { $0["body"] as? String } == ["reply 0", "reply 1", "reply 2"])
            let meta = try #require(third["meta"] as? [String: Any])
            #expect(meta["total"] as? Int == 25)
            #expect(meta["pages"] as? Int == 3)
            #expect(meta["page"] as? Int == 3)
            let first = try await server.request(.GET, "\(path)?per_page=10").object()
            #expect((first["items"] as? [[String: Any]])?.map { $0["id"] as? String } == Array(topIDs[0..<10]))

            let past = try await server.request(.GET, "\(path)?per_page=10&page=4").object()
            #expect((past["items"] as? [Any])?.isEmpty == true)
            #expect((past["meta"] as? [String: Any])?["total"] as? Int == 25)
            #expect(try await server.request(.GET, "\(path)?per_page=101").status == .unprocessableEntity)
            #expect(try await server.request(.GET, "\(path)?page=0").status == .unprocessableEntity)
            #expect(try await CatalogueFixtures.row(server, model).commentCount == 28)
        }
    }

    @Test("edits: the author within 15 minutes; others 403; afterwards 409 edit-window-closed; bad body 422; unknown 404")
    func edits() async throws {
        try await withServer { server in
            let alice = try await server.register("alice", verified: true)
            let bob = try await server.register("bob", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let other = try await CatalogueFixtures.model(server, owner: alice, title: "Other")
            let path = "/api/v1/models/\(model)/comments"
            let id = try #require(try await server.request(.POST, path, json: ["body": "Frist"], token: bob.accessToken).object()["id"] as? String)
            let reply = try await server.request(.POST, path, json: ["body": "Typo!", "parent_id": id], token: alice.accessToken)
            #expect(reply.status == .created)

            let edited = try await server.request(.PATCH, "\(path)/\(id)", json: ["body": " First "], token: bob.accessToken)
            #expect(edited.status == .ok, "\(edited.text)")
            let body = try edited.object()
            #expect(body["body"] as? String == "First")
            #expect(body["edited_at"] is String)
            #expect((body["replies"] as? [[String: Any]])?.map { $0["body"] as? String } == ["Typo!"])

            let byOwner = try await server.request(.PATCH, "\(path)/\(id)", json: ["body": "Owned"], token: alice.accessToken)
            #expect(byOwner.status == .forbidden)
            #expect(try await server.request(.PATCH, "\(path)/\(id)", json: ["body": "x"]).status == .unauthorized)
            let empty = try await server.request(.PATCH, "\(path)/\(id)", json: ["body": "  "], token: bob.accessToken)
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.fieldErrors == ["body"])
            #expect(try await server.request(.PATCH, "\(path)/\(UUID())", json: ["body": "x"], token: bob.accessToken).status == .notFound)
            #expect(try await server.request(.PATCH, "\(path)/nope", json: ["body": "x"], token: bob.accessToken).status == .notFound)
            let wrongModel = try await server.request(
                .PATCH, "/api/v1/models/\(other)/comments/\(id)", json: ["body": "x"], token: bob.accessToken)
            #expect(wrongModel.status == .notFound)

            let stored = try #require(try await ModelComment.find(UUID(uuidString: id), on: server.app.db))
            #expect(stored.body == "First")
            stored.createdAt = Date().addingTimeInterval(-15 * 60 - 5)
            try await stored.update(on: server.app.db)
            let late = try await server.request(.PATCH, "\(path)/\(id)", json: ["body": "Later"], token: bob.accessToken)
            #expect(late.status == .conflict)
            #expect(late.problemType == "edit-window-closed")
            #expect(try await ModelComment.find(UUID(uuidString: id), on: server.app.db)?.body == "First")
        }
    }

    @Test("deletes: author, model owner or moderator; a comment with replies stays as a placeholder until its last reply goes")
    func deletes() async throws {
        try await withServer { server in
            let alice = try await server.register("alice", verified: true)
            let bob = try await server.register("bob", verified: true)
            let carol = try await server.register("carol", verified: true)
            let (moderator, adminToken) = try await CatalogueFixtures.admin(server, "mod")
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let path = "/api/v1/models/\(model)/comments"
            func post(_ text: String, parent: String? = nil, as user: TestServer.SignedIn) async throws -> String {
                var json: [String: Any] = ["body": text]
                if let parent { json["parent_id"] = parent }
                let response = try await server.request(.POST, path, json: json, token: user.accessToken)
                #expect(response.status == .created)
                return try #require(try response.object()["id"] as? String)
            }
            let top = try await post("Top", as: bob)
            let replyA = try await post("Reply A", parent: top, as: carol)
            let replyB = try await post("Reply B", parent: top, as: alice)
            let lone = try await post("Lone", as: carol)
            let spam = try await post("Spam", as: carol)
            #expect(try await CatalogueFixtures.row(server, model).commentCount == 5)

            // Carol may not delete Bob's comment; an admin's ordinary session is not a moderator.
            let normal = try await server.request(.POST, "/api/v1/auth/login", json: ["login": moderator.email, "password": moderator.password])
            let normalToken = try #require(try normal.object()["access_token"] as? String)
            #expect(try await server.request(.DELETE, "\(path)/\(top)", token: carol.accessToken).status == .forbidden)
            #expect(try await server.request(.DELETE, "\(path)/\(top)", token: normalToken).status == .forbidden)
            #expect(try await server.request(.DELETE, "\(path)/\(top)").status == .unauthorized)

            #expect(try await server.request(.DELETE, "\(path)/\(top)", token: bob.accessToken).status == .noContent)
            #expect(try await server.request(.DELETE, "\(path)/\(top)", token: bob.accessToken).status == .notFound)
            var items = try #require(try await server.request(.GET, path).object()["items"] as? [[String: Any]])
            #expect(items.count == 3)
            #expect(items[0]["id"] as? String == top)
            #expect(items[0]["deleted"] as? Bool == true)
            #expect(items[0]["body"] == nil)
            #expect(items[0]["author"] == nil)
            #expect((items[0]["replies"] as? [[String: Any]])?.map { $0["body"] as? String } == ["Reply A", "Reply B"])
            #expect(try await CatalogueFixtures.row(server, model).commentCount == 4)
            // Replying to a placeholder is refused.
            let toDeleted = try await server.request(.POST, path, json: ["body": "Hm", "parent_id": top], token: carol.accessToken)
            #expect(toDeleted.status == .unprocessableEntity)
            #expect(toDeleted.fieldErrors == ["parent_id"])

            // The model's owner removes Carol's reply; a moderator the other; the placeholder goes with the last.
            #expect(try await server.request(.DELETE, "\(path)/\(replyA)", token: alice.accessToken).status == .noContent)
            #expect(try await server.request(.DELETE, "\(path)/\(replyB)", token: adminToken).status == .noContent)
            #expect(try await server.request(.DELETE, "\(path)/\(spam)", token: adminToken).status == .noContent)
            let after = try await server.request(.GET, path).object()
            items = try #require(after["items"] as? [[String: Any]])
            #expect(items.map { $0["id"] as? String } == [lone])
            #expect((after["meta"] as? [String: Any])?["total"] as? Int == 1)
            #expect(try await CatalogueFixtures.row(server, model).commentCount == 1)
            // Rows stay for moderation, out of sight.
            #expect(try await CatalogueFixtures.count(server, "model_comments WHERE deleted_at IS NOT NULL") == 4)
        }
    }

    @Test("the model's owner and moderators may clear comments after the model is unpublished; its author may not see it")
    func deleteOnUnpublishedModel() async throws {
        try await withServer { server in
            let alice = try await server.register("alice", verified: true)
            let bob = try await server.register("bob", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let path = "/api/v1/models/\(model)/comments"
            let first = try #require(try await server.request(.POST, path, json: ["body": "One"], token: bob.accessToken).object()["id"] as? String)
            let second = try #require(try await server.request(.POST, path, json: ["body": "Two"], token: bob.accessToken).object()["id"] as? String)
            try await CatalogueFixtures.setStatus(server, model, .archived)
            let (_, adminToken) = try await CatalogueFixtures.admin(server, "mod")

            #expect(try await server.request(.DELETE, "\(path)/\(first)", token: bob.accessToken).status == .notFound)
            #expect(try await server.request(.DELETE, "\(path)/\(first)", token: alice.accessToken).status == .noContent)
            #expect(try await server.request(.DELETE, "\(path)/\(second)", token: adminToken).status == .noContent)
            #expect(try await CatalogueFixtures.row(server, model).commentCount == 0)
        }
    }

    @Test("concurrent deletes of one comment move comment_count once")
    func concurrentDeletes() async throws {
        try await withServer { server in
            let alice = try await server.register("alice", verified: true)
            let bob = try await server.register("bob", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let path = "/api/v1/models/\(model)/comments"
            let id = try #require(try await server.request(.POST, path, json: ["body": "Going"], token: bob.accessToken).object()["id"] as? String)
            _ = try await server.request(.POST, path, json: ["body": "Staying"], token: bob.accessToken)
            let statuses = try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for index in 0..<10 {
                    let token = index.isMultiple(of: 2) ? bob.accessToken : alice.accessToken
                    group.addTask { try await server.request(.DELETE, "\(path)/\(id)", token: token).status }
                }
                return try await group.reduce(into: [HTTPStatus]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .noContent }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .notFound }.count == 9)
            #expect(try await CatalogueFixtures.row(server, model).commentCount == 1)
        }
    }

    @Test("posting comments is rate limited per user by its own policy")
    func rateLimit() async throws {
        // A day-long window: a fixed window that rolls over between the second and third post (a loaded CI
        // machine took over a minute for this test) would reset the budget and let the third through.
        try await withServer(["RATE_LIMIT_COMMENT": "2/86400"]) { server in
            let alice = try await server.register("alice", verified: true)
            let bob = try await server.register("bob", verified: true)
            let model = try await CatalogueFixtures.model(server, owner: alice)
            let path = "/api/v1/models/\(model)/comments"
            #expect(try await server.request(.POST, path, json: ["body": "1"], token: bob.accessToken).status == .created)
            #expect(try await server.request(.POST, path, json: ["body": "2"], token: bob.accessToken).status == .created)
            let third = try await server.request(.POST, path, json: ["body": "3"], token: bob.accessToken)
            #expect(third.status == .tooManyRequests)
            #expect(third.headers.first(name: "Retry-After") != nil)
            #expect(third.headers.first(name: "RateLimit-Policy")?.hasPrefix("\"comment\"") == true)
            // Another user has a budget of their own; reading is not limited by it.
            #expect(try await server.request(.POST, path, json: ["body": "mine"], token: alice.accessToken).status == .created)
            #expect(try await server.request(.GET, path, token: bob.accessToken).status == .ok)
            #expect(try await CatalogueFixtures.count(server, "model_comments") == 3)
        }
    }
}
