import Foundation

/// One email as the application means it: who, what, and both an HTML and a plain-text body.
struct MailMessage: Sendable, Codable {
    var from: String
    var to: String
    var subject: String
    var text: String
    var html: String
    var messageID: String

    /// The RFC 5322 message (multipart/alternative, UTF-8), exactly as handed to SMTP or written as `.eml`.
    func rfc5322(date: Date = Date()) -> [UInt8] {
        let boundary = "=_hwc3d_\(messageID.prefix(16).filter { $0.isLetter || $0.isNumber })"
        var lines: [String] = [
            "From: \(MIMEHeader.address(from))",
            "To: \(MIMEHeader.address(to))",
            "Subject: \(MIMEHeader.encodeWord(subject))",
            "Date: \(MIMEHeader.date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/alternative; boundary=\"\(boundary)\"",
            "",
            "This is a multi-part message in MIME format.",
            "--\(boundary)",
        ]
        lines += MIMEHeader.part(contentType: "text/plain; charset=utf-8", body: text)
        lines.append("--\(boundary)")
        lines += MIMEHeader.part(contentType: "text/html; charset=utf-8", body: html)
        lines.append("--\(boundary)--")
        lines.append("")
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// The bare address of `from` ("Name <a@b>" -> "a@b") for the SMTP envelope.
    static func bareAddress(_ address: String) -> String {
        if let open = address.lastIndex(of: "<"), let close = address.lastIndex(of: ">"), open < close {
            return String(address[address.index(after: open)..<close])
        }
        return address.trimmingCharacters(in: .whitespaces)
    }
}

enum MIMEHeader {
    static func address(_ value: String) -> String {
        let clean = value.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\n", with: "")
        guard let open = clean.lastIndex(of: "<"), open != clean.startIndex else { return clean }
        let name = clean[..<open].trimmingCharacters(in: .whitespaces)
        return "\(encodeWord(name)) \(clean[open...])"
    }

    /// RFC 2047 encoded-word for non-ASCII header text; header injection is impossible as CR/LF are dropped.
    static func encodeWord(_ text: String) -> String {
        let clean = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.allSatisfy({ $0.isASCII }) { return clean }
        return "=?UTF-8?B?\(Data(clean.utf8).base64EncodedString())?="
    }

    static func date(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }

    /// A body part. Plain ASCII stays readable as 7bit; anything else is base64, which every server accepts.
    static func part(contentType: String, body: String) -> [String] {
        let normalised = body.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        let lines = normalised.split(separator: "\n", omittingEmptySubsequences: false)
        if normalised.allSatisfy({ $0.isASCII }) && lines.allSatisfy({ $0.utf8.count <= 998 }) {
            return ["Content-Type: \(contentType)", "Content-Transfer-Encoding: 7bit", ""] + lines.map(String.init)
        }
        let encoded = Data(normalised.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithLineFeed])
        return ["Content-Type: \(contentType)", "Content-Transfer-Encoding: base64", ""]
            + encoded.components(separatedBy: "\n")
    }
}
