import Foundation

/// Field rules shared by registration, profile edits and admin tools.
enum AccountRules {
    static let reservedUsernames: Set<String> = [
        "admin", "administrator", "root", "support", "help", "api", "www", "hwc3d", "moderator", "staff", "system",
        "me", "settings", "login", "logout", "register", "signup", "signin", "auth", "oauth", "docs", "null",
        "undefined", "official", "security", "billing", "payments", "models", "users", "communities", "search",
    ]

    static func usernameErrors(_ username: String) -> [Problem.FieldError] {
        var errors: [Problem.FieldError] = []
        if username.count < 3 || username.count > 30 {
            errors.append(.init(field: "username", message: "must be 3 to 30 characters"))
        }
        if !username.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) {
            errors.append(.init(field: "username", message: "may contain only letters, digits, _ and -"))
        }
        if reservedUsernames.contains(username.lowercased()) || username.lowercased().hasPrefix(erasedPrefix) {
            errors.append(.init(field: "username", message: "is reserved"))
        }
        return errors
    }

    /// Erased accounts keep their row under `deleted-<id>` names; nobody may take one first and so block an
    /// erasure.
    static let erasedPrefix = "deleted-"
    static let erasedDomain = "deleted.invalid"

    static func emailErrors(_ email: String) -> [Problem.FieldError] {
        // `.invalid` is reserved (RFC 2606): no real mailbox lives there, and erased accounts use it.
        if email.lowercased().hasSuffix(".invalid") {
            return [.init(field: "email", message: "must be a valid email address")]
        }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        let valid = email.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[0].count <= 64
            && parts[1].contains(".") && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && email.allSatisfy { !$0.isWhitespace && !$0.isNewline && $0 != "<" && $0 != ">" && $0 != "," && $0 != ";" }
            && !email.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
        return valid ? [] : [.init(field: "email", message: "must be a valid email address")]
    }

    static func urlErrors(_ value: String?, field: String) -> [Problem.FieldError] {
        guard let value, !value.isEmpty else { return [] }
        guard value.count <= 300, let url = URL(string: value), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http", url.host != nil
        else { return [.init(field: field, message: "must be an http(s) URL of at most 300 characters")] }
        return []
    }

    static func normaliseEmail(_ email: String) -> String {
        email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }
}
