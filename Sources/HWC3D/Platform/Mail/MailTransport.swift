import Foundation
import NIOCore
import NIOPosix
import NIOSSL

protocol MailTransport: Sendable {
    func send(_ message: MailMessage) async throws
}

/// The development transport: every email becomes an `.eml` file in `$DATA_DIR/mail`, openable in any mail
/// program, so nobody needs a mail server to read a verification link.
struct LogMailTransport: MailTransport {
    let directory: String
    let threadPool: NIOThreadPool

    func send(_ message: MailMessage) async throws {
        let directory = self.directory
        let bytes = message.rfc5322()
        let stamp = Int(Date().timeIntervalSince1970 * 1000)
        let name = "\(stamp)-\(message.messageID.split(separator: "@")[0]).eml"
        try await threadPool.runIfActive {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: directory).appendingPathComponent(name), options: .atomic)
        }
    }
}

/// Production delivery through an SMTP relay (STARTTLS or implicit TLS, AUTH).
struct SMTPMailTransport: MailTransport {
    let client: SMTPClient

    init(settings: Settings.SMTP, eventLoopGroup: any EventLoopGroup) {
        var tls = TLSConfiguration.makeClientConfiguration()
        if !settings.verifyCertificate { tls.certificateVerification = .none }
        let security: SMTPConfiguration.Security =
            switch settings.security {
            case "tls": .tls
            case "none": .none
            default: .startTLS
            }
        client = SMTPClient(
            configuration: SMTPConfiguration(
                host: settings.host, port: settings.port, security: security, username: settings.username,
                password: settings.password, tlsConfiguration: tls),
            eventLoopGroup: eventLoopGroup)
    }

    func send(_ message: MailMessage) async throws {
        try await client.send(SMTPEnvelope(
            from: MailMessage.bareAddress(message.from), recipients: [MailMessage.bareAddress(message.to)],
            data: message.rfc5322()))
    }
}
