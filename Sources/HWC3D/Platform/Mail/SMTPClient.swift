import Foundation
import NIOCore
import NIOPosix
import NIOSSL

// A small SMTP submission client (RFC 5321, STARTTLS per RFC 3207, AUTH PLAIN/LOGIN per RFC 4954/4616).
// One `send` is one connection: no pooling and no pipelining, so every command waits for its reply.

// MARK: - Public API

public struct SMTPConfiguration: Sendable {
    public enum Security: Sendable {
        /// Plain text. Only for local relays and tests.
        case none
        /// Upgrade with STARTTLS; the send fails if the server does not offer it, because a silent
        /// downgrade to plain text is exactly what an attacker on the path would arrange.
        case startTLS
        /// Implicit TLS from the first byte ("submissions", usually port 465).
        case tls
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    public var heloName: String
    /// Applies to each step separately (connect, every reply), not to the whole conversation.
    public var timeout: TimeAmount
    public var tlsConfiguration: TLSConfiguration

    public init(
        host: String,
        port: Int,
        security: Security,
        username: String? = nil,
        password: String? = nil,
        heloName: String = "localhost",
        timeout: TimeAmount = .seconds(30),
        tlsConfiguration: TLSConfiguration = .makeClientConfiguration()
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.heloName = heloName
        self.timeout = timeout
        self.tlsConfiguration = tlsConfiguration
    }
}

extension SMTPConfiguration: CustomStringConvertible {
    // Configurations end up in logs; the password must not.
    public var description: String {
        "SMTPConfiguration(host: \(host), port: \(port), security: \(security), "
            + "username: \(username ?? "nil"), password: \(password == nil ? "nil" : "<redacted>"), "
            + "heloName: \(heloName), timeout: \(timeout))"
    }
}

public struct SMTPEnvelope: Sendable {
    /// Reverse-path without angle brackets; "" sends the null reverse-path `<>` (bounces).
    public var from: String
    public var recipients: [String]
    /// The complete RFC 5322 message (headers and body). Line endings are normalised to CRLF and
    /// dot-stuffing is applied on the wire, so pass the message as it should arrive.
    public var data: [UInt8]

    public init(from: String, recipients: [String], data: [UInt8]) {
        self.from = from
        self.recipients = recipients
        self.data = data
    }
}

public enum SMTPError: Error, CustomStringConvertible {
    /// The server answered `command` with a reply other than the expected one. `command` never
    /// contains credentials (AUTH is reported as "AUTH PLAIN" / "AUTH LOGIN").
    case unexpectedReply(command: String, code: Int, message: String)
    case startTLSNotOffered
    case authNotOffered
    case connectionClosed
    case timeout
    /// Refused before connecting: empty recipient list or recipient, or CR, LF, '<', '>' in an address.
    case invalidAddress(String)

    public var description: String {
        switch self {
        case .unexpectedReply(let command, let code, let message):
            return "SMTP: unexpected reply to \(command): \(code) \(message)"
        case .startTLSNotOffered:
            return "SMTP: STARTTLS is required but the server does not offer it"
        case .authNotOffered:
            return "SMTP: credentials are configured but the server offers no usable AUTH mechanism (PLAIN or LOGIN)"
        case .connectionClosed:
            return "SMTP: connection closed by the server"
        case .timeout:
            return "SMTP: timed out"
        case .invalidAddress(let address):
            return "SMTP: invalid address \(address.debugDescription)"
        }
    }
}

public struct SMTPClient: Sendable {
    public let configuration: SMTPConfiguration
    public let eventLoopGroup: any EventLoopGroup

    public init(configuration: SMTPConfiguration, eventLoopGroup: any EventLoopGroup) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
    }

    /// Delivers one message. Returns once the server has accepted the data (250 after the final
    /// dot); a rejected recipient fails the whole send. Besides `SMTPError`, connection and TLS
    /// errors from NIO (e.g. `NIOSSLError`, `IOError`) are passed through unchanged.
    public func send(_ envelope: SMTPEnvelope) async throws {
        // Validate first so that a bad address never causes network traffic at all.
        try envelope.validate()

        let config = self.configuration
        let tls: TLSUpgrade? =
            config.security == .none
            ? nil
            : TLSUpgrade(
                context: try NIOSSLContext(configuration: config.tlsConfiguration),
                // SNI must not carry an IP address (RFC 6066 §3); NIOSSL then checks the IP SAN instead.
                serverHostname: (try? SocketAddress(ipAddress: config.host, port: 0)) == nil ? config.host : nil
            )

        // The greeting may arrive before we could ask for it, so its promise exists before the channel does.
        let eventLoop = self.eventLoopGroup.next()
        let greeting = eventLoop.makePromise(of: SMTPReply.self)
        let termination = eventLoop.makePromise(of: Void.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(config.timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if config.security == .tls, let tls {
                            try channel.pipeline.syncOperations.addHandler(tls.makeHandler())
                        }
                        try channel.pipeline.syncOperations.addHandler(SMTPClientHandler(greeting: greeting, termination: termination))
                    }
                }
                .connect(host: config.host, port: config.port)
                .get()
        } catch {
            greeting.fail(error)
            termination.fail(error)
            throw error
        }

