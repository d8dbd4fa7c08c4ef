import Fluent
import Foundation
import NIOCore
import NIOWebSocket
import Vapor

/// The sockets of API.md's Realtime section, authorised before the upgrade: what a caller may not open answers
/// like the HTTP route would (401, 403, 404 as problem+json) and no socket is made.
///
/// Who is calling: a single-use ticket from `POST /api/v1/ws/ticket` (`?ticket=`), a bearer token, or the
/// `access_token` cookie, which counts only with an `Origin` from the allowlist (a page elsewhere cannot ride a
/// visitor's cookie into a socket). Once open: a `{"type":"ping"}` gets a pong; any other frame (not JSON, another
/// type, binary) closes the socket with 1008, a frame over 64 KB with 1009. A reconnecting client passes the last
/// event id it saw (`?last_event_id=`) and gets what it missed first. The socket closes when its session ends
/// (`RealtimeListener`'s sweep) or its access is revoked.
enum RealtimeSockets {
    static let maxFrameSize = 64 * 1024

    static func register(on app: Application, hub: RealtimeHub, settings: Settings) {
        app.on(.GET, "ws", "notifications") { req async throws -> Response in
            guard let caller = try await authenticate(req, settings: settings) else { throw Problem.unauthenticated }
            let unread = try await NotificationInbox(database: req.db, userID: caller.userID).unreadCount()
            return try await open(req, hub: hub, channel: NotificationFeed.channel(of: caller.userID), caller: caller) { connection in
                connection.write(NotificationFeed.unreadCountMessage(unread))
            }
        }
        app.on(.GET, "ws", "community", ":id") { req async throws -> Response in
            let caller = try await authenticate(req, settings: settings)
            guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw CommunityAccess.notFound }
            let place = try await CommunityAccess.place(id: id, caller: caller, on: req.db)
            try await place.requireReadable(on: req.db)
            return try await open(req, hub: hub, channel: CommunityEvents.channel(of: id), caller: caller) { _ in }
        }
        app.on(.GET, "ws", "support", ":ticket_id") { req async throws -> Response in
            guard let caller = try await authenticate(req, settings: settings) else { throw Problem.unauthenticated }
            guard let ticketID = req.parameters.get("ticket_id").flatMap(UUID.init(uuidString:)),
                let channel = try await req.application.supportTicketWatchers.channel(ofTicket: ticketID, for: caller, on: req.db)
            else { throw Problem.notFound("The ticket") }
            return try await open(req, hub: hub, channel: channel, caller: caller) { _ in }
        }
    }

    /// The caller, by ticket, bearer token or cookie (with an allowed Origin); nil when the request carries none.
    static func authenticate(_ req: Request, settings: Settings) async throws -> Caller? {
        if let ticket = req.query[String.self, at: "ticket"] {
            guard let redeemed = try await SocketTickets.redeem(ticket, on: req.db),
                let record = try await SessionReads.caller(sessionID: redeemed.sessionID, on: req.db),
                record.session.$user.id == redeemed.userID, record.session.isActive(at: Date()), record.user.status == .active
            else { throw Problem.invalidToken("The ticket is unknown, used or expired; ask for a new one.") }
            return Caller(user: record.user, session: record.session, viaCookie: false, isAdmin: record.isAdmin)
        }
        guard let caller = try await req.caller() else { return nil }
        if caller.viaCookie {
            guard let origin = req.headers.first(name: .origin), settings.corsOrigins.contains(origin) else {
                throw Problem.forbidden("Sockets opened with the session cookie must come from an allowed origin.")
            }
        }
        return caller
    }

    private static func open(
        _ req: Request, hub: RealtimeHub, channel: String, caller: Caller?, onOpen: @escaping @Sendable (RealtimeConnection) -> Void
    ) async throws -> Response {
        let lastSeen = req.query[String.self, at: "last_event_id"].flatMap { Int($0) }
        let database = req.db
        // The socket's handlers must be set on its event loop, where this (not async) upgrade callback runs.
        let onUpgrade: @Sendable (Request, WebSocket) -> Void = { _, socket in
            let connection = RealtimeConnection(socket: socket, channels: [channel], userID: caller?.userID, sessionID: caller?.sessionID)
            socket.pingInterval = .seconds(25)
            socket.onText { _, text in handle(text, from: connection) }
            socket.onBinary { _, _ in connection.close(.policyViolation) }
            socket.onClose.whenComplete { _ in hub.remove(connection) }
            hub.add(connection)
            onOpen(connection)
            Task {
                var missed: [RealtimeEvent] = []
                if let lastSeen {
                    for event in (try? await RealtimeEvents.after(lastSeen, channels: [channel], on: database.sql)) ?? [] {
                        if let rendered = await hub.rendered(event) { missed.append(rendered) }
                    }
                }
                connection.finishReplay(missed, after: lastSeen ?? 0)
            }
        }
        return req.webSocket(
            maxFrameSize: .init(integerLiteral: maxFrameSize), shouldUpgrade: { $0.eventLoop.makeSucceededFuture([:]) }, onUpgrade: onUpgrade)
    }

    private struct ClientMessage: Decodable {
        let type: String
    }

    private static func handle(_ text: String, from connection: RealtimeConnection) {
        guard let message = try? JSONDecoder().decode(ClientMessage.self, from: Data(text.utf8)), message.type == "ping" else {
            connection.close(.policyViolation)
            return
        }
        connection.write(#"{"type":"pong","ts":"\#(RealtimeEvents.timestamp(Date()))"}"#)
    }
}
