import Foundation
import NIOWebSocket
import SQLKit
import Testing
import Vapor

@testable import HWC3D

@Suite("Realtime sockets")
struct RealtimeSocketTests {
    static let fast = ["RATE_LIMIT_ENABLED": "false", "SOCKET_SESSION_CHECK_MS": "200", "REALTIME": "true"]

    @Test("a notification reaches the recipient's socket as it is written; reconnecting with the last id replays what was missed")
    func notificationsArrive() async throws {
        try await withServer(Self.fast) { server in
            let ana = try await server.register("ana")
            let bob = try await server.register("bob")
            try await server.listening { port in
                let socket = try await SocketClient.connect(port: port, "/ws/notifications?ticket=\(try await server.socketTicket(ana))")
                let opening = try await socket.next("unread_count")
                #expect((opening["data"] as? [String: Any])?["count"] as? Int == 0)

                #expect(try await server.request(.POST, "/api/v1/users/ana/follow", token: bob.accessToken).status == .ok)
                let created = try await socket.next("notification.created")
                let data = try #require(created["data"] as? [String: Any])
                #expect(data["text"] as? String == "Bob started following you")
                #expect((data["actor"] as? [String: Any])?["username"] as? String == "bob")
                #expect(created["id"] as? String != nil && created["ts"] as? String != nil)
                let count = try await socket.next("unread_count")
                #expect((count["data"] as? [String: Any])?["count"] as? Int == 1)
                // Bob hears nothing of Ana's.
                let lastID = try #require(created["id"] as? String)
                await socket.close()

                // While Ana is away: a read-all. Back with the last id she saw, she gets it first.
                #expect(try await server.request(.POST, "/api/v1/notifications/read-all", token: ana.accessToken).status == .ok)
                let again = try await SocketClient.connect(
                    port: port, "/ws/notifications?ticket=\(try await server.socketTicket(ana))&last_event_id=\(lastID)")
                let read = try await again.next("notification.read")
                #expect((read["data"] as? [String: Any])?["all"] as? Bool == true)
                await again.close()
            }
        }
    }

    @Test("sockets refuse missing, foreign-origin, spent and expired credentials before the upgrade; private communities are for members")
    func refusedSockets() async throws {
        try await withServer(Self.fast) { server in
            let ana = try await server.register("ana", verified: true)
            let outsider = try await server.register("outsider", verified: true)
            let community = try await CommunityFixtures.community(server, owner: ana, slug: "secret", visibility: "private")
            let communityID = try #require(community["id"] as? String)

            // Refusals answer as HTTP routes do, with nothing upgraded.
            #expect(try await server.request(.GET, "/ws/notifications").status == .unauthorized)
            let ticket = try await server.socketTicket(ana)
            #expect(try await server.request(.GET, "/ws/notifications?ticket=\(ticket)").status != .unauthorized)
            let spent = try await server.request(.GET, "/ws/notifications?ticket=\(ticket)")
            #expect(spent.status == .unauthorized, "\(spent.text)")
            let expired = try await server.socketTicket(ana)
            let sql = try #require(server.app.db as? any SQLDatabase)
            try await sql.raw("UPDATE socket_tickets SET expires_at = \(bind: Date().addingTimeInterval(-1))").run()
            #expect(try await server.request(.GET, "/ws/notifications?ticket=\(expired)").status == .unauthorized)
            #expect(try await server.request(.GET, "/ws/notifications?ticket=nonsense").status == .unauthorized)
            let cookie = [("Cookie", "access_token=\(ana.accessToken)"), ("Origin", "https://evil.example")]
            #expect(try await server.request(.GET, "/ws/notifications", headers: cookie).status == .forbidden)
            #expect(try await server.request(.GET, "/ws/community/\(communityID)?ticket=\(try await server.socketTicket(outsider))").status == .notFound)
            #expect(try await server.request(.GET, "/ws/community/\(communityID)").status == .notFound)
            #expect(try await server.request(.GET, "/ws/community/not-a-uuid").status == .notFound)

            try await server.listening { port in
                do {
                    _ = try await SocketClient.connect(port: port, "/ws/community/\(communityID)?ticket=\(try await server.socketTicket(outsider))")
                    Issue.record("an outsider opened a private community's socket")
                } catch {}
                // The cookie from an allowed origin opens it.
                let member = try await SocketClient.connect(
                    port: port, "/ws/community/\(communityID)",
                    headers: ["Cookie": "access_token=\(ana.accessToken)", "Origin": TestServer.frontend])
                await member.close()
            }
        }
    }

