import Crypto
import Foundation

/// Authenticated encryption for secrets the server must read back (TOTP seeds), keyed from the server secret
/// with HKDF so the signing key itself never encrypts anything.
struct SecretBox: Sendable {
    private let key: SymmetricKey

    init(serverSecret: String, purpose: String) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(serverSecret.utf8)),
            info: Data("hwc3d:\(purpose)".utf8), outputByteCount: 32)
    }

    func seal(_ plaintext: [UInt8]) throws -> String {
        try ChaChaPoly.seal(plaintext, using: key).combined.base64EncodedString()
    }

    func open(_ sealed: String) throws -> [UInt8] {
        guard let data = Data(base64Encoded: sealed) else { throw CryptoKitError.incorrectParameterSize }
        return Array(try ChaChaPoly.open(ChaChaPoly.SealedBox(combined: data), using: key))
    }

    /// A keyed MAC, for values derived from the secret (CSRF tokens).
    static func mac(secret: String, message: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(secret.utf8))))
            .base64URLEncodedString()
    }
}
