import Fluent
import Foundation
import Vapor

/// Who may watch a support ticket's socket (`/ws/support/{ticket_id}`), answered by the feature that owns the
/// tickets: the ticket's requester, and admins holding `support.handle` in a second-factor session. The support
/// desk implements it over its own table and installs itself on the application; until then `NoSupportDesk`
/// answers that no ticket exists, so the socket is built and authenticated but every ticket is 404.
protocol SupportTicketWatchers: Sendable {
    /// The ticket's channel of realtime events when `caller` may watch it; nil when the ticket does not exist or
    /// the caller may not see it (both answer 404, so ticket ids cannot be probed).
    func channel(ofTicket ticketID: UUID, for caller: Caller, on database: any Database) async throws -> String?
}

struct NoSupportDesk: SupportTicketWatchers {
    func channel(ofTicket ticketID: UUID, for caller: Caller, on database: any Database) async throws -> String? { nil }
}

extension Application {
    private struct SupportTicketWatchersKey: StorageKey {
        typealias Value = any SupportTicketWatchers
    }

    /// The support desk's answer to who may watch a ticket's socket; `NoSupportDesk` until one is installed.
    var supportTicketWatchers: any SupportTicketWatchers {
        get { storage[SupportTicketWatchersKey.self] ?? NoSupportDesk() }
        set { storage[SupportTicketWatchersKey.self] = newValue }
    }
}
