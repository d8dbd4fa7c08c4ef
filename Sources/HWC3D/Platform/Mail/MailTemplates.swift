import Foundation

/// The emails the platform sends, each with a subject, a plain-text body and an HTML body built from the same
/// words. Anything a user typed is HTML-escaped.
enum MailTemplate: Sendable {
    case verifyEmail(name: String, link: String)
    case resetPassword(name: String, link: String)
    case adminResetPassword(name: String, link: String)
    case adminSignInCode(name: String, code: String)
    case passwordChanged(name: String)
    case modelApproved(name: String, title: String, link: String)
    case modelRejected(name: String, title: String, reason: String, link: String)
    case modelTakenDown(name: String, title: String, reason: String)

    var name: String {
        switch self {
        case .verifyEmail: "verify_email"
        case .resetPassword: "reset_password"
        case .adminResetPassword: "admin_reset_password"
        case .adminSignInCode: "admin_sign_in_code"
        case .passwordChanged: "password_changed"
        case .modelApproved: "model_approved"
        case .modelRejected: "model_rejected"
        case .modelTakenDown: "model_taken_down"
        }
    }

    struct Rendered {
        let subject: String
        let text: String
        let html: String
    }

    func render() -> Rendered {
        switch self {
        case .verifyEmail(let name, let link):
            return Self.compose(
                subject: "Confirm your email address for HWC3D", greeting: name,
                paragraphs: ["Welcome to HWC3D. Confirm your email address to start uploading, buying and selling 3D models."],
                action: ("Confirm email address", link),
                footer: "This link works once and expires in 48 hours. If you did not create an account, ignore this email.")
        case .resetPassword(let name, let link):
            return Self.compose(
                subject: "Reset your HWC3D password", greeting: name,
                paragraphs: ["Someone asked to reset the password of your HWC3D account."],
                action: ("Choose a new password", link),
                footer: "This link works once and expires in 1 hour. If it was not you, ignore this email: your password stays as it is.")
        case .adminResetPassword(let name, let link):
            return Self.compose(
                subject: "Reset your HWC3D admin password", greeting: name,
                paragraphs: ["Someone asked to reset the password of your HWC3D admin account."],
                action: ("Choose a new admin password", link),
                footer: "This link works once and expires in 1 hour. If it was not you, tell the other administrators.")
        case .adminSignInCode(let name, let code):
            return Self.compose(
                subject: "Your HWC3D admin sign-in code: \(code)", greeting: name,
                paragraphs: ["Your admin sign-in code is:", code],
                action: nil,
                footer: "The code works once and expires in 10 minutes. If you did not just sign in, change your password now.")
        case .passwordChanged(let name):
            return Self.compose(
                subject: "Your HWC3D password was changed", greeting: name,
                paragraphs: ["The password of your HWC3D account was just changed, and other sessions were signed out."],
                action: nil,
                footer: "If this was not you, reset your password at once and contact support.")
        case .modelApproved(let name, let title, let link):
            return Self.compose(
                subject: "Your model \"\(title)\" is live on HWC3D", greeting: name,
                paragraphs: ["Good news: \"\(title)\" passed review and is now published in the catalogue."],
                action: ("See your model", link),
                footer: "You can keep editing its description, tags and price; new files send it back to review.")
        case .modelRejected(let name, let title, let reason, let link):
            return Self.compose(
                subject: "Your model \"\(title)\" needs changes", greeting: name,
                paragraphs: ["\"\(title)\" was not approved. The reviewer wrote:", reason,
                             "Make the changes and submit it again."],
                action: ("Edit your model", link),
                footer: "Questions about this decision? Reply through a support ticket.")
        case .modelTakenDown(let name, let title, let reason):
            return Self.compose(
                subject: "Your model \"\(title)\" was removed from HWC3D", greeting: name,
                paragraphs: ["\"\(title)\" was taken down by a moderator and is no longer in the catalogue. The reason given:", reason,
                             "People who bought it keep their access."],
                action: nil,
                footer: "If you think this is a mistake, open a support ticket.")
        }
    }

    private static func compose(
        subject: String, greeting: String, paragraphs: [String], action: (label: String, url: String)?, footer: String
    ) -> Rendered {
        var text = "Hi \(greeting),\n\n" + paragraphs.joined(separator: "\n\n") + "\n\n"
        if let action { text += "\(action.label):\n\(action.url)\n\n" }
        text += footer + "\n\n-- \nHWC3D\n"

        var html = """
            <!doctype html><html><body style="font-family:-apple-system,Segoe UI,Roboto,sans-serif;color:#1b1b1f;max-width:560px;margin:auto;padding:24px">
            <p>Hi \(escape(greeting)),</p>
            """
        for paragraph in paragraphs { html += "<p>\(escape(paragraph))</p>\n" }
        if let action {
            html += "<p><a href=\"\(escape(action.url))\" style=\"display:inline-block;background:#4f46e5;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none\">\(escape(action.label))</a></p>\n"
            html += "<p style=\"font-size:13px;color:#555\">Or open this link: \(escape(action.url))</p>\n"
        }
        html += "<p style=\"font-size:13px;color:#555\">\(escape(footer))</p>\n<p>HWC3D</p></body></html>\n"
        return Rendered(subject: subject, text: text, html: html)
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for char in text {
            switch char {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(char)
            }
        }
        return out
    }
}
