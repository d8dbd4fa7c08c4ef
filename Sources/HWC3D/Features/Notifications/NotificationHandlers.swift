import Foundation
import HWC3DAPI
import Vapor

/// The signed-in user's notifications and notification settings.
extension APIHandler {
    func listNotifications(_ input: Operations.ListNotifications.Input) async throws -> Operations.ListNotifications.Output {
        let req = try request
        let caller = try signedIn
        let page = try PageRequest(page: input.query.page, perPage: input.query.perPage)
        let type = input.query._type.flatMap { NotificationType(rawValue: $0.rawValue) }
        let result = try await NotificationInbox(database: req.reads, userID: caller.userID)
            .page(unread: input.query.unread ?? false, type: type, page: page, settings: services.settings)
        return .ok(.init(body: .json(.init(items: result.items, meta: page.meta(total: result.total)))))
    }

    func getUnreadNotificationCount(_ input: Operations.GetUnreadNotificationCount.Input) async throws -> Operations.GetUnreadNotificationCount.Output {
        let req = try request
        let count = try await NotificationInbox(database: req.reads, userID: try signedIn.userID).unreadCount()
        return .ok(.init(body: .json(.init(count: count))))
    }

    func markNotificationRead(_ input: Operations.MarkNotificationRead.Input) async throws -> Operations.MarkNotificationRead.Output {
        let req = try request
        try await NotificationInbox(database: req.db, userID: try signedIn.userID).markRead(input.path.id)
        return .noContent(.init())
    }

    func markAllNotificationsRead(_ input: Operations.MarkAllNotificationsRead.Input) async throws -> Operations.MarkAllNotificationsRead.Output {
        let req = try request
        let marked = try await NotificationInbox(database: req.db, userID: try signedIn.userID).markAllRead()
        return .ok(.init(body: .json(.init(marked: marked))))
    }

    func deleteNotification(_ input: Operations.DeleteNotification.Input) async throws -> Operations.DeleteNotification.Output {
        let req = try request
        try await NotificationInbox(database: req.db, userID: try signedIn.userID).delete(input.path.id)
        return .noContent(.init())
    }

    func getNotificationPreferences(_ input: Operations.GetNotificationPreferences.Input) async throws -> Operations.GetNotificationPreferences.Output {
        let req = try request
        let all = try await NotificationPreferences.all(of: try signedIn.userID, on: req.reads)
        return .ok(.init(body: .json(.init(all))))
    }

    func updateNotificationPreferences(_ input: Operations.UpdateNotificationPreferences.Input) async throws -> Operations.UpdateNotificationPreferences.Output {
        let req = try request
        let caller = try signedIn
        let body = switch input.body { case .json(let json): json }
        guard body.items.count <= 50 else { throw Problem.validation(field: "items", "at most 50 changes") }
        let changes = body.items.compactMap { item in
            NotificationType(rawValue: item._type.rawValue).map { ($0, inApp: item.inApp, email: item.email) }
        }
        try await NotificationPreferences.update(caller.userID, changes: changes, on: req.db)
        return .ok(.init(body: .json(.init(try await NotificationPreferences.all(of: caller.userID, on: req.db)))))
    }

    func unsubscribeNotifications(_ input: Operations.UnsubscribeNotifications.Input) async throws -> Operations.UnsubscribeNotifications.Output {
        let req = try request
        let body = switch input.body { case .json(let json): json }
        let refused = Problem.forbidden("The unsubscribe link is not valid.")
        guard let userID = UUID(uuidString: body.user), let type = NotificationType(rawValue: body._type.rawValue),
            UnsubscribeToken(secret: services.settings.jwtSecret).isValid(body.token, userID: userID, type: type)
        else { throw refused }
        guard !type.hasOwnEmail else { throw Problem.validation(field: "type", "this email is always sent") }
        var choice = try await NotificationPreferences.choice(of: userID, for: type, on: req.db)
        choice.email = false
        try await NotificationPreferences.set(userID, type: type, choice: choice, on: req.db)
        return .noContent(.init())
    }
}

extension Components.Schemas.NotificationPreferences {
    init(_ all: [(NotificationType, NotificationPreferences.Choice)]) {
        self.init(items: all.compactMap { type, choice in
            Components.Schemas.NotificationType(rawValue: type.rawValue).map {
                .init(_type: $0, inApp: choice.inApp, email: choice.email, emailOptional: !type.hasOwnEmail)
            }
        })
    }
}