        let session = SMTPSession(channel: channel, configuration: config, tls: tls, termination: termination.futureResult)
        do {
            try await session.run(envelope, greeting: greeting)
        } catch {
            // RFC 5321 §4.1.1.10: say QUIT rather than hang up, as long as the server is still talking to us.
            if case SMTPError.unexpectedReply = error {
                _ = try? await session.command("QUIT")
            }
            try? await channel.close()
            throw error
        }
        try? await channel.close()
    }
}

// MARK: - Conversation

private struct SMTPSession {
    let channel: any Channel
    let configuration: SMTPConfiguration
    let tls: TLSUpgrade?
    /// Fails with the first error that ended the connection (connectionClosed if nothing went wrong).
    let termination: EventLoopFuture<Void>

    func run(_ envelope: SMTPEnvelope, greeting: EventLoopPromise<SMTPReply>) async throws {
        try Self.expect(await self.reply(to: greeting), 220, after: "connect (greeting)")

        var extensions = try await self.hello()
        if self.configuration.security == .startTLS {
            guard extensions["STARTTLS"] != nil, let tls = self.tls else { throw SMTPError.startTLSNotOffered }
            try Self.expect(await self.command("STARTTLS", upgrade: tls), 220, after: "STARTTLS")
            // RFC 3207 §4.2: everything learned before the handshake is untrusted, ask again.
            extensions = try await self.hello()
        }

        if let username = self.configuration.username {
            try await self.authenticate(username: username, password: self.configuration.password ?? "", extensions)
        }

        var mailParameters = ""
        if extensions["8BITMIME"] != nil, envelope.data.contains(where: { $0 >= 0x80 }) {
            mailParameters += " BODY=8BITMIME"
        }
        if extensions["SMTPUTF8"] != nil, ([envelope.from] + envelope.recipients).contains(where: { !$0.allSatisfy(\.isASCII) }) {
            mailParameters += " SMTPUTF8"
        }
        let mailFrom = "MAIL FROM:<\(envelope.from)>\(mailParameters)"
        try Self.expect(await self.command(mailFrom), 250, after: mailFrom)
        for recipient in envelope.recipients {
            let rcptTo = "RCPT TO:<\(recipient)>"
            // 251 "user not local; will forward" is a success too (RFC 5321 §3.4).
            try Self.expect(await self.command(rcptTo), 250, 251, after: rcptTo)
        }
        try Self.expect(await self.command("DATA"), 354, after: "DATA")
        try Self.expect(
            await self.exchange(Self.encodeData(envelope.data, allocator: self.channel.allocator), label: "end of DATA"),
            250,
            after: "end of DATA"
        )
        // The message is accepted at this point; a failing QUIT must not turn success into an error.
        _ = try? await self.command("QUIT")
    }

    /// EHLO, or HELO for servers that predate ESMTP. Returns the extension keywords (uppercased) and their parameters.
    private func hello() async throws -> [String: [Substring]] {
        let name = self.configuration.heloName
        let reply = try await self.command("EHLO \(name)")
        if reply.code == 250 {
            // The first line is the server's greeting text, the rest are "KEYWORD [params]" (RFC 5321 §4.1.1.1).
            var extensions: [String: [Substring]] = [:]
            for line in reply.lines.dropFirst() {
                let words = line.split(separator: " ")
                if let keyword = words.first {
                    extensions[keyword.uppercased()] = Array(words.dropFirst())
                }
            }
            return extensions
        }
        guard (500..<600).contains(reply.code) else {
            throw SMTPError.unexpectedReply(command: "EHLO", code: reply.code, message: reply.message)
        }
        try Self.expect(await self.command("HELO \(name)"), 250, after: "HELO")
        return [:]
    }

