import Fluent
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
}
