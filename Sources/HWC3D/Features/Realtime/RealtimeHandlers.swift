import Foundation
import HWC3DAPI
import Vapor

extension APIHandler {
    func createSocketTicket(_ input: Operations.CreateSocketTicket.Input) async throws -> Operations.CreateSocketTicket.Output {
        let req = try request
        let issued = try await SocketTickets.issue(for: try signedIn, on: req.db)
        return .created(.init(body: .json(.init(ticket: issued.ticket, expiresAt: issued.expiresAt))))
    }
}
