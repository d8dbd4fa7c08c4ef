import Foundation
import HWC3DAPI

extension Components.Schemas.AdminInfo {
    init(_ admin: AdminUser) {
        self.init(
            role: .init(rawValue: admin.role) ?? .support, permissions: admin.permissions.map(\.rawValue).sorted(),
            totpEnabled: admin.totpEnabled)
    }
}
