import Fluent
import Foundation
import Testing
import VaporTesting

@testable import HWC3D

@Suite("Admin sign-in, second factors, TOTP and the admin user list")
struct AdminAuthTests {
    // MARK: sign-in with an emailed code

    @Test("admin login answers a challenge with methods [email]; the emailed code opens an admin session, once")
    func emailCodeSignIn() async throws {
        try await withServer { server in
            let boss = try await server.makeAdmin("boss")
            let login = try await server.adminLogin(boss.email, password: boss.password)
            #expect(login.status == .ok, "\(login.text)")
            let challenge = try login.object()
            #expect(challenge["otp_required"] as? Bool == true)
            #expect(challenge["methods"] as? [String] == ["email"])
            #expect(challenge["expires_in"] as? Int == 600)
            let challengeToken = try #require(challenge["challenge_token"] as? String)
            // The password step opens no session and sets no cookies.
            #expect(login.cookie("access_token") == nil)
            #expect(login.cookie("refresh_token") == nil)
            #expect(challenge["access_token"] == nil)

            let code = try #require(try await server.latestAdminCode(to: boss.email))
            #expect(code.count == 6 && code.allSatisfy(\.isNumber))
            let email = try #require(try server.sentEmails().last { $0.contains("admin sign-in code") })
            #expect(email.contains("To: \(boss.email)"))
            #expect(email.contains("Subject: Your HWC3D admin sign-in code: \(code)"))

            let sessionsBefore = try await AuthSession.query(on: server.app.db).count()
            let verify = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                "challenge_token": challengeToken, "code": code,
            ])
            #expect(verify.status == .ok, "\(verify.text)")
            let body = try verify.object()
            let accessToken = try #require(body["access_token"] as? String)
            #expect((body["refresh_token"] as? String)?.isEmpty == false)
            #expect(body["token_type"] as? String == "Bearer")
            #expect(body["expires_in"] as? Int == 900)
            let user = try #require(body["user"] as? [String: Any])
            #expect(user["id"] as? String == boss.id)
            #expect(user["is_admin"] as? Bool == true)
            let admin = try #require(body["admin"] as? [String: Any])
            #expect(admin["role"] as? String == "super_admin")
            #expect(admin["permissions"] as? [String] == AdminPermission.allCases.map(\.rawValue).sorted())
            #expect(admin["totp_enabled"] as? Bool == false)
            #expect(verify.cookie("access_token") == accessToken)
            #expect(verify.cookie("refresh_token") == body["refresh_token"] as? String)

            // One new session, and it is an admin session.
            #expect(try await AuthSession.query(on: server.app.db).count() == sessionsBefore + 1)
            let adminSessions = try await AuthSession.query(on: server.app.db).filter(\.$isAdmin == true).all()
            #expect(adminSessions.count == 1)
            #expect(adminSessions.first?.$user.id.uuidString.lowercased() == boss.id)
            let stored = try #require(try await OneTimeToken.query(on: server.app.db).filter(\.$purpose == "admin_challenge").first())
            #expect(stored.usedAt != nil)

