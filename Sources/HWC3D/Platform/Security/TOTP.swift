import Crypto
import Foundation

/// RFC 6238 time-based one-time passwords as authenticator apps compute them: HMAC-SHA-1, 6 digits, 30-second
/// steps, with one step of clock drift allowed either way.
struct TOTP: Sendable {
    let secret: [UInt8]
    var digits = 6
    var period: TimeInterval = 30

    static func generateSecret() -> [UInt8] { SecureRandom.bytes(20) }

    func step(at date: Date) -> Int { Int(floor(date.timeIntervalSince1970 / period)) }

    func code(forStep step: Int) -> String {
        var counter = UInt64(step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Data($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary =
            (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8)
            | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    func code(at date: Date) -> String { code(forStep: step(at: date)) }

    /// The matching step within ±1 of now that is later than `lastUsedStep`, or nil. Refusing steps at or before
    /// the last accepted one makes every code single-use.
    func matchingStep(for candidate: String, at date: Date, after lastUsedStep: Int?) -> Int? {
        let now = step(at: date)
        for step in (now - 1)...(now + 1) {
            if let last = lastUsedStep, step <= last { continue }
            if constantTimeEquals(Array(code(forStep: step).utf8), Array(candidate.utf8)) { return step }
        }
        return nil
    }

    func provisioningURI(account: String, issuer: String) -> String {
        let label = "\(issuer):\(account)".addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(.init(charactersIn: ":@"))) ?? account
        let issuerParam = issuer.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? issuer
        return "otpauth://totp/\(label)?secret=\(Base32.encode(secret))&issuer=\(issuerParam)&algorithm=SHA1&digits=\(digits)&period=\(Int(period))"
    }
}

/// RFC 4648 base32 without padding, the alphabet authenticator apps expect for secrets.
enum Base32 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[Int((buffer >> UInt32(bits - 5)) & 0x1F)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[Int((buffer << UInt32(5 - bits)) & 0x1F)]) }
        return String(decoding: output, as: UTF8.self)
    }

    static func decode(_ string: String) -> [UInt8]? {
        var output = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for char in string.uppercased().utf8 where char != UInt8(ascii: "=") && char != UInt8(ascii: " ") {
            guard let index = alphabet.firstIndex(of: char) else { return nil }
            buffer = (buffer << 5) | UInt32(index)
            bits += 5
            if bits >= 8 {
                output.append(UInt8((buffer >> UInt32(bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        return output
    }
}
