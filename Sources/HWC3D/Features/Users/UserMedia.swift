import Fluent
import Vapor

/// Avatars and banners: checked by decoding, re-encoded (which drops metadata such as GPS tags) and stored under
/// a new key each time, so caches never serve a stale picture and a failed upload never touches the old one.
struct UserMedia: Sendable {
    static let avatarMaxBytes = 2 << 20
    static let bannerMaxBytes = 10 << 20
    static let avatarSize = 256
    static let bannerWidth = 1920

    enum Kind: String {
        case avatars, banners

        var maxBytes: Int { self == .avatars ? UserMedia.avatarMaxBytes : UserMedia.bannerMaxBytes }
        var allowed: Set<ImageProcessor.Format> { self == .avatars ? [.jpeg, .png] : [.jpeg, .png, .webp] }
        var label: String { self == .avatars ? "JPEG or PNG" : "JPEG, PNG or WEBP" }
    }

    let services: AppServices
    let database: any Database

    func store(_ data: Data, kind: Kind, for user: User) async throws -> User {
        guard data.count <= kind.maxBytes else { throw Problem.payloadTooLarge(limit: kind.maxBytes) }
        guard let format = ImageProcessor.detectFormat(data), kind.allowed.contains(format) else {
            throw Problem.unsupportedMediaType("The file must be a \(kind.label) image (decided from its content).")
        }
        let encoded: Data
        do {
            encoded = kind == .avatars
                ? try await services.images.squareThumbnail(data, size: Self.avatarSize, allowed: kind.allowed)
                : try await services.images.fitWidth(data, width: Self.bannerWidth, allowed: kind.allowed)
        } catch ImageProcessor.Failure.tooManyPixels {
            throw Problem.validation(field: "file", "has more than \(ImageProcessor.maxPixels / 1_000_000) megapixels")
        } catch {
            throw Problem.validation(field: "file", "is not a readable image")
        }
        let key = "\(kind.rawValue)/\(user.id!.uuidString.lowercased())-\(SecureRandom.token(bytes: 6)).webp"
        try await services.storage.put(encoded, key: key, contentType: "image/webp")
        let previous = kind == .avatars ? user.avatarKey : user.bannerKey
        do {
            try await setKey(key, kind: kind, of: user)
        } catch {
            // The row did not change: the new file must not linger.
            try? await services.storage.delete(key: key)
            throw error
        }
        if let previous { try? await services.storage.delete(key: previous) }
        return user
    }

    /// One column written, not the whole row: the caller's copy may be older than the counters in the database.
    private func setKey(_ key: String?, kind: Kind, of user: User) async throws {
        let query = User.query(on: database).filter(\.$id == (try user.requireID()))
        if kind == .avatars {
            try await query.set(\.$avatarKey, to: key).update()
            user.avatarKey = key
        } else {
            try await query.set(\.$bannerKey, to: key).update()
            user.bannerKey = key
        }
    }

    func remove(kind: Kind, for user: User) async throws -> User {
        let previous = kind == .avatars ? user.avatarKey : user.bannerKey
        try await setKey(nil, kind: kind, of: user)
        if let previous { try? await services.storage.delete(key: previous) }
        return user
    }

    /// Public URL of a stored key, served by `GET /media/{kind}/{file}`.
    static func url(for key: String?, settings: Settings) -> String? {
        key.map { "\(settings.publicURL)/media/\($0)" }
    }
}
