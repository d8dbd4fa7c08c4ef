import Fluent
import Foundation
import Testing
import VaporTesting

@testable import HWC3D

/// Admins made and signed in over HTTP (password, then the emailed code), for every test of an admin route.
extension TestServer {
    static let adminPassword = "Lantern-Quartz-Ferry-58!"

    /// Registers a verified account and gives it an admin role directly in the database.
    func makeAdmin(_ username: String, role: AdminRole = .superAdmin) async throws -> SignedIn {
        let user = try await register(username, password: TestServer.adminPassword, verified: true)
        let userID = try #require(UUID(uuidString: user.id))
        try await AdminUser(userID: userID, role: role).create(on: app.db)
        return user
    }

    func adminLogin(_ email: String, password: String) async throws -> TestResponse {
        try await request(.POST, "/api/v1/admin/auth/login", json: ["email": email, "password": password])
    }

    func adminChallenge(_ email: String, password: String) async throws -> String {
        let response = try await adminLogin(email, password: password)
        #expect(response.status == .ok, "admin login \(email): \(response.text)")
        return try #require(try response.object()["challenge_token"] as? String)
    }

    /// The sign-in codes emailed to `address`, oldest first, read from the subject line.
    func adminCodes(to address: String) throws -> [String] {
        let prefix = "Subject: Your HWC3D admin sign-in code: "
        return try sentEmails().filter { $0.contains("To: \(address)\r\n") || $0.contains("To: \(address)\n") }.compactMap { email in
            guard let range = email.range(of: prefix) else { return nil }
            return String(email[range.upperBound...].prefix { $0.isNumber })
        }
    }

    func latestAdminCode(to address: String) async throws -> String? {
        try await runJobs()
        return try adminCodes(to: address).last
    }

    /// Both steps with the emailed code; the verify-otp body.
    func adminSignIn(_ admin: SignedIn) async throws -> [String: Any] {
        let challenge = try await adminChallenge(admin.email, password: admin.password)
        let code = try #require(try await latestAdminCode(to: admin.email))
        let response = try await request(.POST, "/api/v1/admin/auth/verify-otp", json: ["challenge_token": challenge, "code": code])
        #expect(response.status == .ok, "verify-otp \(admin.email): \(response.text)")
        return try response.object()
    }
}

extension TestResponse {
    /// The problem body without what differs per request, to compare two answers.
    func problemCore() throws -> NSDictionary {
        var body = try object()
        body.removeValue(forKey: "request_id")
        body.removeValue(forKey: "instance")
        return body as NSDictionary
    }
}
