import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@testable import HWC3D

@Suite("The support ticket socket")
struct SupportSocketTests {
    /// A stand-in support desk with one ticket, watched by its requester only.
    private struct OneTicket: SupportTicketWatchers {
        let ticketID: UUID
        let requesterID: UUID

        func channel(ofTicket ticketID: UUID, for caller: Caller, on database: any Database) async throws -> String? {
            ticketID == self.ticketID && caller.userID == requesterID ? "support:\(ticketID.uuidString.lowercased())" : nil
        }
    }

    @Test("/ws/support/{id} needs a caller (401), answers 404 for tickets the desk does not show them, and carries the ticket's events")
    func supportSocket() async throws {
        try await withServer(RealtimeSocketTests.fast) { server in
            let ana = try await server.register("ana", verified: true)
            let bob = try await server.register("bob", verified: true)
            let ticketID = UUID()
            let path = "/ws/support/\(ticketID.uuidString.lowercased())"

            // Without a support desk no ticket exists, even for its would-be requester.
            #expect(try await server.request(.GET, "\(path)?ticket=\(try await server.socketTicket(ana))").status == .notFound)

            server.app.supportTicketWatchers = OneTicket(ticketID: ticketID, requesterID: UUID(uuidString: ana.id)!)
            #expect(try await server.request(.GET, path).status == .unauthorized)
            let foreign = [("Cookie", "access_token=\(ana.accessToken)"), ("Origin", "https://evil.example")]
            #expect(try await server.request(.GET, path, headers: foreign).status == .forbidden)
            let other = try await server.request(.GET, "\(path)?ticket=\(try await server.socketTicket(bob))")
            #expect(other.status == .notFound && other.problemType == "not-found", "\(other.text)")
            #expect(try await server.request(.GET, "/ws/support/not-a-uuid?ticket=\(try await server.socketTicket(ana))").status == .notFound)

            try await server.listening { port in
                let socket = try await SocketClient.connect(port: port, "\(path)?ticket=\(try await server.socketTicket(ana))")
                try await RealtimeEvents.publish(
                    channel: "support:\(ticketID.uuidString.lowercased())", type: "ticket.message", data: ["body": "We are on it."],
                    on: server.app.db)
                let message = try await socket.next("ticket.message")
                #expect((message["data"] as? [String: Any])?["body"] as? String == "We are on it.")
                // Another ticket's events do not reach it.
                try await RealtimeEvents.publish(channel: "support:\(UUID().uuidString.lowercased())", type: "ticket.other", data: ["x": 1], on: server.app.db)
                #expect(await socket.receives("ticket.other", within: .milliseconds(400)) == false)
                await socket.close()
            }
        }
    }
}
