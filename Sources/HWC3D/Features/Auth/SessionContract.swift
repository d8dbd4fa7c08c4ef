import Foundation
import HWC3DAPI

extension Components.Schemas.Session {
    init(_ session: AuthSession, currentID: UUID?) {
        self.init(
            id: session.id!.uuidString.lowercased(), userAgent: session.userAgent, ip: session.ip,
            createdAt: session.createdAt ?? session.lastUsedAt, lastUsedAt: session.lastUsedAt, expiresAt: session.expiresAt,
            current: session.id == currentID, isAdmin: session.isAdmin)
    }
}