            // The same code (and challenge) again: refused.
            let again = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                "challenge_token": challengeToken, "code": code,
            ])
            #expect(again.status == .unauthorized)
            #expect(again.problemType == "invalid-token")
            #expect(try await AuthSession.query(on: server.app.db).filter(\.$isAdmin == true).count() == 1)

            // The admin session reaches /admin.
            let list = try await server.request(.GET, "/api/v1/admin/users", token: accessToken)
            #expect(list.status == .ok)
        }
    }

    @Test("five wrong codes exhaust the challenge: the right code is then refused too")
    func codeAttemptLimit() async throws {
        try await withServer { server in
            let boss = try await server.makeAdmin("boss")
            let challenge = try await server.adminChallenge(boss.email, password: boss.password)
            let code = try #require(try await server.latestAdminCode(to: boss.email))
            let wrong = code == "000000" ? "111111" : "000000"
            for attempt in 1...AdminAuthService.maxCodeAttempts {
                let response = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                    "challenge_token": challenge, "code": wrong,
                ])
                #expect(response.status == .unauthorized, "attempt \(attempt)")
                #expect(response.problemType == "invalid-token")
            }
            let stored = try #require(try await OneTimeToken.query(on: server.app.db).filter(\.$purpose == "admin_challenge").first())
            #expect(stored.attempts == AdminAuthService.maxCodeAttempts)
            let right = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                "challenge_token": challenge, "code": code,
            ])
            #expect(right.status == .unauthorized)
            #expect(try right.object()["detail"] as? String == "Too many wrong codes; sign in again.")
            #expect(try await AuthSession.query(on: server.app.db).filter(\.$isAdmin == true).count() == 0)

            // Signing in again starts a fresh challenge with a fresh budget.
            let session = try await server.adminSignIn(boss)
            #expect(session["access_token"] is String)
        }
    }

    @Test("a fourth wrong code still leaves the right one usable")
    func codeAttemptsBelowLimit() async throws {
        try await withServer { server in
            let boss = try await server.makeAdmin("boss")
            let challenge = try await server.adminChallenge(boss.email, password: boss.password)
            let code = try #require(try await server.latestAdminCode(to: boss.email))
            let wrong = code == "000000" ? "111111" : "000000"
            for _ in 1..<AdminAuthService.maxCodeAttempts {
                _ = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: ["challenge_token": challenge, "code": wrong])
            }
            let right = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                "challenge_token": challenge, "code": " \(code.prefix(3)) \(code.suffix(3)) ",
            ])
            #expect(right.status == .ok, "spaces in the code are ignored: \(right.text)")
        }
    }

    @Test("resend-otp emails a new code and retires the previous one")
    func resendCode() async throws {
        try await withServer { server in
            let boss = try await server.makeAdmin("boss")
            let challenge = try await server.adminChallenge(boss.email, password: boss.password)
            let first = try #require(try await server.latestAdminCode(to: boss.email))
            let countBefore = try server.adminCodes(to: boss.email).count
            let resend = try await server.request(.POST, "/api/v1/admin/auth/resend-otp", json: ["challenge_token": challenge])
            #expect(resend.status == .accepted)
            #expect(try resend.object()["status"] as? String == "accepted")
            let second = try #require(try await server.latestAdminCode(to: boss.email))
            #expect(try server.adminCodes(to: boss.email).count == countBefore + 1)
            if first != second {
                let old = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: ["challenge_token": challenge, "code": first])
                #expect(old.status == .unauthorized)
            }
            let new = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: ["challenge_token": challenge, "code": second])
            #expect(new.status == .ok)
            let forged = try await server.request(.POST, "/api/v1/admin/auth/resend-otp", json: ["challenge_token": "forged"])
            #expect(forged.status == .unauthorized)
            #expect(forged.problemType == "invalid-token")
        }
    }

    @Test("a non-admin, a wrong password and an unknown address all get the same 401 at admin login")
    func nonAdminLogin() async throws {
        try await withServer { server in
            let boss = try await server.makeAdmin("boss")
            let norm = try await server.register("norm", password: TestServer.adminPassword, verified: true)
            let mailsBefore = try server.sentEmails().count

            let nonAdmin = try await server.adminLogin(norm.email, password: norm.password)
            let wrongPassword = try await server.adminLogin(boss.email, password: "Not-The-Password-123")
            let unknown = try await server.adminLogin("ghost@example.com", password: "Not-The-Password-123")
            for response in [nonAdmin, wrongPassword, unknown] {
                #expect(response.status == .unauthorized)
                #expect(response.problemType == "invalid-credentials")
                #expect(response.cookie("access_token") == nil)
            }
            #expect(try nonAdmin.problemCore() == wrongPassword.problemCore())
            #expect(try unknown.problemCore() == wrongPassword.problemCore())
            // No code was emailed, no challenge was created.
            try await server.runJobs()
            #expect(try server.sentEmails().count == mailsBefore)
            #expect(try await OneTimeToken.query(on: server.app.db).filter(\.$purpose == "admin_challenge").count() == 0)

            // A suspended admin is refused the same way.
            try await User.query(on: server.app.db).filter(\.$email == boss.email).set(\.$status, to: .suspended).update()
            let suspended = try await server.adminLogin(boss.email, password: boss.password)
            #expect(suspended.status == .unauthorized)
            #expect(try suspended.problemCore() == wrongPassword.problemCore())
        }
    }

    @Test("forged, expired and wrong-kind challenge tokens are 401")
    func badChallengeTokens() async throws {
        try await withServer { server in
            let boss = try await server.makeAdmin("boss")
            let forged = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                "challenge_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged", "code": "123456",
            ])
            #expect(forged.status == .unauthorized)
            #expect(forged.problemType == "invalid-token")

            // An access token is not a challenge token, nor the other way round.
            let accessToken = try #require(try await server.adminSignIn(boss)["access_token"] as? String)
            let wrongKind = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                "challenge_token": accessToken, "code": "123456",
            ])
            #expect(wrongKind.status == .unauthorized)
            let challenge = try await server.adminChallenge(boss.email, password: boss.password)
            let challengeAsBearer = try await server.request(.GET, "/api/v1/users/me", token: challenge)
            #expect(challengeAsBearer.status == .unauthorized)

            // Expired: the right code no longer helps.
            let code = try #require(try await server.latestAdminCode(to: boss.email))
            try await OneTimeToken.query(on: server.app.db).filter(\.$purpose == "admin_challenge").filter(\.$usedAt == nil)
                .set(\.$expiresAt, to: Date().addingTimeInterval(-1)).update()
            let expired = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                "challenge_token": challenge, "code": code,
            ])
            #expect(expired.status == .unauthorized)
            #expect(expired.problemType == "invalid-token")
            #expect(try await AuthSession.query(on: server.app.db).filter(\.$isAdmin == true).count() == 1)
        }
    }

    // MARK: admin user list and permissions

    @Test("/admin needs an admin session: a normal session of the same admin is 403, no token 401, a non-admin 403")
    func adminSessionRequired() async throws {
        try await withServer { server in
            let boss = try await server.makeAdmin("boss")
            let alice = try await server.register("alice")
            let normal = try await server.request(.POST, "/api/v1/auth/login", json: ["login": boss.email, "password": boss.password])
            #expect(normal.status == .ok)
            let normalToken = try #require(try normal.object()["access_token"] as? String)

            let asNormal = try await server.request(.GET, "/api/v1/admin/users", token: normalToken)
            #expect(asNormal.status == .forbidden)
            #expect(asNormal.problemType == "forbidden")
            let asAlice = try await server.request(.GET, "/api/v1/admin/users", token: alice.accessToken)
            #expect(asAlice.status == .forbidden)
            #expect(asAlice.problemType == "forbidden")
            let anonymous = try await server.request(.GET, "/api/v1/admin/users")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.problemType == "unauthenticated")

            // Every role has users.read, so the permission-denied case is the TOTP routes without a 2FA session.
            #expect(AdminRole.allCases.allSatisfy { $0.permissions.contains(.usersRead) })
            let setup = try await server.request(.POST, "/api/v1/admin/auth/totp/setup", token: normalToken)
            #expect(setup.status == .forbidden)
            #expect(setup.problemType == "forbidden")
            let confirm = try await server.request(.POST, "/api/v1/admin/auth/totp/confirm", json: ["code": "123456"], token: normalToken)
            #expect(confirm.status == .forbidden)
            let disable = try await server.request(.DELETE, "/api/v1/admin/auth/totp", json: ["code": "123456"], token: normalToken)
            #expect(disable.status == .forbidden)
            let anonymousSetup = try await server.request(.POST, "/api/v1/admin/auth/totp/setup")
            #expect(anonymousSetup.status == .unauthorized)
            let admin = try #require(try await AdminUser.query(on: server.app.db).first())
            #expect(admin.totpPendingSecret == nil)

            // Losing the admin role ends /admin access for an admin session already open.
            let adminToken = try #require(try await server.adminSignIn(boss)["access_token"] as? String)
            #expect(try await server.request(.GET, "/api/v1/admin/users", token: adminToken).status == .ok)
            try await admin.delete(on: server.app.db)
            #expect(try await server.request(.GET, "/api/v1/admin/users", token: adminToken).status == .forbidden)
        }
    }

    @Test("create-admin makes a support admin, who signs in with an emailed code and may list users")
    func createAdminCommandSupportRole() async throws {
        try await withServer { server in
            _ = try await server.register("alice")
            let password = "Support-Desk-Passphrase-7"
            var context = CommandContext(console: Terminal(), input: CommandInput(arguments: [
                "hwc3d", "--email", "Sam.Support@Example.com", "--password", password, "--role", "support",
            ]))
            context.application = server.app
            try await CreateAdminCommand().run(using: &context)

            let user = try #require(try await User.query(on: server.app.db).filter(\.$email == "sam.support@example.com").first())
            #expect(user.username == "samsupport")
            #expect(user.isEmailVerified)
            let adminRow = try #require(try await AdminUser.query(on: server.app.db).filter(\.$user.$id == user.id!).first())
            #expect(adminRow.role == "support")
            let audit = try await AdminAction.query(on: server.app.db).filter(\.$action == "admin.create_cli").all()
            #expect(audit.count == 1)
            #expect(audit.first?.targetID?.lowercased() == user.id!.uuidString.lowercased())
            #expect(audit.first?.ip == "cli")

            let challenge = try await server.adminChallenge("sam.support@example.com", password: password)
            let code = try #require(try await server.latestAdminCode(to: "sam.support@example.com"))
            let verify = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: ["challenge_token": challenge, "code": code])
            #expect(verify.status == .ok)
            let body = try verify.object()
            let admin = try #require(body["admin"] as? [String: Any])
            #expect(admin["role"] as? String == "support")
            #expect(admin["permissions"] as? [String] == ["support.handle", "users.read"])
            let token = try #require(body["access_token"] as? String)
            let list = try await server.request(.GET, "/api/v1/admin/users?is_admin=false", token: token)
            #expect(list.status == .ok)
            #expect((try list.object()["items"] as? [[String: Any]])?.compactMap { $0["username"] as? String } == ["alice"])

            // A weak admin password is refused by the command.
            var weak = CommandContext(console: Terminal(), input: CommandInput(arguments: [
                "hwc3d", "--email", "other@example.com", "--password", "Short-pw-9x",
            ]))
            weak.application = server.app
            do {
                try await CreateAdminCommand().run(using: &weak)
                Issue.record("create-admin accepted an 11-character password")
            } catch {
                #expect("\(error)".contains("--password"), "\(error)")
            }
            #expect(try await User.query(on: server.app.db).filter(\.$email == "other@example.com").count() == 0)
        }
    }

    // MARK: TOTP

    @Test("TOTP: setup, confirm, sign in with TOTP and recovery codes, resend refused, disable back to email codes")
    func totpLifecycle() async throws {
        try await withServer { server in
            let boss = try await server.makeAdmin("boss")
            let token = try #require(try await server.adminSignIn(boss)["access_token"] as? String)

            let setup = try await server.request(.POST, "/api/v1/admin/auth/totp/setup", token: token)
            #expect(setup.status == .ok, "\(setup.text)")
            let setupBody = try setup.object()
            let secret = try #require(setupBody["secret"] as? String)
            let uri = try #require(setupBody["otpauth_uri"] as? String)
            #expect(secret.count == 32 && secret.allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".contains($0) })
            let uriParts = try #require(URLComponents(string: uri))
            #expect(uriParts.scheme == "otpauth")
            #expect(uriParts.host == "totp")
            #expect(uriParts.path == "/HWC3D:\(boss.email)")
            let uriQuery = try #require(uriParts.queryItems)
            #expect(uriQuery.first { $0.name == "secret" }?.value == secret)
            #expect(uriQuery.first { $0.name == "issuer" }?.value == "HWC3D")
            #expect(uri.contains("issuer=HWC3D"))
            let totp = HWC3D.TOTP(secret: try #require(HWC3D.Base32.decode(secret)))
            #expect(totp.secret.count == 20)

            var adminRow = try #require(try await AdminUser.query(on: server.app.db).first())
            #expect(adminRow.totpPendingSecret != nil)
            #expect(adminRow.totpPendingSecret != secret, "the pending secret is stored sealed")
            #expect(adminRow.totpSecret == nil)
            #expect(adminRow.totpEnabledAt == nil)

            // Until confirmed, sign-in codes are still emailed.
            let pendingLogin = try await server.adminLogin(boss.email, password: boss.password)
            #expect(try pendingLogin.object()["methods"] as? [String] == ["email"])

            // A wrong code at confirm.
            let step = try await stableTOTPStep()
            let wrong = Self.codeOutside(totp, around: step)
            let wrongConfirm = try await server.request(.POST, "/api/v1/admin/auth/totp/confirm", json: ["code": wrong], token: token)
            #expect(wrongConfirm.status == .unprocessableEntity)
            #expect(wrongConfirm.fieldErrors == ["code"])
            #expect(try await AdminUser.query(on: server.app.db).first()?.totpEnabledAt == nil)

            // Confirm with the previous step's code (accepted within ±1), so that the current and the next code
            // are left for the sign-in and the disable below without waiting for the clock.
            let confirm = try await server.request(
                .POST, "/api/v1/admin/auth/totp/confirm", json: ["code": totp.code(forStep: step - 1)], token: token)
            #expect(confirm.status == .ok, "\(confirm.text)")
            let recoveryCodes = try #require(try confirm.object()["recovery_codes"] as? [String])
            #expect(recoveryCodes.count == 10)
            #expect(Set(recoveryCodes).count == 10)
            #expect(recoveryCodes.allSatisfy { $0.wholeMatch(of: #/[A-HJ-NP-Z2-9]{5}-[A-HJ-NP-Z2-9]{5}/#) != nil })
            adminRow = try #require(try await AdminUser.query(on: server.app.db).first())
            #expect(adminRow.totpEnabledAt != nil)
            #expect(adminRow.totpSecret != nil && adminRow.totpSecret != secret)
            #expect(adminRow.totpPendingSecret == nil)
            #expect(adminRow.totpLastStep == step - 1)
            #expect(adminRow.recoveryCodeHashes.count == 10)
            #expect(!adminRow.recoveryCodeHashes.contains(recoveryCodes[0]), "only hashes are stored")

            let enableAudit = try await AdminAction.query(on: server.app.db).filter(\.$action == "totp.enable").all()
            #expect(enableAudit.count == 1)
            #expect(enableAudit.first?.actorUserID?.uuidString.lowercased() == boss.id)
            #expect(enableAudit.first?.targetType == "admin_user")
            #expect(enableAudit.first?.targetID?.lowercased() == adminRow.id?.uuidString.lowercased())

            // Enrolled: a second setup is a conflict.
            let setupAgain = try await server.request(.POST, "/api/v1/admin/auth/totp/setup", token: token)
            #expect(setupAgain.status == .conflict)
            #expect(setupAgain.problemType == "totp-enabled")

            // Sign-in now asks for TOTP or a recovery code, and emails nothing.
            try await server.runJobs()
            let mailsBefore = try server.adminCodes(to: boss.email).count
            let login = try await server.adminLogin(boss.email, password: boss.password)
            #expect(login.status == .ok)
            #expect(try login.object()["methods"] as? [String] == ["totp", "recovery_code"])
            let challenge = try #require(try login.object()["challenge_token"] as? String)
            try await server.runJobs()
            #expect(try server.adminCodes(to: boss.email).count == mailsBefore)
            let resend = try await server.request(.POST, "/api/v1/admin/auth/resend-otp", json: ["challenge_token": challenge])
            #expect(resend.status == .conflict)
            #expect(resend.problemType == "totp-enrolled")

            // The code used to confirm cannot be used again; the next one works.
            let replay = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                "challenge_token": challenge, "code": totp.code(forStep: step - 1),
            ])
            #expect(replay.status == .unauthorized)
            let viaTOTP = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                "challenge_token": challenge, "code": totp.code(forStep: step),
            ])
            #expect(viaTOTP.status == .ok, "\(viaTOTP.text)")
            #expect((try viaTOTP.object()["admin"] as? [String: Any])?["totp_enabled"] as? Bool == true)
            #expect(try await AdminUser.query(on: server.app.db).first()?.totpLastStep == step)

            // A recovery code works once.
            let recoveryChallenge = try await server.adminChallenge(boss.email, password: boss.password)
            let viaRecovery = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                "challenge_token": recoveryChallenge, "code": recoveryCodes[3],
            ])
            #expect(viaRecovery.status == .ok, "\(viaRecovery.text)")
            #expect(try await AdminUser.query(on: server.app.db).first()?.recoveryCodeHashes.count == 9)
            let secondChallenge = try await server.adminChallenge(boss.email, password: boss.password)
            let recoveryAgain = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                "challenge_token": secondChallenge, "code": recoveryCodes[3],
            ])
            #expect(recoveryAgain.status == .unauthorized)
            #expect(recoveryAgain.problemType == "invalid-token")
            // Recovery codes are read case-insensitively.
            let lowercased = try await server.request(.POST, "/api/v1/admin/auth/verify-otp", json: [
                "challenge_token": secondChallenge, "code": recoveryCodes[4].lowercased(),
            ])
            #expect(lowercased.status == .ok)

            // Disabling needs a current code: a wrong one is 422, then the next step's code works.
            let wrongDisable = try await server.request(.DELETE, "/api/v1/admin/auth/totp", json: [
                "code": Self.codeOutside(totp, around: step),
            ], token: token)
            #expect(wrongDisable.status == .unprocessableEntity)
            #expect(wrongDisable.fieldErrors == ["code"])
            let disable = try await server.request(.DELETE, "/api/v1/admin/auth/totp", json: ["code": totp.code(forStep: step + 1)], token: token)
            #expect(disable.status == .noContent, "\(disable.text)")
            adminRow = try #require(try await AdminUser.query(on: server.app.db).first())
            #expect(adminRow.totpSecret == nil)
            #expect(adminRow.totpEnabledAt == nil)
            #expect(adminRow.recoveryCodeHashes.isEmpty)
            let disableAudit = try await AdminAction.query(on: server.app.db).filter(\.$action == "totp.disable").all()
            #expect(disableAudit.count == 1)
            #expect(disableAudit.first?.actorUserID?.uuidString.lowercased() == boss.id)
            #expect(disableAudit.first?.targetID?.lowercased() == adminRow.id?.uuidString.lowercased())

            let disableAgain = try await server.request(.DELETE, "/api/v1/admin/auth/totp", json: ["code": totp.code(forStep: step + 1)], token: token)
            #expect(disableAgain.status == .conflict)
            #expect(disableAgain.problemType == "totp-not-enabled")

            // Back to emailed codes.
            let emailAgain = try await server.adminSignIn(boss)
            #expect((emailAgain["admin"] as? [String: Any])?["totp_enabled"] as? Bool == false)
            let afterDisable = try await server.adminLogin(boss.email, password: boss.password)
            #expect(try afterDisable.object()["methods"] as? [String] == ["email"])
        }
    }

    @Test("confirm without a pending setup is 409")
    func confirmWithoutSetup() async throws {
        try await withServer { server in
            let boss = try await server.makeAdmin("boss")
            let token = try #require(try await server.adminSignIn(boss)["access_token"] as? String)
            let confirm = try await server.request(.POST, "/api/v1/admin/auth/totp/confirm", json: ["code": "123456"], token: token)
            #expect(confirm.status == .conflict)
            #expect(confirm.problemType == "no-totp-setup")
            let disable = try await server.request(.DELETE, "/api/v1/admin/auth/totp", json: ["code": "123456"], token: token)
            #expect(disable.status == .conflict)
            #expect(disable.problemType == "totp-not-enabled")
            #expect(try await AdminAction.query(on: server.app.db).count() == 0)
        }
    }

    // MARK: password reset

    @Test("admin forgot-password is 202 for anyone; the admin link resets with the 12-character policy and ends every session")
    func adminPasswordReset() async throws {
        try await withServer { server in
            let boss = try await server.makeAdmin("boss")
            let norm = try await server.register("norm")
            let adminToken = try #require(try await server.adminSignIn(boss)["access_token"] as? String)
            let normalSession = try await server.request(.POST, "/api/v1/auth/login", json: ["login": boss.email, "password": boss.password])
            let normalToken = try #require(try normalSession.object()["access_token"] as? String)
            try await server.runJobs()
            let mailsBefore = try server.sentEmails().count

            let unknown = try await server.request(.POST, "/api/v1/admin/auth/forgot-password", json: ["email": "nobody@example.com"])
            let nonAdmin = try await server.request(.POST, "/api/v1/admin/auth/forgot-password", json: ["email": norm.email])
            #expect(unknown.status == .accepted)
            #expect(nonAdmin.status == .accepted)
            try await server.runJobs()
            #expect(try server.sentEmails().count == mailsBefore, "no email for unknown addresses or non-admins")
            let known = try await server.request(.POST, "/api/v1/admin/auth/forgot-password", json: ["email": "BOSS@example.com"])
            #expect(known.status == .accepted)
            #expect(try known.object()["message"] as? String == (try unknown.object()["message"] as? String))

            let token = try #require(try await server.tokenFromLatestEmail(linkPath: "/admin/reset-password"))
            let email = try #require(try server.sentEmails().last)
            #expect(email.contains("\(TestServer.frontend)/admin/reset-password?token=\(token)"))
            #expect(email.contains("To: \(boss.email)"))
            #expect(email.contains("Subject: Reset your HWC3D admin password"))

            // The admin token is not a user reset token.
            let asUserReset = try await server.request(.POST, "/api/v1/auth/reset-password", json: ["token": token, "password": "Another-Long-Passphrase-1"])
            #expect(asUserReset.status == .unauthorized)

            let short = try await server.request(.POST, "/api/v1/admin/auth/reset-password", json: ["token": token, "password": "Qz-Xk7-Wm9p"])
            #expect(short.status == .unprocessableEntity)
            #expect(short.fieldErrors == ["password"])
            // The link survives a refused password.
            let newPassword = "Qz-Xk7-Wm9p-Lr4t"
            let reset = try await server.request(.POST, "/api/v1/admin/auth/reset-password", json: ["token": token, "password": newPassword])
            #expect(reset.status == .noContent, "\(reset.text)")
            #expect(reset.cookieAttributes("access_token")?.contains("Max-Age=0") == true)
            let again = try await server.request(.POST, "/api/v1/admin/auth/reset-password", json: ["token": token, "password": newPassword])
            #expect(again.status == .unauthorized)
            #expect(again.problemType == "invalid-token")

            #expect(try await server.request(.GET, "/api/v1/admin/users", token: adminToken).status == .unauthorized)
            #expect(try await server.request(.GET, "/api/v1/users/me", token: normalToken).status == .unauthorized)
            let active = try await AuthSession.query(on: server.app.db).filter(\.$revokedAt == nil)
                .filter(\.$user.$id == UUID(uuidString: boss.id)!).count()
            #expect(active == 0)
            #expect(try await server.adminLogin(boss.email, password: boss.password).status == .unauthorized)
            #expect(try await server.adminLogin(boss.email, password: newPassword).status == .ok)
        }
    }

    @Test("an admin cannot get around the 12-character admin policy through the user reset link")
    func userResetLinkKeepsAdminPolicy() async throws {
        try await withServer { server in
            let boss = try await server.makeAdmin("boss")
            _ = try await server.request(.POST, "/api/v1/auth/forgot-password", json: ["email": boss.email])
            let token = try #require(try await server.tokenFromLatestEmail(linkPath: "/reset-password"))
            let reset = try await server.request(.POST, "/api/v1/auth/reset-password", json: ["token": token, "password": "Qz-Xk7-Wm9p"])
            #expect(reset.status == .unprocessableEntity)
            #expect(try await server.adminLogin(boss.email, password: "Qz-Xk7-Wm9p").status == .unauthorized)
        }
    }

    // MARK: helpers

    /// A six-digit string that is none of the codes the server accepts around `step`.
    static func codeOutside(_ totp: HWC3D.TOTP, around step: Int) -> String {
        let accepted = Set((step - 2...step + 2).map { totp.code(forStep: $0) })
        return ["000000", "111111", "222222", "333333", "444444", "555555"].first { !accepted.contains($0) }!
    }

    /// The current 30-second step, after waiting out the end of a step if fewer than `margin` seconds are left,
    /// so that codes computed from it are judged against the same step by the server.
    func stableTOTPStep(margin: Double = 6) async throws -> Int {
        let left = 30 - Date().timeIntervalSince1970.truncatingRemainder(dividingBy: 30)
        if left < margin { try await Task.sleep(for: .milliseconds(Int((left + 0.2) * 1000))) }
        return Int(floor(Date().timeIntervalSince1970 / 30))
    }
}
