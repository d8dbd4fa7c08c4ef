import Fluent
import Foundation
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Registration, sign-in and sessions")
struct AuthFlowTests {
    @Test("register answers 201 with a signed-in session, cookies and a verification email")
    func registerSignsIn() async throws {
        try await withServer { server in
            let response = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": "Alice@Example.com", "username": "alice", "password": TestServer.goodPassword, "display_name": "Alice",
            ])
            #expect(response.status == .created)
            let body = try response.object()
            #expect(body["token_type"] as? String == "Bearer")
            #expect(body["expires_in"] as? Int == 900)
            let user = try #require(body["user"] as? [String: Any])
            #expect(user["email"] as? String == "alice@example.com")
            #expect(user["email_verified"] as? Bool == false)
            #expect(user["is_admin"] as? Bool == false)
            #expect(response.cookie("access_token") == body["access_token"] as? String)
            #expect(response.cookie("refresh_token") == body["refresh_token"] as? String)
            #expect(response.cookieAttributes("access_token")?.contains("HttpOnly") == true)
            #expect(response.cookieAttributes("refresh_token")?.contains("Path=/api/v1/auth") == true)
            #expect(response.cookieAttributes("csrf_token")?.contains("HttpOnly") == false)
            // Not development: cookies are Secure.
            #expect(response.cookieAttributes("access_token")?.contains("Secure") == true)

            let token = try #require(try await server.tokenFromLatestEmail(linkPath: "/verify-email"))
            let email = try #require(try server.sentEmails().last)
            #expect(email.contains("To: alice@example.com"))
            #expect(email.contains("Content-Type: text/html"))
            #expect(email.contains("Content-Type: text/plain"))

            let me = try await server.request(.GET, "/api/v1/users/me", token: body["access_token"] as? String)
            #expect(me.status == .ok)
            #expect(try me.object()["username"] as? String == "alice")

