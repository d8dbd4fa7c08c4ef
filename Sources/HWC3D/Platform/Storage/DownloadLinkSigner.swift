import Crypto
import Foundation

/// The tokens of `/api/v1/files/{token}` links for local storage: `base64url(payload).base64url(HMAC-SHA256)`,
/// the payload naming the stored key, the file name to save as and the expiry. The MAC key is derived from the
/// server secret with HKDF for this one purpose, so these tokens share nothing with the JWTs. The token is the
/// permission: it cannot be altered (the MAC covers every field) nor extended (the expiry is inside it).
struct DownloadLinkSigner: Sendable {
    struct Link: Sendable, Equatable, Codable {
        var key: String
        var filename: String
        /// Unix seconds.
        var expiresAt: Int

        enum CodingKeys: String, CodingKey {
            case key = "k", filename = "n", expiresAt = "e"
        }
    }

    enum Refusal: Error, Equatable {
        case invalid
        case expired
    }

    /// Far larger than any real token; anything longer is refused before any work is done on it.
    static let maxTokenLength = 2048

    private let key: SymmetricKey

    init(serverSecret: String) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(serverSecret.utf8)),
            info: Data("hwc3d:download-links".utf8), outputByteCount: 32)
    }

    func token(for link: Link) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding three plain fields cannot fail.
        let payload = (try? encoder.encode(link)) ?? Data()
        let encodedPayload = payload.base64URLEncodedString()
        return encodedPayload + "." + mac(encodedPayload).base64URLEncodedString()
    }

    /// The link a token names, if its MAC is ours, it has not expired, and its key is one storage would accept.
    func verify(_ token: String, now: Date) throws(Refusal) -> Link {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard token.utf8.count <= Self.maxTokenLength, parts.count == 2 else { throw .invalid }
        // Compared as text, so no other spelling of the same MAC bytes passes; before anything in the payload is
        // looked at, and in constant time.
        let expected = mac(String(parts[0])).base64URLEncodedString()
        guard constantTimeEquals(Array(expected.utf8), Array(parts[1].utf8)) else { throw .invalid }
        guard let payload = Data(base64URLEncoded: String(parts[0])),
            let link = try? JSONDecoder().decode(Link.self, from: payload),
            StoredObjectKey.isSafe(link.key)
        else { throw .invalid }
        guard Double(link.expiresAt) > now.timeIntervalSince1970 else { throw .expired }
        return link
    }

    private func mac(_ encodedPayload: String) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data(encodedPayload.utf8), using: key))
    }
}