    private func authenticate(username: String, password: String, _ extensions: [String: [Substring]]) async throws {
        let mechanisms = Set((extensions["AUTH"] ?? []).map { $0.uppercased() })
        // Only the labels ever reach an error; the lines themselves carry the credentials.
        if mechanisms.contains("PLAIN") {
            let token = Self.base64("\0\(username)\0\(password)")
            try Self.expect(await self.command("AUTH PLAIN \(token)", label: "AUTH PLAIN"), 235, after: "AUTH PLAIN")
        } else if mechanisms.contains("LOGIN") {
            try Self.expect(await self.command("AUTH LOGIN"), 334, after: "AUTH LOGIN")
            try Self.expect(await self.command(Self.base64(username), label: "AUTH LOGIN"), 334, after: "AUTH LOGIN")
            try Self.expect(await self.command(Self.base64(password), label: "AUTH LOGIN"), 235, after: "AUTH LOGIN")
        } else {
            throw SMTPError.authNotOffered
        }
    }

    func command(_ line: String, label: String? = nil, upgrade: TLSUpgrade? = nil) async throws -> SMTPReply {
        var buffer = self.channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line)
        buffer.writeString("\r\n")
        return try await self.exchange(buffer, label: label ?? line, upgrade: upgrade)
    }

    private func exchange(_ bytes: ByteBuffer, label: String, upgrade: TLSUpgrade? = nil) async throws -> SMTPReply {
        let promise = self.channel.eventLoop.makePromise(of: SMTPReply.self)
        let request = SMTPRequest(bytes: bytes, label: label, upgrade: upgrade, promise: promise)
        self.channel.writeAndFlush(request).whenFailure { _ in
            // The write never reached the handler because the channel is gone, possibly for a reason
            // (say a failed TLS handshake) that happened while no request was waiting: report that reason.
            promise.completeWith(self.termination.flatMapThrowing { _ in throw SMTPError.connectionClosed })
        }
        return try await self.reply(to: promise)
    }

    private func reply(to promise: EventLoopPromise<SMTPReply>) async throws -> SMTPReply {
        let deadline = self.channel.eventLoop.scheduleTask(in: self.configuration.timeout) {
            promise.fail(SMTPError.timeout)
        }
        defer { deadline.cancel() }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }

    private static func expect(_ reply: SMTPReply, _ codes: Int..., after label: String) throws {
        guard codes.contains(reply.code) else {
            throw SMTPError.unexpectedReply(command: label, code: reply.code, message: reply.message)
        }
    }

    private static func base64(_ string: String) -> String {
        Data(string.utf8).base64EncodedString()
    }

    /// The DATA payload as it goes on the wire (RFC 5321 §4.5.2): every line ending becomes CRLF (a
    /// bare CR or LF is not allowed in SMTP), lines starting with "." get another ".", and the
    /// message ends with CRLF "." CRLF.
    static func encodeData(_ data: [UInt8], allocator: ByteBufferAllocator) -> ByteBuffer {
        let cr = UInt8(ascii: "\r")
        let lf = UInt8(ascii: "\n")
        let dot = UInt8(ascii: ".")
        var out = allocator.buffer(capacity: data.count + data.count / 32 + 5)
        var atLineStart = true
        var index = 0
        while index < data.count {
            let byte = data[index]
            if byte == cr || byte == lf {
                out.writeBytes([cr, lf])
                // CRLF is one line ending, not two.
                if byte == cr, index + 1 < data.count, data[index + 1] == lf {
                    index += 1
                }
                atLineStart = true
            } else {
                if atLineStart && byte == dot {
                    out.writeInteger(dot)
                }
                out.writeInteger(byte)
                atLineStart = false
            }
            index += 1
        }
        if !atLineStart {
            out.writeBytes([cr, lf])
        }
        out.writeBytes([dot, cr, lf])
        return out
    }
}

extension SMTPEnvelope {
    fileprivate func validate() throws {
        guard !self.recipients.isEmpty else { throw SMTPError.invalidAddress("(no recipients)") }
        // An empty reverse-path is legal (`MAIL FROM:<>`), an empty forward-path is not.
        for address in [self.from] + self.recipients {
            if address.utf8.contains(where: { [0x0D, 0x0A, 0x3C, 0x3E].contains($0) }) {
                throw SMTPError.invalidAddress(address)
            }
        }
        if self.recipients.contains("") { throw SMTPError.invalidAddress("") }
    }
}

// MARK: - Channel handler

private struct TLSUpgrade: Sendable {
    let context: NIOSSLContext
    let serverHostname: String?

    func makeHandler() throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(context: self.context, serverHostname: self.serverHostname)
    }
}

private struct SMTPReply: Sendable {
    var code: Int
    /// Text of each line, without the code and separator.
    var lines: [String]

    var message: String { self.lines.joined(separator: "\n") }
}

/// One command and the promise for its reply. `bytes` is written as is.
private struct SMTPRequest: Sendable {
    var bytes: ByteBuffer
    var label: String
    /// Set for STARTTLS: on a 220 reply the handler puts TLS in front of itself before anything else is read.
    var upgrade: TLSUpgrade?
    var promise: EventLoopPromise<SMTPReply>
}

