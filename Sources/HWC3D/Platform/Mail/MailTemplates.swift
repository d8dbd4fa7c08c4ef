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
    case purchaseReceipt(name: String, reference: String, lines: [MoneyLine], totalCents: Int, currency: String, testMode: Bool, link: String)
    case saleNotice(name: String, lines: [MoneyLine], currency: String, testMode: Bool, availableOn: String, link: String)
    case refundApproved(name: String, title: String, amountCents: Int, currency: String, testMode: Bool)
    case refundRejected(name: String, title: String, note: String)
    case saleRefunded(name: String, title: String, earningCents: Int, currency: String, testMode: Bool)
    case payoutPaid(name: String, amountCents: Int, currency: String, destination: String, testMode: Bool)
    case payoutRejected(name: String, amountCents: Int, currency: String, note: String)
    /// A notification's email: its sentence, a link to it, and a one-click unsubscribe for its type.
    case notification(name: String, sentence: String, link: String, unsubscribe: String)

    /// One line of a receipt: what, and how much in cents.
    struct MoneyLine: Sendable, Equatable {
        var label: String
        var cents: Int
    }

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
        case .purchaseReceipt: "purchase_receipt"
        case .saleNotice: "sale_notice"
        case .refundApproved: "refund_approved"
        case .refundRejected: "refund_rejected"
        case .saleRefunded: "sale_refunded"
        case .payoutPaid: "payout_paid"
        case .payoutRejected: "payout_rejected"
        case .notification: "notification"
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
        case .purchaseReceipt(let name, let reference, let lines, let totalCents, let currency, let testMode, let link):
            return Self.compose(
                subject: Self.testPrefix(testMode) + "Your HWC3D receipt", greeting: name,
                paragraphs: Self.testNote(testMode) + ["Thank you for your purchase. You can download your models from your library."]
                    + lines.map { "\($0.label): \(Self.money($0.cents, currency))" }
                    + ["Total paid: \(Self.money(totalCents, currency))", "Order reference: \(reference)"],
                action: ("Open your library", link),
                footer: "You can ask for a refund from your library within the refund window.")
        case .saleNotice(let name, let lines, let currency, let testMode, let availableOn, let link):
            return Self.compose(
                subject: Self.testPrefix(testMode) + "You made a sale on HWC3D", greeting: name,
                paragraphs: Self.testNote(testMode) + ["Someone bought your work. Your earnings after the platform fee:"]
                    + lines.map { "\($0.label): \(Self.money($0.cents, currency))" }
                    + ["These earnings become available for payout on \(availableOn)."],
                action: ("See your sales", link),
                footer: "Earnings are held for the refund period before they can be paid out.")
        case .refundApproved(let name, let title, let amountCents, let currency, let testMode):
            return Self.compose(
                subject: Self.testPrefix(testMode) + "Your refund for \"\(title)\" was approved", greeting: name,
                paragraphs: Self.testNote(testMode) + ["We refunded \(Self.money(amountCents, currency)) for \"\(title)\" to your original payment method. It can take a few days to appear.",
                             "The model is no longer in your library."],
                action: nil,
                footer: "Questions? Open a support ticket.")
        case .refundRejected(let name, let title, let note):
            return Self.compose(
                subject: "Your refund request for \"\(title)\"", greeting: name,
                paragraphs: ["Your refund request for \"\(title)\" was not approved. The reason given:", note, "The model stays in your library."],
                action: nil,
                footer: "If you disagree, open a support ticket.")
        case .saleRefunded(let name, let title, let earningCents, let currency, let testMode):
            return Self.compose(
                subject: Self.testPrefix(testMode) + "A sale of \"\(title)\" was refunded", greeting: name,
                paragraphs: Self.testNote(testMode) + ["A buyer of \"\(title)\" was refunded. Your earning of \(Self.money(earningCents, currency)) from that sale was reversed."],
                action: nil,
                footer: "Questions? Open a support ticket.")
        case .payoutPaid(let name, let amountCents, let currency, let destination, let testMode):
            return Self.compose(
                subject: Self.testPrefix(testMode) + "Your HWC3D payout was sent", greeting: name,
                paragraphs: Self.testNote(testMode) + ["We sent \(Self.money(amountCents, currency)) to \(destination)."],
                action: nil,
                footer: "It can take a few days to reach your account.")
        case .payoutRejected(let name, let amountCents, let currency, let note):
            return Self.compose(
                subject: "Your HWC3D payout request was not approved", greeting: name,
                paragraphs: ["Your payout request of \(Self.money(amountCents, currency)) was not approved. The reason given:", note,
                             "The amount is back in your available balance."],
                action: nil,
                footer: "Questions? Open a support ticket.")
        case .notification(let name, let sentence, let link, let unsubscribe):
            return Self.compose(
                subject: sentence, greeting: name, paragraphs: [sentence + "."], action: ("Open in HWC3D", link),
                footer: "You get this email because of your notification settings.", unsubscribe: unsubscribe)
        }
    }

    static func money(_ cents: Int, _ currency: String) -> String {
        "\(DecimalAmount.string(cents: cents)) \(currency)"
    }

    private static func testPrefix(_ testMode: Bool) -> String { testMode ? "[TEST] " : "" }

    private static func testNote(_ testMode: Bool) -> [String] {
        testMode ? ["TEST MODE: this was a sandbox payment. No real money moved."] : []
    }

    private static func compose(
        subject: String, greeting: String, paragraphs: [String], action: (label: String, url: String)?, footer: String,
        unsubscribe: String? = nil
    ) -> Rendered {
        var text = "Hi \(greeting),\n\n" + paragraphs.joined(separator: "\n\n") + "\n\n"
        if let action { text += "\(action.label):\n\(action.url)\n\n" }
        text += footer + "\n"
        if let unsubscribe { text += "Unsubscribe from these emails: \(unsubscribe)\n" }
        text += "\n-- \nHWC3D\n"

        var html = """
            <!doctype html><html><body style="font-family:-apple-system,Segoe UI,Roboto,sans-serif;color:#1b1b1f;max-width:560px;margin:auto;padding:24px">
            <p>Hi \(escape(greeting)),</p>
            """
        for paragraph in paragraphs { html += "<p>\(escape(paragraph))</p>\n" }
        if let action {
            html += "<p><a href=\"\(escape(action.url))\" style=\"display:inline-block;background:#4f46e5;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none\">\(escape(action.label))</a></p>\n"
            html += "<p style=\"font-size:13px;color:#555\">Or open this link: \(escape(action.url))</p>\n"
        }
        html += "<p style=\"font-size:13px;color:#555\">\(escape(footer))"
        if let unsubscribe { html += " <a href=\"\(escape(unsubscribe))\" style=\"color:#555\">Unsubscribe from these emails</a>." }
        html += "</p>\n<p>HWC3D</p></body></html>\n"
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
