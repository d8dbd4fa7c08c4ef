import Foundation
import NIOCore
import NIOHTTP1

/// Answers a request that SwiftNIO's HTTP parser refused, where Vapor would close the connection in silence: 414 for
/// a request line past the parser's 80 KiB, 431 for a header section past it, 400 for anything that is not HTTP/1.1.
/// The answers are the same problems `RequestHeadLimitsMiddleware` gives below 80 KiB, so a client sees one rule.
///
/// It sits right behind the parser. After answering it closes its side of the connection and drops whatever the
/// client still sends (the parser refuses all of it) until the client closes, or two seconds pass: closing at once
/// with unread bytes would reset the connection, and a reset can destroy the answer before the client reads it.
final class MalformedHeadAnswer: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    static let lingering = TimeAmount.seconds(2)

    private let watcher: RequestLineWatcher
    /// Requests read whose response has not ended: an answer of ours must not cut into one.
    private var unanswered = 0
    private var answered = false
    private var upgrading = false

    init(watcher: RequestLineWatcher) {
        self.watcher = watcher
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: unanswered += 1
        case .body: break
        case .end: watcher.nextRequest()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let part = unwrapOutboundIn(data)
        context.write(data, promise: promise)
        switch part {
        case .head(let head): upgrading = head.status == .switchingProtocols
        case .body: break
        case .end:
            unanswered = max(0, unanswered - 1)
            if upgrading {
                // Upgraded (a WebSocket): what follows is not HTTP, and both watchers step aside.
                let pipeline = context.pipeline.syncOperations
                pipeline.removeHandler(context: context, promise: nil)
                pipeline.removeHandler(watcher, promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if answered {
            // The parser refuses every byte after its error; they are the rest of the request we answered.
            if error is ByteToMessageDecoderError || error is HTTPParserError { return }
            context.fireErrorCaught(error)
            return
        }
        guard let parserError = error as? HTTPParserError, unanswered == 0 else {
            context.fireErrorCaught(error)
            return
        }
        answered = true
        let problem: Problem = switch parserError {
        case .headerOverflow:
            // The rule below the parser's limit, applied to what the watcher saw: a request line past the target
            // limit is a URI too long, anything else is the header section.
            watcher.requestLineBytes > RequestHeadLimitsMiddleware.maxTargetBytes
                ? RequestHeadLimitsMiddleware.targetTooLong : RequestHeadLimitsMiddleware.headersTooLarge
        default:
            .malformed("The request is not valid HTTP/1.1.")
        }
        let body = ProblemBody(
            type: problem.typeURI, title: problem.title, status: Int(problem.status.code), detail: problem.detail)
        let bytes = context.channel.allocator.buffer(bytes: (try? JSONEncoder.api.encode(body)) ?? Data())
        let head = HTTPResponseHead(version: .http1_1, status: problem.status, headers: [
            "Content-Type": "application/problem+json", "Content-Length": "\(bytes.readableBytes)", "Connection": "close",
        ])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
            loopBound.value.close(mode: .output, promise: nil)
        }
        context.eventLoop.scheduleTask(in: Self.lingering) { loopBound.value.close(promise: nil) }
    }
}

/// First in a connection's pipeline, it sees the bytes as they arrive and keeps one fact for `MalformedHeadAnswer`:
/// how long the request line of the request being read is. When the connection is set up it puts that answer behind
/// Vapor's HTTP parser.
final class RequestLineWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Bytes of the current request line, up to its line break or so far. Counting restarts when a request ends;
    /// bytes of a pipelined request that share a read with the end of the one before are not told apart, which can
    /// only turn a 414 into a 431.
    private(set) var requestLineBytes = 0
    private var awaitingRequestLine = true

    func nextRequest() {
        requestLineBytes = 0
        awaitingRequestLine = true
    }

    func channelActive(context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        // Absent when the connection speaks HTTP/2 (TLS with h2), where NIO's own limits apply.
        if let parser = try? pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self) {
            try? pipeline.addHandler(MalformedHeadAnswer(watcher: self), position: .after(parser.handler))
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if awaitingRequestLine {
            let bytes = unwrapInboundIn(data).readableBytesView
            if let lineEnd = bytes.firstIndex(of: UInt8(ascii: "\n")) {
                requestLineBytes += bytes.distance(from: bytes.startIndex, to: lineEnd)
                awaitingRequestLine = false
            } else {
                requestLineBytes += bytes.count
            }
        }
        context.fireChannelRead(data)
    }
}

/// On the listening channel, before NIO's accept handler: every accepted connection gets a `RequestLineWatcher`
/// first in its pipeline, before Vapor adds its own handlers behind it.
final class ConnectionHeadGuard: ChannelInboundHandler, Sendable {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = unwrapInboundIn(data)
        if connection.eventLoop.inEventLoop {
            try? connection.pipeline.syncOperations.addHandler(RequestLineWatcher(), position: .first)
        } else {
            // Queued before the accept handler queues Vapor's set-up on the same loop, so it runs first.
            connection.eventLoop.execute {
                try? connection.pipeline.syncOperations.addHandler(RequestLineWatcher(), position: .first)
            }
        }
        context.fireChannelRead(data)
    }
}