/// Splits the byte stream into replies; a multiline reply ("250-a", "250-b", "250 c") is one reply.
private struct SMTPReplyDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = SMTPReply

    struct MalformedReply: Error {
        var line: String
    }

    mutating func decode(buffer: inout ByteBuffer) throws -> SMTPReply? {
        // Parse a copy and consume only once the final line is there, so no state survives between calls.
        var view = buffer
        var lines: [String] = []
        while let newline = view.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            var bytes = view.readBytes(length: newline - view.readerIndex + 1)!.dropLast()
            if bytes.last == UInt8(ascii: "\r") { bytes = bytes.dropLast() }
            let line = String(decoding: bytes, as: UTF8.self)
            let utf8 = Array(line.utf8)
            guard utf8.count >= 3, utf8[0..<3].allSatisfy({ (0x30...0x39).contains($0) }),
                utf8.count == 3 || utf8[3] == UInt8(ascii: " ") || utf8[3] == UInt8(ascii: "-")
            else {
                throw MalformedReply(line: line)
            }
            lines.append(String(decoding: utf8.dropFirst(4), as: UTF8.self))
            if utf8.count == 3 || utf8[3] == UInt8(ascii: " ") {
                buffer.moveReaderIndex(to: view.readerIndex)
                return SMTPReply(code: Int(String(decoding: utf8[0..<3], as: UTF8.self))!, lines: lines)
            }
        }
        return nil
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> SMTPReply? {
        try self.decode(buffer: &buffer)
    }
}

/// Matches each reply to the one outstanding request; without pipelining there is never more than one.
private final class SMTPClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = SMTPRequest
    typealias OutboundOut = ByteBuffer

    // A reply line is at most 512 octets (RFC 5321 §4.5.3.1.5); the cap only stops a server that never ends a line.
    private let decoder = NIOSingleStepByteToMessageProcessor(SMTPReplyDecoder(), maximumBufferSize: 64 * 1024)
    private var pending: (label: String, upgrade: TLSUpgrade?, promise: EventLoopPromise<SMTPReply>)?
    private let termination: EventLoopPromise<Void>

    init(greeting: EventLoopPromise<SMTPReply>, termination: EventLoopPromise<Void>) {
        self.pending = (label: "connect (greeting)", upgrade: nil, promise: greeting)
        self.termination = termination
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = Self.unwrapOutboundIn(data)
        if let pending = self.pending {
            // Only reachable after a timeout left a request unanswered; the session gives up then anyway.
            let error = SMTPError.unexpectedReply(command: request.label, code: 0, message: "still waiting for the reply to \(pending.label)")
            request.promise.fail(error)
            promise?.fail(error)
            return
        }
        self.pending = (request.label, request.upgrade, request.promise)
        context.write(Self.wrapOutboundOut(request.bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        do {
            try self.decoder.process(buffer: Self.unwrapInboundIn(data)) { reply in
                try self.deliver(reply, context: context)
            }
        } catch let error as SMTPReplyDecoder.MalformedReply {
            self.fail(context: context, SMTPError.unexpectedReply(command: self.pending?.label ?? "", code: 0, message: "malformed reply: \(error.line)"))
        } catch {
            self.fail(context: context, error)
        }
    }

    private func deliver(_ reply: SMTPReply, context: ChannelHandlerContext) throws {
        guard let pending = self.pending else {
            // We never pipeline, so a reply nobody asked for means the conversation is out of step.
            throw SMTPError.unexpectedReply(command: "(none)", code: reply.code, message: reply.message)
        }
        if let upgrade = pending.upgrade, reply.code == 220 {
            // Bytes that arrived after the 220 are plaintext someone could have injected to be read
            // as if they came over TLS (CVE-2011-0411), so they are an error, not data.
            guard self.decoder.unprocessedBytes == 0 else {
                throw SMTPError.unexpectedReply(command: pending.label, code: reply.code, message: "data after the STARTTLS reply")
            }
            // Synchronously, inside this read: the next bytes from the server must already go through TLS.
            try context.pipeline.syncOperations.addHandler(upgrade.makeHandler(), position: .first)
        }
        self.pending = nil
        pending.promise.succeed(reply)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.fail(context: context, SMTPError.connectionClosed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(context: context, error)
    }

    private func fail(context: ChannelHandlerContext, _ error: any Error) {
        if let pending = self.pending {
            self.pending = nil
            pending.promise.fail(error)
        }
        // Only the first failure sticks: later ones (the close itself) are consequences.
        self.termination.fail(error)
        context.close(promise: nil)
    }
}
