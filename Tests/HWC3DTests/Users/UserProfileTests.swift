import Fluent
import Foundation
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Profiles, search, follows and account lifecycle")
struct UserProfileTests {
    // MARK: own profile

    @Test("GET /me needs a caller; PATCH /me changes the given fields, leaves the others and normalises links and skills")
    func updateProfile() async throws {
        try await withServer { server in
            let anonymous = try await server.request(.GET, "/api/v1/users/me")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.problemType == "unauthenticated")

            let alice = try await server.register("alice")
            let me = try await server.request(.GET, "/api/v1/users/me", token: alice.accessToken)
            #expect(me.status == .ok)
            let before = try me.object()
            #expect(before["id"] as? String == alice.id)
            #expect(before["email"] as? String == "alice@example.com")
            #expect(before["bio"] == nil)
            #expect((before["skills"] as? [String]) == [])

            let changes: [String: Any] = [
                "display_name": "  Alice M.  ", "bio": "Hard-surface modeller.\nSci-fi props.", "location": "Lyon, France",
                "website": "https://alice3d.example", "social_links": ["ArtStation": "https://www.artstation.com/alice3d", "x": "https://x.com/alice3d"],
                "skills": ["Blender", " ZBrush ", "blender"],
            ]
            let patched = try await server.request(.PATCH, "/api/v1/users/me", json: changes, token: alice.accessToken)
            #expect(patched.status == .ok, "\(patched.text)")
            let body = try patched.object()
            #expect(body["display_name"] as? String == "Alice M.")
            #expect(body["bio"] as? String == "Hard-surface modeller.\nSci-fi props.")
            #expect(body["location"] as? String == "Lyon, France")
            #expect(body["website"] as? String == "https://alice3d.example")
            #expect((body["social_links"] as? [String: String]) == ["artstation": "https://www.artstation.com/alice3d", "x": "https://x.com/alice3d"])
            #expect((body["skills"] as? [String]) == ["Blender", "ZBrush"])

            let row = try #require(try await User.find(UUID(uuidString: alice.id), on: server.app.db))
            #expect(row.displayName == "Alice M.")
            #expect(row.location == "Lyon, France")
            #expect(row.socialLinks == ["artstation": "https://www.artstation.com/alice3d", "x": "https://x.com/alice3d"])
            #expect(row.skills == ["Blender", "ZBrush"])

            // Absent fields stay; an empty string clears an optional field.
            let partial = try await server.request(.PATCH, "/api/v1/users/me", json: ["bio": ""], token: alice.accessToken)
            #expect(partial.status == .ok)
            let after = try await server.request(.GET, "/api/v1/users/me", token: alice.accessToken).object()
            #expect(after["bio"] == nil)
            #expect(after["location"] as? String == "Lyon, France")
            #expect(after["display_name"] as? String == "Alice M.")

            // Refused values name their field and change nothing.
            let badLink = try await server.request(
                .PATCH, "/api/v1/users/me", json: ["social_links": ["myspace": "https://myspace.com/alice"]], token: alice.accessToken)
            #expect(badLink.status == .unprocessableEntity)
            #expect(badLink.problemType == "validation")
            #expect(badLink.fieldErrors == ["social_links.myspace"])
            let badWebsite = try await server.request(
                .PATCH, "/api/v1/users/me", json: ["website": "javascript:alert(1)", "location": "Paris"], token: alice.accessToken)
            #expect(badWebsite.status == .unprocessableEntity)
            #expect(badWebsite.fieldErrors == ["website"])
            let blankName = try await server.request(.PATCH, "/api/v1/users/me", json: ["display_name": "   "], token: alice.accessToken)
            #expect(blankName.status == .unprocessableEntity)
            #expect(blankName.fieldErrors == ["display_name"])
            let unchanged = try #require(try await User.find(UUID(uuidString: alice.id), on: server.app.db))
            #expect(unchanged.location == "Lyon, France")
            #expect(unchanged.website == "https://alice3d.example")
            #expect(unchanged.socialLinks.count == 2)
        }
    }

    @Test("fields outside UpdateProfileRequest (role, is_verified, email_verified, id, email, counters…) are ignored")
    func massAssignment() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let original = try #require(try await User.find(UUID(uuidString: alice.id), on: server.app.db))
            let forged: [String: Any] = [
                "bio": "just a bio", "role": "admin", "is_admin": true, "is_verified": true, "email_verified": true,
                "id": UUID().uuidString.lowercased(), "email": "evil@example.com", "followers_count": 9999, "following_count": 42,
                "counters": ["followers": 9999, "following": 1, "models": 7], "status": "suspended", "is_creator": true,
                "password_hash": "x", "username_key": "root",
            ]
            let response = try await server.request(.PATCH, "/api/v1/users/me", json: forged, token: alice.accessToken)
            #expect(response.status == .ok, "\(response.text)")
            let body = try response.object()
            #expect(body["bio"] as? String == "just a bio")
            #expect(body["id"] as? String == alice.id)
            #expect(body["email"] as? String == "alice@example.com")
            #expect(body["email_verified"] as? Bool == false)
            #expect(body["is_admin"] as? Bool == false)
            #expect(body["is_creator"] as? Bool == false)
            #expect((body["counters"] as? [String: Int]) == ["followers": 0, "following": 0, "models": 0])

            let rows = try await User.query(on: server.app.db).all()
            #expect(rows.count == 1)
            let row = try #require(rows.first)
            #expect(row.id == original.id)
            #expect(row.email == "alice@example.com")
            #expect(row.emailVerifiedAt == nil)
            #expect(row.followersCount == 0 && row.followingCount == 0 && row.modelsCount == 0)
            #expect(row.status == .active)
            #expect(row.isCreator == false)
            #expect(row.usernameKey == "alice")
            #expect(row.passwordHash == original.passwordHash)
            #expect(try await AdminUser.query(on: server.app.db).count() == 0)
            #expect(try await User.query(on: server.app.db).filter(\.$email == "evil@example.com").count() == 0)
        }
    }

    @Test("username: invalid, reserved (any case) 422; taken 409; once per 30 days; a case-only change is always allowed")
    func usernameRules() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            _ = try await server.register("bob")
            let aliceID = try #require(UUID(uuidString: alice.id))

            for bad in ["bad name", "bad!", "ab", String(repeating: "a", count: 31), "élodie", "a/b"] {
                let response = try await server.request(.PATCH, "/api/v1/users/me", json: ["username": bad], token: alice.accessToken)
                #expect(response.status == .unprocessableEntity, "\(bad): \(response.text)")
                #expect(response.fieldErrors.contains("username"), "\(bad)")
            }
            for reserved in ["admin", "ADMIN", "Support"] {
                let response = try await server.request(.PATCH, "/api/v1/users/me", json: ["username": reserved], token: alice.accessToken)
                #expect(response.status == .unprocessableEntity, "\(reserved)")
                #expect(response.problemType == "validation")
            }
            for taken in ["bob", "BOB"] {
                let response = try await server.request(.PATCH, "/api/v1/users/me", json: ["username": taken], token: alice.accessToken)
                #expect(response.status == .conflict, "\(taken)")
                #expect(response.problemType == "username-taken")
            }
            var row = try #require(try await User.find(aliceID, on: server.app.db))
            #expect(row.username == "alice")
            #expect(row.usernameChangedAt == nil)

            // Case only: allowed, and does not start the 30-day clock.
            let recased = try await server.request(.PATCH, "/api/v1/users/me", json: ["username": "Alice"], token: alice.accessToken)
            #expect(recased.status == .ok, "\(recased.text)")
            #expect(try recased.object()["username"] as? String == "Alice")
            row = try #require(try await User.find(aliceID, on: server.app.db))
            #expect(row.usernameKey == "alice")
            #expect(row.usernameChangedAt == nil)

            let renamed = try await server.request(.PATCH, "/api/v1/users/me", json: ["username": "alice_models"], token: alice.accessToken)
            #expect(renamed.status == .ok, "\(renamed.text)")
            row = try #require(try await User.find(aliceID, on: server.app.db))
            #expect(row.usernameKey == "alice_models")
            #expect(row.usernameChangedAt != nil)
            #expect(try await server.request(.GET, "/api/v1/users/alice").status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/users/alice_models").status == .ok)

            let tooSoon = try await server.request(.PATCH, "/api/v1/users/me", json: ["username": "alice_again"], token: alice.accessToken)
            #expect(tooSoon.status == .unprocessableEntity)
            #expect(tooSoon.fieldErrors == ["username"])
            #expect(tooSoon.text.contains("30 days"))
            let recasedAgain = try await server.request(.PATCH, "/api/v1/users/me", json: ["username": "Alice_Models"], token: alice.accessToken)
            #expect(recasedAgain.status == .ok)
            // The old name is free for others once released.
            let bobTakesOld = try await server.request(.PATCH, "/api/v1/users/me", json: ["username": "ALICE"], token: try await login(server, "bob"))
            #expect(bobTakesOld.status == .ok)

            // 31 days later the next change is allowed.
            row = try #require(try await User.find(aliceID, on: server.app.db))
            row.usernameChangedAt = Date().addingTimeInterval(-31 * 24 * 3600)
            try await row.update(on: server.app.db)
            let later = try await server.request(.PATCH, "/api/v1/users/me", json: ["username": "alice_again"], token: alice.accessToken)
            #expect(later.status == .ok, "\(later.text)")
            #expect(try await User.find(aliceID, on: server.app.db)?.usernameKey == "alice_again")
        }
    }

    @Test("10 KB strings are 422 naming the field; SQL and LIKE metacharacters are stored verbatim; never a 500")
    func hostileStrings() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let aliceID = try #require(UUID(uuidString: alice.id))
            let huge = String(repeating: "x", count: 10 * 1024)
            let cases: [(String, [String: Any])] = [
                ("display_name", ["display_name": huge]),
                ("bio", ["bio": huge]),
                ("location", ["location": huge]),
                ("website", ["website": "https://example.com/" + huge]),
                ("skills[0]", ["skills": [huge]]),
                ("social_links.github", ["social_links": ["github": "https://github.com/" + huge]]),
                ("username", ["username": huge]),
            ]
            for (field, body) in cases {
                let response = try await server.request(.PATCH, "/api/v1/users/me", json: body, token: alice.accessToken)
                #expect(response.status == .unprocessableEntity, "\(field): \(response.status)")
                #expect(response.fieldErrors.contains(field), "\(field): \(response.fieldErrors)")
            }
            // Limits are counted in characters, at the documented bounds.
            #expect(try await server.request(.PATCH, "/api/v1/users/me", json: ["bio": String(repeating: "é", count: 2000)], token: alice.accessToken).status == .ok)
            #expect(try await server.request(.PATCH, "/api/v1/users/me", json: ["bio": String(repeating: "b", count: 2001)], token: alice.accessToken).status == .unprocessableEntity)
            #expect(try await server.request(.PATCH, "/api/v1/users/me", json: ["display_name": String(repeating: "🙂", count: 80)], token: alice.accessToken).status == .ok)
            #expect(try await server.request(.PATCH, "/api/v1/users/me", json: ["display_name": String(repeating: "n", count: 81)], token: alice.accessToken).status == .unprocessableEntity)
            #expect(try await server.request(.PATCH, "/api/v1/users/me", json: ["skills": Array(repeating: "s", count: 31)], token: alice.accessToken).status == .unprocessableEntity)
            for control in ["nul\u{0}byte", "bell\u{7}"] {
                let response = try await server.request(.PATCH, "/api/v1/users/me", json: ["display_name": control], token: alice.accessToken)
                #expect(response.status == .unprocessableEntity)
                #expect(response.fieldErrors == ["display_name"])
            }

            let sql = "Robert'); DROP TABLE users; -- 100% _real_ \\ \"quoted\""
            let body: [String: Any] = [
                "display_name": sql, "bio": sql + "\n" + sql, "location": "'; DROP TABLE users; --", "skills": ["'; DROP TABLE users; --", "%", "_", "\\"],
                "website": "https://example.com/a_b%25c?q='--",
            ]
            let response = try await server.request(.PATCH, "/api/v1/users/me", json: body, token: alice.accessToken)
            #expect(response.status == .ok, "\(response.text)")
            let json = try response.object()
            #expect(json["display_name"] as? String == sql)
            #expect(json["location"] as? String == "'; DROP TABLE users; --")
            #expect((json["skills"] as? [String]) == ["'; DROP TABLE users; --", "%", "_", "\\"])
            let row = try #require(try await User.find(aliceID, on: server.app.db))
            #expect(row.displayName == sql)
            #expect(row.bio == sql + "\n" + sql)
            #expect(row.location == "'; DROP TABLE users; --")
            #expect(row.website == "https://example.com/a_b%25c?q='--")
            #expect(row.skills == ["'; DROP TABLE users; --", "%", "_", "\\"])
            // The table is still there and still has its one row.
            #expect(try await User.query(on: server.app.db).count() == 1)
            let search = try await server.request(.GET, "/api/v1/users?q=%27%3B%20DROP%20TABLE%20users%3B%20--")
            #expect(search.status == .ok)
            let byName = try await server.request(.GET, "/api/v1/users?q=Robert%27)%3B")
            #expect(((try byName.object()["items"] as? [[String: Any]]) ?? []).map { $0["username"] as? String } == ["alice"])
        }
    }

    // MARK: public profiles

    @Test("public profile: counters, is_following for the caller, no private fields, 404 for unknown or inactive, 401 for a bad token")
    func publicProfile() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let bob = try await server.register("bob")
            let carol = try await server.register("carol")
            #expect(try await server.request(.POST, "/api/v1/users/alice/follow", token: bob.accessToken).status == .ok)
            #expect(try await server.request(.POST, "/api/v1/users/carol/follow", token: alice.accessToken).status == .ok)

            let anonymous = try await server.request(.GET, "/api/v1/users/alice")
            #expect(anonymous.status == .ok)
            let profile = try anonymous.object()
            #expect(profile["id"] as? String == alice.id)
            #expect(profile["username"] as? String == "alice")
            #expect((profile["counters"] as? [String: Int]) == ["followers": 1, "following": 1, "models": 0])
            #expect(profile["is_following"] as? Bool == false)
            #expect(profile["email"] == nil)
            #expect(!anonymous.text.contains("alice@example.com"))

            let asBob = try await server.request(.GET, "/api/v1/users/ALICE", token: bob.accessToken)
            #expect(asBob.status == .ok)
            #expect(try asBob.object()["is_following"] as? Bool == true)
            let asCarol = try await server.request(.GET, "/api/v1/users/alice", token: carol.accessToken)
            #expect(try asCarol.object()["is_following"] as? Bool == false)
            let asSelf = try await server.request(.GET, "/api/v1/users/alice", token: alice.accessToken)
            #expect(try asSelf.object()["is_following"] as? Bool == false)

            let unknown = try await server.request(.GET, "/api/v1/users/nobody")
            #expect(unknown.status == .notFound)
            #expect(unknown.problemType == "not-found")
            let overlong = try await server.request(.GET, "/api/v1/users/" + String(repeating: "z", count: 300))
            #expect(overlong.status == .notFound)

            let badToken = try await server.request(.GET, "/api/v1/users/alice", token: "not.a.jwt")
            #expect(badToken.status == .unauthorized)
            #expect(badToken.problemType == "invalid-token")
            let badScheme = try await server.request(.GET, "/api/v1/users/alice", headers: [("Authorization", "Basic YWxpY2U6eA==")])
            #expect(badScheme.status == .unauthorized)

            let carolRow = try #require(try await User.find(UUID(uuidString: carol.id), on: server.app.db))
            carolRow.status = .suspended
            try await carolRow.update(on: server.app.db)
            #expect(try await server.request(.GET, "/api/v1/users/carol").status == .notFound)
            #expect(try await server.request(.POST, "/api/v1/users/carol/follow", token: bob.accessToken).status == .notFound)
            carolRow.status = .deleted
            try await carolRow.update(on: server.app.db)
            #expect(try await server.request(.GET, "/api/v1/users/carol").status == .notFound)
        }
    }

    // MARK: search

    @Test("search matches username and display name case-insensitively; % and _ are literal; sorts; paging rules")
    func search() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            _ = try await server.register("alicia")
            let bob = try await server.register("bob")
            let carol = try await server.register("carol")
            let dave = try await server.register("dave")
            _ = try await server.register("under_score")
            _ = try await server.register("underxscore")
            let ghost = try await server.register("alighost")
            #expect(try await server.request(.PATCH, "/api/v1/users/me", json: ["display_name": "Big ALIce fan"], token: bob.accessToken).status == .ok)
            #expect(try await server.request(.PATCH, "/api/v1/users/me", json: ["display_name": "100% real"], token: dave.accessToken).status == .ok)
            let ghostRow = try #require(try await User.find(UUID(uuidString: ghost.id), on: server.app.db))
            ghostRow.status = .suspended
            try await ghostRow.update(on: server.app.db)
            // carol: 2 followers, bob: 1.
            #expect(try await server.request(.POST, "/api/v1/users/carol/follow", token: alice.accessToken).status == .ok)
            #expect(try await server.request(.POST, "/api/v1/users/carol/follow", token: bob.accessToken).status == .ok)
            #expect(try await server.request(.POST, "/api/v1/users/bob/follow", token: carol.accessToken).status == .ok)

            func usernames(_ query: String) async throws -> [String] {
                let response = try await server.request(.GET, "/api/v1/users" + query)
                #expect(response.status == .ok, "\(query): \(response.text)")
                return ((try response.object()["items"] as? [[String: Any]]) ?? []).compactMap { $0["username"] as? String }
            }

            #expect(Set(try await usernames("?q=ali")) == ["alice", "alicia", "bob"])
            #expect(Set(try await usernames("?q=ALI")) == ["alice", "alicia", "bob"])
            #expect(Set(try await usernames("?q=%20%20aLiCe%20")) == ["alice", "bob"])
            #expect(try await usernames("?q=%25") == ["dave"])
            #expect(try await usernames("?q=r_s") == ["under_score"])
            #expect(try await usernames("?q=%5C").isEmpty)
            #expect(try await usernames("?q=nomatch").isEmpty)

            let all = try await usernames("")
            #expect(all.count == 7)
            #expect(!all.contains("alighost"))
            #expect(Array(all.prefix(2)) == ["carol", "bob"])
            #expect(Array(try await usernames("?sort=followers").prefix(2)) == ["carol", "bob"])
            #expect(try await usernames("?sort=username") == ["alice", "alicia", "bob", "carol", "dave", "under_score", "underxscore"])
            #expect(try await usernames("?sort=newest") == ["underxscore", "under_score", "dave", "carol", "bob", "alicia", "alice"])
            #expect(Array(try await usernames("?q=ali&sort=relevance").prefix(1)) == ["bob"])

            let page = try await server.request(.GET, "/api/v1/users?sort=username&page=2&per_page=3")
            #expect(page.status == .ok)
            let pageBody = try page.object()
            #expect(((pageBody["items"] as? [[String: Any]]) ?? []).compactMap { $0["username"] as? String } == ["carol", "dave", "under_score"])
            #expect((pageBody["meta"] as? [String: Int]) == ["page": 2, "per_page": 3, "total": 7, "pages": 3])
            let beyond = try await server.request(.GET, "/api/v1/users?page=9")
            #expect(beyond.status == .ok)
            #expect(((try beyond.object()["items"] as? [Any]) ?? [1]).isEmpty)

            for query in ["?per_page=0", "?per_page=101", "?page=0", "?page=-1"] {
                let response = try await server.request(.GET, "/api/v1/users" + query)
                #expect(response.status == .unprocessableEntity, "\(query): \(response.status)")
                #expect(response.problemType == "validation", "\(query)")
            }
            #expect(try await server.request(.GET, "/api/v1/users?per_page=0").fieldErrors == ["per_page"])
            for query in ["?page=abc", "?per_page=1.5", "?sort=bogus", "?sort=", "?page=99999999999999999999999"] {
                let response = try await server.request(.GET, "/api/v1/users" + query)
                #expect([.badRequest, .unprocessableEntity].contains(response.status), "\(query): \(response.status) \(response.text)")
                #expect(response.headers.contentType?.description.hasPrefix("application/problem+json") == true, "\(query)")
            }
            let longQuery = try await server.request(.GET, "/api/v1/users?q=" + String(repeating: "q", count: 101))
            #expect(longQuery.status == .unprocessableEntity)
            #expect(longQuery.fieldErrors == ["q"])
        }
    }

    // MARK: follows

    @Test("follow and unfollow are idempotent; self-follow 422; unknown 404; signed out 401")
    func followIdempotency() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let bob = try await server.register("bob")
            let aliceID = try #require(UUID(uuidString: alice.id)), bobID = try #require(UUID(uuidString: bob.id))

            for _ in 0..<2 {
                let follow = try await server.request(.POST, "/api/v1/users/Alice/follow", token: bob.accessToken)
                #expect(follow.status == .ok)
                let state = try follow.object()
                #expect(state["following"] as? Bool == true)
                #expect(state["followers"] as? Int == 1)
            }
            #expect(try await UserFollow.query(on: server.app.db).count() == 1)
            #expect(try await User.find(aliceID, on: server.app.db)?.followersCount == 1)
            #expect(try await User.find(bobID, on: server.app.db)?.followingCount == 1)
            #expect(try await User.find(bobID, on: server.app.db)?.followersCount == 0)

            for _ in 0..<2 {
                let unfollow = try await server.request(.DELETE, "/api/v1/users/alice/follow", token: bob.accessToken)
                #expect(unfollow.status == .ok)
                let state = try unfollow.object()
                #expect(state["following"] as? Bool == false)
                #expect(state["followers"] as? Int == 0)
            }
            #expect(try await UserFollow.query(on: server.app.db).count() == 0)
            #expect(try await User.find(aliceID, on: server.app.db)?.followersCount == 0)
            #expect(try await User.find(bobID, on: server.app.db)?.followingCount == 0)

            let selfFollow = try await server.request(.POST, "/api/v1/users/alice/follow", token: alice.accessToken)
            #expect(selfFollow.status == .unprocessableEntity)
            #expect(selfFollow.problemType == "cannot-follow-self")
            let unknown = try await server.request(.POST, "/api/v1/users/nobody/follow", token: alice.accessToken)
            #expect(unknown.status == .notFound)
            #expect(unknown.problemType == "not-found")
            #expect(try await server.request(.DELETE, "/api/v1/users/nobody/follow", token: alice.accessToken).status == .notFound)
            let signedOut = try await server.request(.POST, "/api/v1/users/alice/follow")
            #expect(signedOut.status == .unauthorized)
            #expect(signedOut.problemType == "unauthenticated")
            #expect(try await server.request(.DELETE, "/api/v1/users/alice/follow").status == .unauthorized)
            #expect(try await UserFollow.query(on: server.app.db).count() == 0)
            #expect(try await User.find(aliceID, on: server.app.db)?.followersCount == 0)
        }
    }

    @Test("followers and following lists: newest follow first, pagination meta, 404 for unknown users, per_page rules")
    func followLists() async throws {
        try await withServer { server in
            _ = try await server.register("star")
            var fans: [TestServer.SignedIn] = []
            for index in 1...5 { fans.append(try await server.register("fan\(index)")) }
            for fan in fans {
                #expect(try await server.request(.POST, "/api/v1/users/star/follow", token: fan.accessToken).status == .ok)
                try await Task.sleep(nanoseconds: 5_000_000)
            }
            #expect(try await server.request(.POST, "/api/v1/users/fan2/follow", token: fans[0].accessToken).status == .ok)

            func page(_ path: String) async throws -> (names: [String], meta: [String: Int]) {
                let response = try await server.request(.GET, path)
                #expect(response.status == .ok, "\(path): \(response.text)")
                let body = try response.object()
                let names = ((body["items"] as? [[String: Any]]) ?? []).compactMap { $0["username"] as? String }
                return (names, body["meta"] as? [String: Int] ?? [:])
            }
            let first = try await page("/api/v1/users/star/followers?per_page=2")
            #expect(first.names == ["fan5", "fan4"])
            #expect(first.meta == ["page": 1, "per_page": 2, "total": 5, "pages": 3])
            let last = try await page("/api/v1/users/star/followers?per_page=2&page=3")
            #expect(last.names == ["fan1"])
            let past = try await page("/api/v1/users/star/followers?per_page=2&page=4")
            #expect(past.names.isEmpty)
            #expect(past.meta["total"] == 5)
            let defaults = try await page("/api/v1/users/star/followers")
            #expect(defaults.meta == ["page": 1, "per_page": 20, "total": 5, "pages": 1])

            let following = try await page("/api/v1/users/fan1/following")
            #expect(following.names == ["fan2", "star"])
            #expect(following.meta["total"] == 2)
            #expect(try await page("/api/v1/users/fan2/followers").names == ["fan1"])
            #expect(try await page("/api/v1/users/star/following").meta == ["page": 1, "per_page": 20, "total": 0, "pages": 0])

            #expect(try await server.request(.GET, "/api/v1/users/nobody/followers").status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/users/nobody/following").status == .notFound)
            let tooMany = try await server.request(.GET, "/api/v1/users/star/followers?per_page=101")
            #expect(tooMany.status == .unprocessableEntity)
            #expect(tooMany.fieldErrors == ["per_page"])
            #expect(try await server.request(.GET, "/api/v1/users/star/following?page=0").status == .unprocessableEntity)

            // Suspended followers drop out of the list and its total.
            let fan3 = try #require(try await User.find(UUID(uuidString: fans[2].id), on: server.app.db))
            fan3.status = .suspended
            try await fan3.update(on: server.app.db)
            let afterSuspension = try await page("/api/v1/users/star/followers")
            #expect(afterSuspension.names == ["fan5", "fan4", "fan2", "fan1"])
            #expect(afterSuspension.meta["total"] == 4)
        }
    }

    @Test("20 concurrent follows of one user leave followers_count at exactly 20")
    func concurrentFollows() async throws {
        try await withServer { server in
            let target = try await server.register("target")
            var followers: [TestServer.SignedIn] = []
            for index in 0..<20 { followers.append(try await server.register("follower\(index)")) }
            let statuses = try await withThrowingTaskGroup(of: (HTTPStatus, String).self) { group in
                for follower in followers {
                    group.addTask {
                        let response = try await server.request(.POST, "/api/v1/users/target/follow", token: follower.accessToken)
                        return (response.status, response.text)
                    }
                }
                var all: [(HTTPStatus, String)] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(statuses.count == 20)
            for (status, text) in statuses { #expect(status == .ok, "\(text)") }
            let row = try #require(try await User.find(UUID(uuidString: target.id), on: server.app.db))
            #expect(row.followersCount == 20)
            #expect(try await UserFollow.query(on: server.app.db).filter(\.$followee.$id == row.id!).count() == 20)
            let profile = try await server.request(.GET, "/api/v1/users/target").object()
            #expect((profile["counters"] as? [String: Int])?["followers"] == 20)
            for follower in followers {
                #expect(try await User.find(UUID(uuidString: follower.id), on: server.app.db)?.followingCount == 1)
            }

            // And 20 concurrent unfollows bring it back to exactly 0.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for follower in followers {
                    group.addTask {
                        let response = try await server.request(.DELETE, "/api/v1/users/target/follow", token: follower.accessToken)
                        #expect(response.status == .ok, "\(response.text)")
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await User.find(UUID(uuidString: target.id), on: server.app.db)?.followersCount == 0)
            #expect(try await UserFollow.query(on: server.app.db).count() == 0)
        }
    }

    // MARK: GDPR

    @Test("export: account, sessions, follows and emails, as an attachment; nothing secret; 401 signed out")
    func export() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let bob = try await server.register("bob")
            let carol = try await server.register("carol")
            try await server.runJobs()
            _ = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "alice", "password": alice.password])
            #expect(try await server.request(.POST, "/api/v1/users/bob/follow", token: alice.accessToken).status == .ok)
            #expect(try await server.request(.POST, "/api/v1/users/alice/follow", token: carol.accessToken).status == .ok)
            _ = bob

            let response = try await server.request(.GET, "/api/v1/users/me/export", token: alice.accessToken)
            #expect(response.status == .ok, "\(response.text)")
            let disposition = try #require(response.headers.first(name: "Content-Disposition"))
            #expect(disposition.hasPrefix("attachment"))
            let body = try response.object()
            #expect(body["exported_at"] is String)
            let account = try #require(body["account"] as? [String: Any])
            #expect(account["id"] as? String == alice.id)
            #expect(account["email"] as? String == "alice@example.com")
            #expect((account["counters"] as? [String: Int]) == ["followers": 1, "following": 1, "models": 0])
            let sessions = try #require(body["sessions"] as? [[String: Any]])
            #expect(sessions.count == 2)
            #expect(sessions.filter { $0["current"] as? Bool == true }.count == 1)
            #expect(((body["following"] as? [[String: Any]]) ?? []).compactMap { $0["username"] as? String } == ["bob"])
            #expect(((body["followers"] as? [[String: Any]]) ?? []).compactMap { $0["username"] as? String } == ["carol"])
            #expect((body["oauth_accounts"] as? [Any])?.isEmpty == true)
            let emails = try #require(body["emails"] as? [[String: Any]])
            #expect(emails.count == 1)
            #expect(emails.first?["to"] as? String == "alice@example.com")
            #expect(emails.first?["subject"] as? String == "Confirm your email address for HWC3D")
            #expect(emails.first?["sent_at"] is String)
            // Other people's data and secrets stay out.
            #expect(!response.text.contains("bob@example.com"))
            #expect(!response.text.contains("carol@example.com"))
            #expect(!response.text.contains("password"))
            #expect(!response.text.contains("$2"))
            #expect(!response.text.contains(alice.refreshToken))

            #expect(try await server.request(.GET, "/api/v1/users/me/export").status == .unauthorized)
        }
    }

    @Test("the export's Content-Disposition is the literal header attachment; filename=\"hwc3d-export-<username>.json\"")
    func exportContentDisposition() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let response = try await server.request(.GET, "/api/v1/users/me/export", token: alice.accessToken)
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "Content-Disposition") == "attachment; filename=\"hwc3d-export-alice.json\"")
        }
    }

    @Test("DELETE /me: wrong password 401 changes nothing; right password erases, signs out everywhere and frees the email")
    func deleteAccount() async throws {
        try await withServer { server in
            let alice = try await server.register("alice")
            let bob = try await server.register("bob")
            let carol = try await server.register("carol")
            let aliceID = try #require(UUID(uuidString: alice.id))
            let second = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "alice", "password": alice.password])
            let secondToken = try #require(try second.object()["access_token"] as? String)
            #expect(try await server.request(.POST, "/api/v1/users/alice/follow", token: bob.accessToken).status == .ok)
            #expect(try await server.request(.POST, "/api/v1/users/carol/follow", token: alice.accessToken).status == .ok)
            #expect(try await server.request(.PATCH, "/api/v1/users/me", json: ["bio": "to be erased"], token: alice.accessToken).status == .ok)

            for body in [["password": "Wrong-pass-1!"], [:]] as [[String: String]] {
                let wrong = try await server.request(.DELETE, "/api/v1/users/me", json: body, token: alice.accessToken)
                #expect(wrong.status == .unauthorized, "\(body)")
                #expect(wrong.problemType == "invalid-credentials")
            }
            var row = try #require(try await User.find(aliceID, on: server.app.db))
            #expect(row.status == .active)
            #expect(row.email == "alice@example.com")
            #expect(row.bio == "to be erased")
            #expect(try await server.request(.GET, "/api/v1/users/me", token: alice.accessToken).status == .ok)
            #expect(try await server.request(.GET, "/api/v1/users/alice").status == .ok)
            #expect(try await UserFollow.query(on: server.app.db).count() == 2)

            let deleted = try await server.request(.DELETE, "/api/v1/users/me", json: ["password": alice.password], token: alice.accessToken)
            #expect(deleted.status == .noContent, "\(deleted.text)")
            #expect(deleted.cookieAttributes("access_token")?.contains("Max-Age=0") == true)

            row = try #require(try await User.find(aliceID, on: server.app.db))
            #expect(row.status == .deleted)
            #expect(row.email != "alice@example.com")
            #expect(!row.email.contains("alice"))
            #expect(row.usernameKey != "alice")
            #expect(row.passwordHash == nil)
            #expect(row.bio == nil)
            #expect(row.displayName != "Alice")
            #expect(try await AuthSession.query(on: server.app.db).filter(\.$user.$id == aliceID).count() == 0)
            #expect(try await OutboxEmail.query(on: server.app.db).filter(\.$userID == aliceID).count() == 0)
            #expect(try await UserFollow.query(on: server.app.db).count() == 0)

            #expect(try await server.request(.GET, "/api/v1/users/me", token: alice.accessToken).status == .unauthorized)
            #expect(try await server.request(.GET, "/api/v1/users/me", token: secondToken).status == .unauthorized)
            #expect(try await server.request(.POST, "/api/v1/auth/refresh", json: ["refresh_token": alice.refreshToken]).status == .unauthorized)
            #expect(try await server.request(.POST, "/api/v1/auth/login", json: ["login": "alice@example.com", "password": alice.password]).status == .unauthorized)
            #expect(try await server.request(.GET, "/api/v1/users/alice").status == .notFound)

            // The people on the other side of each follow have exact counters again.
            #expect(try await User.find(UUID(uuidString: bob.id), on: server.app.db)?.followingCount == 0)
            #expect(try await User.find(UUID(uuidString: carol.id), on: server.app.db)?.followersCount == 0)
            let carolProfile = try await server.request(.GET, "/api/v1/users/carol").object()
            #expect((carolProfile["counters"] as? [String: Int])?["followers"] == 0)
            let bobFollowing = try await server.request(.GET, "/api/v1/users/bob/following").object()
            #expect((bobFollowing["meta"] as? [String: Int])?["total"] == 0)
            let search = try await server.request(.GET, "/api/v1/users?q=deleted").object()
            #expect((search["items"] as? [Any])?.isEmpty == true)

            let again = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": "alice@example.com", "username": "alice", "password": TestServer.goodPassword,
            ])
            #expect(again.status == .created, "\(again.text)")
            #expect(try again.object()["user"].flatMap { ($0 as? [String: Any])?["id"] as? String } != alice.id)
        }
    }

    @Test("a username or email shaped like another account's deletion placeholder cannot block that account's erasure")
    func placeholderSquatting() async throws {
        try await withServer { server in
            // Account ids are public (profiles show them), so any placeholder derived from the id is predictable.
            let alice = try await server.register("alice")
            let bob = try await server.register("bob")
            let aliceHex = alice.id.replacingOccurrences(of: "-", with: "")
            let bobHex = bob.id.replacingOccurrences(of: "-", with: "")
            let squats: [[String: String]] = [
                // The original scheme, `deleted-` + the first 13 characters of the id, as a username and as an email.
                ["email": "m1@example.com", "username": "deleted-" + alice.id.prefix(13)],
                ["email": "deleted-\(alice.id.prefix(13))@deleted.invalid", "username": "mallory_one"],
                // The full-id scheme, as an email (too long for a username).
                ["email": "deleted-\(aliceHex)@deleted.invalid", "username": "mallory_two"],
                ["email": "deleted-\(bobHex)@deleted.invalid", "username": "mallory_three"],
            ]
            for var squat in squats {
                squat["password"] = TestServer.goodPassword
                let response = try await server.request(.POST, "/api/v1/auth/register", json: squat)
                // Refusing the name up front is an equally good fix.
                #expect([.created, .unprocessableEntity, .conflict].contains(response.status), "\(squat): \(response.status)")
            }
            for person in [alice, bob] {
                let erase = try await server.request(.DELETE, "/api/v1/users/me", json: ["password": person.password], token: person.accessToken)
                #expect(erase.status == .noContent, "\(person.username): \(erase.status) \(erase.text)")
                #expect(try await User.find(UUID(uuidString: person.id), on: server.app.db)?.status == .deleted, "\(person.username)")
            }
        }
    }

    @Test("two accounts created in the same millisecond can both be deleted")
    func deleteAccountsFromTheSameMillisecond() async throws {
        try await withServer { server in
            let instant = Date()
            let hash = try await server.app.services.passwords.hash(TestServer.goodPassword)
            var tokens: [String] = []
            for name in ["twin_one", "twin_two"] {
                let user = User(email: "\(name)@example.com", username: name, passwordHash: hash, displayName: name)
                user.id = UUID.v7(now: instant)
                try await user.create(on: server.app.db)
                let login = try await server.request(.POST, "/api/v1/auth/login", json: ["login": name, "password": TestServer.goodPassword])
                #expect(login.status == .ok)
                tokens.append(try #require(try login.object()["access_token"] as? String))
            }
            for token in tokens {
                let response = try await server.request(.DELETE, "/api/v1/users/me", json: ["password": TestServer.goodPassword], token: token)
                #expect(response.status == .noContent, "\(response.status): \(response.text)")
            }
            #expect(try await User.query(on: server.app.db).filter(\.$status == .deleted).count() == 2)
        }
    }
}

private func login(_ server: TestServer, _ username: String) async throws -> String {
    let response = try await server.request(.POST, "/api/v1/auth/login", json: ["login": username, "password": TestServer.goodPassword])
    #expect(response.status == .ok)
    return try #require(try response.object()["access_token"] as? String)
}