    @Test("hostile frames close only their socket: not JSON, unknown type or binary with 1008, over 64 KB with 1009; ping gets pong")
    func hostileFrames() async throws {
        try await withServer(Self.fast) { server in
            let ana = try await server.register("ana")
            try await server.listening { port in
                let bystander = try await SocketClient.connect(port: port, "/ws/notifications?ticket=\(try await server.socketTicket(ana))")
                _ = try await bystander.next("unread_count")
                let cases: [(String, (SocketClient) async throws -> Void, UInt16)] = [
                    ("not JSON", { try await $0.send("hello") }, 1008),
                    ("unknown type", { try await $0.send(#"{"type":"message.send","data":{}}"#) }, 1008),
                    ("binary", { try await $0.socket.send(raw: [0x01, 0x02], opcode: .binary) }, 1008),
                    ("over 64 KB", { try await $0.send(#"{"type":"ping","pad":""# + String(repeating: "x", count: 70_000) + #""}"#) }, 1009),
                ]
                for (label, send, expected) in cases {
                    let socket = try await SocketClient.connect(port: port, "/ws/notifications?ticket=\(try await server.socketTicket(ana))")
                    _ = try await socket.next("unread_count")
                    try await send(socket)
                    let code = try await socket.closeCode()
                    #expect(code.map { UInt16(webSocketErrorCode: $0) } == expected, "\(label): \(String(describing: code))")
                }
                try await bystander.send(#"{"type":"ping"}"#)
                _ = try await bystander.next("pong")
                #expect(!bystander.socket.isClosed)
                await bystander.close()
            }
        }
    }

    @Test("a socket closes when its session is revoked, and when its user is banned from the community it watches")
    func socketsEndWithAccess() async throws {
        try await withServer(Self.fast) { server in
            let owner = try await server.register("owner", verified: true)
            let bob = try await server.register("bob", verified: true)
            let community = try await CommunityFixtures.community(server, owner: owner, slug: "secret", visibility: "private")
            let communityID = try #require(community["id"] as? String)
            try await CommunityFixtures.join(server, "secret", bob, approver: owner)
            try await server.listening { port in
                let watching = try await SocketClient.connect(port: port, "/ws/community/\(communityID)?ticket=\(try await server.socketTicket(bob))")
                let posted = try await CommunityFixtures.post(server, "secret", author: owner, title: "Plans")
                let created = try await watching.next("post.created")
                #expect((created["data"] as? [String: Any])?["id"] as? String == posted)
                #expect((created["data"] as? [String: Any])?["title"] as? String == "Plans")
                _ = try await server.request(.PUT, "/api/v1/posts/\(posted)/reactions", json: ["type": "fire"], token: owner.accessToken)
                let reaction = try await watching.next("reaction.changed")
                #expect(((reaction["data"] as? [String: Any])?["reactions"] as? [String: Any])?["reaction_count"] as? Int == 1)

                #expect(try await server.request(.DELETE, "/api/v1/communities/secret/members/\(bob.id)?ban=true", token: owner.accessToken).status == .noContent)
                #expect(try await watching.closeCode() == .policyViolation)

                let notifications = try await SocketClient.connect(port: port, "/ws/notifications?ticket=\(try await server.socketTicket(bob))")
                _ = try await notifications.next("unread_count")
                #expect(try await server.request(.POST, "/api/v1/auth/logout-all", token: bob.accessToken).status.code < 300)
                #expect(try await notifications.closeCode() == .policyViolation)
            }
        }
    }
}

extension UInt16 {
    init(webSocketErrorCode code: WebSocketErrorCode) {
        switch code {
        case .policyViolation: self = 1008
        case .messageTooLarge: self = 1009
        case .normalClosure: self = 1000
        case .goingAway: self = 1001
        case .unacceptableData: self = 1003
        case .unknown(let value): self = value
        default: self = 0
        }
    }
}

@Suite("Realtime across instances")
struct RealtimeInstancesTests {
    /// Two servers on one PostgreSQL database, as behind a load balancer: a write through one reaches the sockets
    /// held by the other (LISTEN/NOTIFY), and nothing reaches a socket it should not.
    @Test("an event written through instance A reaches sockets on instance B", .enabled(if: TestServer.usesPostgres))
    func fanOutAcrossInstances() async throws {
        try await withServer(RealtimeSocketTests.fast) { first in
            guard case .postgres(let url) = first.settings.database else { return }
            var overrides = RealtimeSocketTests.fast
            overrides["DATABASE_URL"] = url
            try await withServer(overrides) { second in
                let ana = try await first.register("ana")
                let bob = try await first.register("bob")
                let carol = try await first.register("carol")
                try await second.listening { port in
                    let anaOnB = try await SocketClient.connect(port: port, "/ws/notifications?ticket=\(try await second.socketTicket(ana))")
                    let carolOnB = try await SocketClient.connect(port: port, "/ws/notifications?ticket=\(try await second.socketTicket(carol))")
                    _ = try await anaOnB.next("unread_count")
                    _ = try await carolOnB.next("unread_count")
                    try await first.listening { _ in
                        #expect(try await first.request(.POST, "/api/v1/users/ana/follow", token: bob.accessToken).status == .ok)
                        let created = try await anaOnB.next("notification.created")
                        #expect((created["data"] as? [String: Any])?["text"] as? String == "Bob started following you")
                        #expect(await !carolOnB.receives("notification.created", within: .milliseconds(500)))
                    }
                }
            }
        }
    }
}
