import Fluent
import Foundation
import HWC3DAPI

/// What `/ws/notifications` hears, published in the transaction that changes a user's notifications:
/// `notification.created` (the notification), `notification.read` (`{"ids": [...]}` or `{"all": true}`) and
/// `unread_count` (`{"count": n}`). The stored events hold ids only; `renderers` read the notification and the
/// count when they are sent.
enum NotificationFeed {
    static func channel(of userID: UUID) -> String { "user:\(userID.uuidString.lowercased())" }

    static func published(_ notificationID: UUID, to userID: UUID, on database: any Database, now: Date) async throws {
        try await RealtimeEvents.publish(channel: channel(of: userID), type: "notification.created", data: ["id": notificationID.uuidString.lowercased()], on: database, now: now)
        try await RealtimeEvents.publish(channel: channel(of: userID), type: "unread_count", data: ["user_id": userID.uuidString.lowercased()], on: database, now: now)
    }

    /// `ids` nil: all of them.
    static func read(_ ids: [UUID]?, of userID: UUID, on database: any Database, now: Date) async throws {
        if let ids {
            try await RealtimeEvents.publish(channel: channel(of: userID), type: "notification.read", data: ["ids": ids.map { $0.uuidString.lowercased() }], on: database, now: now)
        } else {
            try await RealtimeEvents.publish(channel: channel(of: userID), type: "notification.read", data: ["all": true], on: database, now: now)
        }
        try await RealtimeEvents.publish(channel: channel(of: userID), type: "unread_count", data: ["user_id": userID.uuidString.lowercased()], on: database, now: now)
    }

    /// The unread count as sent when a socket opens.
    static func unreadCountMessage(_ count: Int) -> String {
        #"{"type":"unread_count","data":{"count":\#(count)},"ts":"\#(RealtimeEvents.timestamp(Date()))"}"#
    }

    static func renderers(on hub: RealtimeHub, database: any Database, settings: Settings) {
        hub.render("notification.created") { event in
            guard let userID = event.channelID("user"), let id = event.id("id"),
                let notification = try await NotificationInbox(database: database, userID: userID).one(id, settings: settings)
            else { return nil }
            return String(decoding: try RealtimeEvents.encoder.encode(notification), as: UTF8.self)
        }
        hub.render("unread_count") { event in
            guard let userID = event.channelID("user") else { return nil }
            return #"{"count":\#(try await NotificationInbox(database: database, userID: userID).unreadCount())}"#
        }
    }
}
