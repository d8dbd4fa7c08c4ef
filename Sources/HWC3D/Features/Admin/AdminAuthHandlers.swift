import Fluent
import SQLKit
import Foundation
import HWC3DAPI
import Vapor

extension APIHandler {
    func adminLogin(_ input: Operations.AdminLogin.Input) async throws -> Operations.AdminLogin.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        let challenge = try await AdminAuthService(services: services, database: req.db)
            .login(email: body.email, password: body.password, ip: req.clientIP)
        return .ok(.init(body: .json(.init(
            otpRequired: true, challengeToken: challenge.token,
            methods: challenge.methods.compactMap(Components.Schemas.OTPMethod.init(rawValue:)), expiresIn: challenge.expiresIn))))
    }

    func adminVerifyOTP(_ input: Operations.AdminVerifyOTP.Input) async throws -> Operations.AdminVerifyOTP.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        let (issued, admin) = try await AdminAuthService(services: services, database: req.db).verify(
            challengeToken: body.challengeToken, code: body.code, userAgent: req.headers.first(name: .userAgent), ip: req.clientIP)
        req.setSessionCookies(issued)
        return .ok(.init(body: .json(.init(
            accessToken: issued.accessToken, refreshToken: issued.refreshToken, tokenType: "Bearer", expiresIn: issued.expiresIn,
            user: .init(issued.user, isAdmin: true, settings: services.settings), admin: .init(admin)))))
    }

    func adminResendOTP(_ input: Operations.AdminResendOTP.Input) async throws -> Operations.AdminResendOTP.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        try await AdminAuthService(services: services, database: req.db).resendCode(challengeToken: body.challengeToken)
        return .accepted(.init(body: .json(.init(status: "accepted", message: "A new sign-in code is on its way."))))
    }

    func adminForgotPassword(_ input: Operations.AdminForgotPassword.Input) async throws -> Operations.AdminForgotPassword.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        try await AuthService(services: services, database: req.db).forgotPassword(email: body.email, admin: true)
        return .accepted(.init(body: .json(Self.resetAccepted)))
    }

    func adminResetPassword(_ input: Operations.AdminResetPassword.Input) async throws -> Operations.AdminResetPassword.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        try await AuthService(services: services, database: req.db).resetPassword(token: body.token, newPassword: body.password, admin: true)
        req.clearSessionCookies()
        return .noContent(.init())
    }

    func adminTOTPSetup(_ input: Operations.AdminTOTPSetup.Input) async throws -> Operations.AdminTOTPSetup.Output {
        let req = try request
        let admin = try self.admin
        let setup = try await AdminAuthService(services: services, database: req.db).setupTOTP(for: admin)
        return .ok(.init(body: .json(.init(secret: setup.secret, otpauthUri: setup.uri, qrSvgDataUri: try? QRCode(setup.uri).svgDataURI()))))
    }

    func adminTOTPConfirm(_ input: Operations.AdminTOTPConfirm.Input) async throws -> Operations.AdminTOTPConfirm.Output {
        let req = try request
        let admin = try self.admin
        let body = switch input.body { case .json(let json): json }
        let codes = try await AdminAuthService(services: services, database: req.db).confirmTOTP(for: admin, code: body.code)
        return .ok(.init(body: .json(.init(recoveryCodes: codes))))
    }

    func adminTOTPDisable(_ input: Operations.AdminTOTPDisable.Input) async throws -> Operations.AdminTOTPDisable.Output {
        let req = try request
        let admin = try self.admin
        let body = switch input.body { case .json(let json): json }
        try await AdminAuthService(services: services, database: req.db).disableTOTP(for: admin, code: body.code)
        return .noContent(.init())
    }

    func adminListUsers(_ input: Operations.AdminListUsers.Input) async throws -> Operations.AdminListUsers.Output {
        let req = try request
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let query = User.query(on: req.db)
        if let q = input.query.q?.trimmingCharacters(in: .whitespaces), !q.isEmpty {
            guard q.count <= 100 else { throw Problem.validation(field: "q", "must be at most 100 characters") }
            let pattern = "%" + UserService.escapeLike(q.lowercased()) + "%"
            query.group(.or) { group in
                group.filter(.sql(SQLBinaryExpression(SQLIdentifier("email"), .like, SQLLikePattern(pattern))))
                group.filter(.sql(SQLBinaryExpression(SQLIdentifier("username_key"), .like, SQLLikePattern(pattern))))
                group.filter(.sql(SQLBinaryExpression(SQLFunction("lower", args: SQLIdentifier("display_name")), .like, SQLLikePattern(pattern))))
            }
        }
        if let status = input.query.status, let mapped = User.Status(rawValue: status.rawValue) { query.filter(\.$status == mapped) }
        if let verified = input.query.verified {
            if verified { query.filter(\.$emailVerifiedAt != nil) } else { query.filter(\.$emailVerifiedAt == nil) }
        }
        let adminIDs = try await AdminUser.query(on: req.db).all()
        let rolesByUser = Dictionary(adminIDs.map { ($0.$user.id, $0.role) }, uniquingKeysWith: { a, _ in a })
        if let isAdmin = input.query.isAdmin {
            let ids = Array(rolesByUser.keys)
            if isAdmin { query.filter(\.$id ~~ ids) } else { query.filter(\.$id !~ ids) }
        }
        let total = try await query.count()
        switch input.query.sort ?? .newest {
        case .newest: query.sort(\.$createdAt, .descending)
        case .oldest: query.sort(\.$createdAt, .ascending)
        case .username: query.sort(\.$usernameKey)
        case .email: query.sort(\.$email)
        case .lastLogin: query.sort(\.$lastLoginAt, .descending)
        }
        let users = try await query.range(page.rows).all()
        let items = users.map { user in
            Components.Schemas.AdminUserListItem(
                id: user.id!.uuidString.lowercased(), email: user.email, username: user.username, displayName: user.displayName,
                emailVerified: user.isEmailVerified, status: .init(rawValue: user.status.rawValue) ?? .active,
                isAdmin: rolesByUser[user.id!] != nil, role: rolesByUser[user.id!].flatMap(Components.Schemas.AdminRole.init(rawValue:)),
                createdAt: user.createdAt ?? Date(), lastLoginAt: user.lastLoginAt)
        }
        return .ok(.init(body: .json(.init(items: items, meta: page.meta(total: total)))))
    }
}
