import NIOPosix
import Vapor

/// bcrypt on the blocking thread pool: a hash costs tens of milliseconds and must never stall an event loop.
struct PasswordHasher: Sendable {
    let cost: Int
    let threadPool: NIOThreadPool

    /// A hash of a random password, verified against when an account does not exist so that a sign-in takes as
    /// long for an unknown email as for a known one.
    let decoyHash: String

    init(cost: Int, threadPool: NIOThreadPool) {
        self.cost = cost
        self.threadPool = threadPool
        self.decoyHash = (try? Bcrypt.hash(SecureRandom.token(), cost: cost)) ?? ""
    }

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await threadPool.runIfActive { try Bcrypt.hash(password, cost: cost) }
    }

    func verify(_ password: String, against hash: String?) async throws -> Bool {
        let target = hash ?? decoyHash
        let matches = try await threadPool.runIfActive { (try? Bcrypt.verify(password, created: target)) ?? false }
        return matches && hash != nil
    }
}

/// What a password must be. Users: 8–128 characters with lower, upper, digit and symbol, not a well-known
/// password, not containing the username. Admins: at least 12 characters, also not well-known.
enum PasswordPolicy {
    enum Audience { case user, admin }

    static func violations(_ password: String, username: String?, email: String?, for audience: Audience, field: String = "password")
        -> [Problem.FieldError]
    {
        var messages: [String] = []
        let length = password.count
        switch audience {
        case .user:
            if length < 8 { messages.append("must be at least 8 characters") }
            if !password.contains(where: \.isLowercase) { messages.append("must contain a lower-case letter") }
            if !password.contains(where: \.isUppercase) { messages.append("must contain an upper-case letter") }
            if !password.contains(where: \.isNumber) { messages.append("must contain a digit") }
            if !password.contains(where: { !$0.isLetter && !$0.isNumber && !$0.isWhitespace }) {
                messages.append("must contain a symbol")
            }
        case .admin:
            if length < 12 { messages.append("must be at least 12 characters") }
        }
        if length > 128 {
            // Nothing else is checked on an over-long password: the checks below cost time per character.
            return [Problem.FieldError(field: field, message: "must be at most 128 characters")]
        }
        let lowered = password.lowercased()
        if let username, username.count >= 3, lowered.contains(username.lowercased()) {
            messages.append("must not contain the username")
        }
        if let local = email?.split(separator: "@").first, local.count >= 4, lowered.contains(local.lowercased()) {
            messages.append("must not contain the email address")
        }
        if CommonPasswords.contains(password) { messages.append("is too common; choose another") }
        return messages.map { Problem.FieldError(field: field, message: $0) }
    }
}

enum CommonPasswords {
    /// Compared after lower-casing and stripping everything but letters and digits, so `P@ssw0rd!` matches
    /// `passw0rd` as attackers' rule sets would.
    private static let list: Set<String> = {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt", subdirectory: "Resources"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return [] }
        return Set(text.split(whereSeparator: \.isNewline).map { normalise(String($0)) })
    }()

    static func contains(_ password: String) -> Bool {
        let normalised = normalise(password)
        if list.contains(normalised) { return true }
        // Common passwords decorated with trailing digits ("Password2024!") are still common.
        let stem = String(normalised.reversed().drop(while: \.isNumber).reversed())
        return stem.count >= 4 && list.contains(stem)
    }

    private static func normalise(_ password: String) -> String {
        let substitutions: [Character: Character] = ["@": "a", "0": "o", "1": "i", "3": "e", "$": "s", "!": "i", "5": "s", "7": "t", "4": "a"]
        var out = ""
        let lowered = password.lowercased()
        // Trailing symbols are decoration, not part of the word.
        let trimmed = Array(lowered.reversed().drop(while: { !$0.isLetter && !$0.isNumber }).reversed())
        // Digits at the end stay digits (a year or a counter, handled by the caller); inside a word they stand
        // for letters.
        let tailStart = trimmed.count - trimmed.reversed().prefix(while: \.isNumber).count
        for (index, char) in trimmed.enumerated() {
            if index < tailStart, let sub = substitutions[char] { out.append(sub) } else if char.isLetter || char.isNumber { out.append(char) }
        }
        return out
    }
}