            let verified = try await server.request(.POST, "/api/v1/auth/verify-email", json: ["token": token])
            #expect(verified.status == .ok)
            #expect(try verified.object()["email_verified"] as? Bool == true)
            let reused = try await server.request(.POST, "/api/v1/auth/verify-email", json: ["token": token])
            #expect(reused.status == .unauthorized)
            #expect(reused.problemType == "invalid-token")
        }
    }

    @Test("duplicate email or username is 409; weak passwords are 422 with field errors")
    func registrationRules() async throws {
        try await withServer { server in
            _ = try await server.register("bob")
            let sameEmail = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": "BOB@example.com", "username": "bobby", "password": TestServer.goodPassword,
            ])
            #expect(sameEmail.status == .conflict)
            #expect(sameEmail.problemType == "email-taken")
            let sameName = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": "other@example.com", "username": "BOB", "password": TestServer.goodPassword,
            ])
            #expect(sameName.status == .conflict)
            #expect(sameName.problemType == "username-taken")

            for weak in ["short1!A", "alllowercase1!", "NoDigits!!aa", "NoSymbol123abc", "Password123!", "Carol-Secret-9!"] {
                let response = try await server.request(.POST, "/api/v1/auth/register", json: [
                    "email": "carol@example.com", "username": "carol", "password": weak,
                ])
                if weak == "short1!A" {
                    // 8 characters with every class: allowed.
                    #expect(response.status == .created, "\(weak): \(response.text)")
                    continue
                }
                #expect(response.status == .unprocessableEntity, "\(weak) was accepted")
                #expect(response.fieldErrors.contains("password"))
            }
            let users = try await User.query(on: server.app.db).count()
            #expect(users == 2)
        }
    }

    @Test("login by email or username; wrong password and unknown account answer the same 401")
    func login() async throws {
        try await withServer { server in
            let dave = try await server.register("dave")
            for identifier in ["dave@example.com", "DAVE", "dave"] {
                let response = try await server.request(.POST, "/api/v1/auth/login", json: ["login": identifier, "password": dave.password])
                #expect(response.status == .ok, "\(identifier)")
            }
            let byEmailField = try await server.request(.POST, "/api/v1/auth/login", json: ["email": dave.email, "password": dave.password])
            #expect(byEmailField.status == .ok)

            let wrong = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "dave", "password": "Wrong-pass-1!"])
            let unknown = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "nobody", "password": "Wrong-pass-1!"])
            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == .unauthorized)
            let wrongBody = try wrong.object(), unknownBody = try unknown.object()
            #expect(wrongBody["detail"] as? String == unknownBody["detail"] as? String)
            #expect(wrongBody["type"] as? String == unknownBody["type"] as? String)
        }
    }

    @Test("more than 10 failed logins for one account gives 429 with Retry-After, even with the right password, and for unknown accounts too")
    func loginThrottle() async throws {
        try await withServer { server in
            let erin = try await server.register("erin")
            for _ in 0..<10 {
                let response = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "erin", "password": "Wrong-pass-1!"])
                #expect(response.status == .unauthorized)
            }
            let blocked = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "erin", "password": erin.password])
            #expect(blocked.status == .tooManyRequests)
            #expect(blocked.problemType == "login-throttled")
            let retryAfter = try #require(blocked.headers.first(name: "Retry-After").flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 900)

            for _ in 0..<10 {
                _ = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "ghost@example.com", "password": "Wrong-pass-1!"])
            }
            let ghost = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "ghost@example.com", "password": "Wrong-pass-1!"])
            #expect(ghost.status == .tooManyRequests)
        }
    }

    @Test("failed logins from one IP across many accounts are throttled per IP")
    func loginThrottlePerIP() async throws {
        try await withServer(["LOGIN_FAILURE_LIMIT": "3"]) { server in
            for index in 0..<3 {
                _ = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "user\(index)", "password": "Wrong-pass-1!"])
            }
            let next = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "someone-else", "password": "Wrong-pass-1!"])
            #expect(next.status == .tooManyRequests)
        }
    }

    @Test("refresh rotates the token; replaying a rotated token revokes the whole session")
    func refreshRotationAndReuse() async throws {
        try await withServer { server in
            let frank = try await server.register("frank")
            let first = try await server.request(.POST, "/api/v1/auth/refresh", json: ["refresh_token": frank.refreshToken])
            #expect(first.status == .ok)
            let second = try first.object()["refresh_token"] as? String
            #expect(second != nil && second != frank.refreshToken)
            let third = try await server.request(.POST, "/api/v1/auth/refresh", json: ["refresh_token": second!])
            #expect(third.status == .ok)
            let latestRefresh = try third.object()["refresh_token"] as? String
            let latestAccess = try third.object()["access_token"] as? String

            let replay = try await server.request(.POST, "/api/v1/auth/refresh", json: ["refresh_token": frank.refreshToken])
            #expect(replay.status == .unauthorized)
            // The family is gone: the newest tokens stop working too.
            let afterReplay = try await server.request(.POST, "/api/v1/auth/refresh", json: ["refresh_token": latestRefresh!])
            #expect(afterReplay.status == .unauthorized)
            let me = try await server.request(.GET, "/api/v1/users/me", token: latestAccess)
            #expect(me.status == .unauthorized)
            let session = try #require(try await AuthSession.query(on: server.app.db).first())
            #expect(session.revokeReason == "refresh_token_reuse")
        }
    }

    @Test("refresh with the cookie needs the CSRF header; cookie-authenticated writes need X-CSRF-Token")
    func csrf() async throws {
        try await withServer { server in
            let register = try await server.request(.POST, "/api/v1/auth/register", json: [
                "email": "gina@example.com", "username": "gina", "password": TestServer.goodPassword,
            ])
            let access = try #require(register.cookie("access_token"))
            let refresh = try #require(register.cookie("refresh_token"))
            let csrf = try #require(register.cookie("csrf_token"))
            let cookies = "access_token=\(access); refresh_token=\(refresh); csrf_token=\(csrf)"

            let read = try await server.request(.GET, "/api/v1/users/me", headers: [("Cookie", cookies)])
            #expect(read.status == .ok)
            let writeWithout = try await server.request(.PATCH, "/api/v1/users/me", json: ["bio": "hi"], headers: [("Cookie", cookies)])
            #expect(writeWithout.status == .forbidden)
            #expect(writeWithout.problemType == "csrf")
            let writeWrong = try await server.request(
                .PATCH, "/api/v1/users/me", json: ["bio": "hi"], headers: [("Cookie", cookies), ("X-CSRF-Token", "forged")])
            #expect(writeWrong.status == .forbidden)
            let writeWith = try await server.request(
                .PATCH, "/api/v1/users/me", json: ["bio": "hi"], headers: [("Cookie", cookies), ("X-CSRF-Token", csrf)])
            #expect(writeWith.status == .ok)

            let refreshWithout = try await server.request(.POST, "/api/v1/auth/refresh", headers: [("Cookie", cookies)])
            #expect(refreshWithout.status == .forbidden)
            let refreshWith = try await server.request(.POST, "/api/v1/auth/refresh", headers: [("Cookie", cookies), ("X-CSRF-Token", csrf)])
            #expect(refreshWith.status == .ok)
        }
    }

    @Test("logout revokes the session and clears cookies; logout-all ends every session")
    func logout() async throws {
        try await withServer { server in
            let hank = try await server.register("hank")
            let second = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "hank", "password": hank.password])
            let secondToken = try second.object()["access_token"] as? String

            let logout = try await server.request(.POST, "/api/v1/auth/logout", token: hank.accessToken)
            #expect(logout.status == .noContent)
            #expect(logout.cookieAttributes("access_token")?.contains("Max-Age=0") == true)
            #expect(try await server.request(.GET, "/api/v1/users/me", token: hank.accessToken).status == .unauthorized)
            #expect(try await server.request(.GET, "/api/v1/users/me", token: secondToken).status == .ok)

            #expect(try await server.request(.POST, "/api/v1/auth/logout-all", token: secondToken).status == .noContent)
            #expect(try await server.request(.GET, "/api/v1/users/me", token: secondToken).status == .unauthorized)
            let active = try await AuthSession.query(on: server.app.db).filter(\.$revokedAt == nil).count()
            #expect(active == 0)
        }
    }

    @Test("sessions list marks the current one; another user's session id is 404 and stays active")
    func sessions() async throws {
        try await withServer { server in
            let ivy = try await server.register("ivy")
            let jack = try await server.register("jack")
            let list = try await server.request(.GET, "/api/v1/auth/sessions", token: ivy.accessToken)
            #expect(list.status == .ok)
            let items = try #require(try list.object()["items"] as? [[String: Any]])
            #expect(items.count == 1)
            #expect(items[0]["current"] as? Bool == true)

            let jackSessions = try await server.request(.GET, "/api/v1/auth/sessions", token: jack.accessToken)
            let jackSessionID = try #require((try jackSessions.object()["items"] as? [[String: Any]])?.first?["id"] as? String)
            let steal = try await server.request(.DELETE, "/api/v1/auth/sessions/\(jackSessionID)", token: ivy.accessToken)
            #expect(steal.status == .notFound)
            #expect(try await server.request(.GET, "/api/v1/users/me", token: jack.accessToken).status == .ok)
            let garbage = try await server.request(.DELETE, "/api/v1/auth/sessions/not-a-uuid", token: ivy.accessToken)
            #expect(garbage.status == .notFound)

            let own = try await server.request(.DELETE, "/api/v1/auth/sessions/\(jackSessionID)", token: jack.accessToken)
            #expect(own.status == .noContent)
            #expect(try await server.request(.GET, "/api/v1/users/me", token: jack.accessToken).status == .unauthorized)
        }
    }

    @Test("forgot-password is 202 for known and unknown addresses; the reset link works once and signs everyone out")
    func passwordReset() async throws {
        try await withServer { server in
            let kate = try await server.register("kate")
            let unknown = try await server.request(.POST, "/api/v1/auth/forgot-password", json: ["email": "nobody@example.com"])
            let known = try await server.request(.POST, "/api/v1/auth/forgot-password", json: ["email": "KATE@example.com"])
            #expect(unknown.status == .accepted)
            #expect(known.status == .accepted)
            #expect(try unknown.object()["message"] as? String == (try known.object()["message"] as? String))

            let token = try #require(try await server.tokenFromLatestEmail(linkPath: "/reset-password"))
            let weak = try await server.request(.POST, "/api/v1/auth/reset-password", json: ["token": token, "password": "weak"])
            #expect(weak.status == .unprocessableEntity)
            let newPassword = "Brand-New-Pass-7?"
            let reset = try await server.request(.POST, "/api/v1/auth/reset-password", json: ["token": token, "password": newPassword])
            #expect(reset.status == .noContent)
            let again = try await server.request(.POST, "/api/v1/auth/reset-password", json: ["token": token, "password": newPassword])
            #expect(again.status == .unauthorized)
            let forged = try await server.request(.POST, "/api/v1/auth/reset-password", json: ["token": "forged-token", "password": newPassword])
            #expect(forged.status == .unauthorized)

            #expect(try await server.request(.GET, "/api/v1/users/me", token: kate.accessToken).status == .unauthorized)
            let oldLogin = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "kate", "password": kate.password])
            #expect(oldLogin.status == .unauthorized)
            let newLogin = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "kate", "password": newPassword])
            #expect(newLogin.status == .ok)
        }
    }

    @Test("an expired reset link is refused")
    func expiredResetLink() async throws {
        try await withServer { server in
            _ = try await server.register("liam")
            _ = try await server.request(.POST, "/api/v1/auth/forgot-password", json: ["email": "liam@example.com"])
            let token = try #require(try await server.tokenFromLatestEmail(linkPath: "/reset-password"))
            try await OneTimeToken.query(on: server.app.db).filter(\.$purpose == "reset_password")
                .set(\.$expiresAt, to: Date().addingTimeInterval(-1)).update()
            let reset = try await server.request(.POST, "/api/v1/auth/reset-password", json: ["token": token, "password": "Brand-New-Pass-7?"])
            #expect(reset.status == .unauthorized)
        }
    }

    @Test("change-password needs the current password and keeps only this session")
    func changePassword() async throws {
        try await withServer { server in
            let mia = try await server.register("mia")
            let other = try await server.request(.POST, "/api/v1/auth/login", json: ["login": "mia", "password": mia.password])
            let otherToken = try other.object()["access_token"] as? String
            let wrong = try await server.request(.POST, "/api/v1/auth/change-password", json: [
                "current_password": "Not-It-123!", "new_password": "Another-Pass-9!",
            ], token: mia.accessToken)
            #expect(wrong.status == .unauthorized)
            let ok = try await server.request(.POST, "/api/v1/auth/change-password", json: [
                "current_password": mia.password, "new_password": "Another-Pass-9!",
            ], token: mia.accessToken)
            #expect(ok.status == .noContent)
            #expect(try await server.request(.GET, "/api/v1/users/me", token: mia.accessToken).status == .ok)
            #expect(try await server.request(.GET, "/api/v1/users/me", token: otherToken).status == .unauthorized)
        }
    }

    @Test("resend-verification sends a new link and retires the old one; verified users get 409")
    func resendVerification() async throws {
        try await withServer { server in
            let noah = try await server.register("noah")
            let first = try #require(try await server.tokenFromLatestEmail(linkPath: "/verify-email"))
            let resend = try await server.request(.POST, "/api/v1/auth/resend-verification", token: noah.accessToken)
            #expect(resend.status == .accepted)
            let second = try #require(try await server.tokenFromLatestEmail(linkPath: "/verify-email"))
            #expect(first != second)
            #expect(try await server.request(.POST, "/api/v1/auth/verify-email", json: ["token": first]).status == .unauthorized)
            #expect(try await server.request(.POST, "/api/v1/auth/verify-email", json: ["token": second]).status == .ok)
            let again = try await server.request(.POST, "/api/v1/auth/resend-verification", token: noah.accessToken)
            #expect(again.status == .conflict)
        }
    }
}
