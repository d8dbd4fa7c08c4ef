import Foundation
import HWC3DAPI
import Vapor

extension APIHandler {
    func adminSuspendUser(_ input: Operations.AdminSuspendUser.Input) async throws -> Operations.AdminSuspendUser.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        let suspension = try await UserSuspensions(services: services, database: req.db)
            .suspend(input.path.id, reason: body.reason, until: body.until, admin: try admin)
        return .ok(.init(body: .json(.init(
            userId: suspension.userID.uuidString.lowercased(), reason: suspension.reason, until: suspension.until,
            createdAt: suspension.createdAt))))
    }

    func adminUnsuspendUser(_ input: Operations.AdminUnsuspendUser.Input) async throws -> Operations.AdminUnsuspendUser.Output {
        let req = try request
        try await UserSuspensions(services: services, database: req.db).unsuspend(input.path.id, admin: try admin)
        return .noContent(.init())
    }
}
