import Foundation
import HWC3DAPI
import OpenAPIRuntime
import Vapor

/// Implements the generated `APIProtocol`, one extension per area. Handlers stay thin: read the typed input,
/// call a service, map the result to contract types. Errors are thrown as `Problem`s and rendered in one place.
struct APIHandler: APIProtocol {
    let services: AppServices

    var request: Request { get throws { try CurrentRequest.get() } }

    /// The signed-in caller that the operation's route policy (`user`, `verified`, `admin`) admitted before the
    /// handler ran. A handler of a `public` route asking for it is a mistake in the contract's `x-policy`: 500.
    var signedIn: Caller {
        get throws {
            guard let caller = try request.resolvedCaller() else { throw ProblemMiddleware.internalError }
            return caller
        }
    }

    /// The caller of an `optional` route: nil when signed out (broken credentials were already a 401).
    var optionalCaller: Caller? { get throws { try request.resolvedCaller() } }

    /// The admin that an `admin` route's policy admitted, permission already checked.
    var admin: AdminCaller {
        get throws {
            guard let admin = try request.admittedAdmin else { throw ProblemMiddleware.internalError }
            return admin
        }
    }
}

/// Validated page parameters: `per_page` above 100 is refused, not silently clamped.
struct PageRequest {
    let page: Int
    let perPage: Int

    init(page: Int?, perPage: Int?) throws {
        self.page = page ?? 1
        self.perPage = perPage ?? 20
        var errors: [Problem.FieldError] = []
        if self.page < 1 || self.page > 100_000 { errors.append(.init(field: "page", message: "must be between 1 and 100000")) }
        if self.perPage < 1 || self.perPage > 100 { errors.append(.init(field: "per_page", message: "must be between 1 and 100")) }
        guard errors.isEmpty else { throw Problem.validation(errors) }
    }

    /// The page's rows as a Fluent `range`: offset `(page - 1) × per_page`, `per_page` rows.
    var rows: Range<Int> { (page - 1) * perPage..<page * perPage }

    func meta(total: Int) -> Components.Schemas.PageMeta {
        .init(page: page, perPage: perPage, total: total, pages: total == 0 ? 0 : (total + perPage - 1) / perPage)
    }
}

extension Components.Schemas.User {
    init(_ user: User, isAdmin: Bool, settings: Settings) {
        self.init(
            id: user.id!.uuidString.lowercased(), email: user.email, username: user.username, displayName: user.displayName,
            bio: user.bio, location: user.location, website: user.website,
            socialLinks: .init(additionalProperties: user.socialLinks), skills: user.skills,
            avatarUrl: UserMedia.url(for: user.avatarKey, settings: settings),
            bannerUrl: UserMedia.url(for: user.bannerKey, settings: settings),
            emailVerified: user.isEmailVerified, isCreator: user.isCreator, isAdmin: isAdmin,
            createdAt: user.createdAt ?? Date(),
            counters: .init(followers: user.followersCount, following: user.followingCount, models: user.modelsCount))
    }
}

extension Components.Schemas.UserSummary {
    init(_ user: User, settings: Settings) {
        self.init(
            id: user.id!.uuidString.lowercased(), username: user.username, displayName: user.displayName,
            avatarUrl: UserMedia.url(for: user.avatarKey, settings: settings), isCreator: user.isCreator)
    }
}

extension Components.Schemas.AdminInfo {
    init(_ admin: AdminUser) {
        self.init(
            role: .init(rawValue: admin.role) ?? .support, permissions: admin.permissions.map(\.rawValue).sorted(),
            totpEnabled: admin.totpEnabled)
    }
}

extension Components.Schemas.Session {
    init(_ session: AuthSession, currentID: UUID?) {
        self.init(
            id: session.id!.uuidString.lowercased(), userAgent: session.userAgent, ip: session.ip,
            createdAt: session.createdAt ?? session.lastUsedAt, lastUsedAt: session.lastUsedAt, expiresAt: session.expiresAt,
            current: session.id == currentID, isAdmin: session.isAdmin)
    }
}
