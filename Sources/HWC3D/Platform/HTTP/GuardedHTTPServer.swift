import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import Vapor

/// Vapor's HTTP server, with `ConnectionHeadGuard` on its listening channel so that every connection answers a head
/// too large for the parser (`MalformedHeadAnswer`) instead of closing in silence.
///
/// Vapor builds the listening channel and each connection's pipeline itself and offers no hook into either. The one
/// public way into a live pipeline is an HTTP upgrade, whose upgrader is handed the connection's channel; the
/// listening channel is its parent. So once the server listens it sends itself one upgrade request on loopback,
/// carrying a token only this process knows; the upgrader adds the guard to the listening channel and closes the
/// connection. Connections accepted in the few milliseconds before that are served as Vapor serves them.
final class GuardedHTTPServer: Server, Sendable {
    static let hookPath: [PathComponent] = ["_hwc3d", "connection-hook"]
    static let tokenHeader = "X-HWC3D-Hook-Token"

    private let application: Application
    private let token = SecureRandom.token(bytes: 32)
    private let installed = NIOLockedValueBox(false)

    init(application: Application) {
        self.application = application
    }

    /// Vapor's server, made on first use: it takes the routes and middleware as they are then, so not before the
    /// server starts.
    private var base: HTTPServer { application.http.server.shared }

    /// Serves `app` through this server; the hook's route is added to `app`'s routes.
    static func use(on app: Application) {
        let server = GuardedHTTPServer(application: app)
        app.on(.GET, hookPath) { request -> Response in
            // Once, from this process: to anyone else it is a path that does not exist.
            guard !server.isGuarded, let sent = request.headers.first(name: tokenHeader),
                  constantTimeEquals(Array(sent.utf8), Array(server.token.utf8)),
                  request.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "upgrade" })
            else { throw Abort(.notFound) }
            let response = Response(status: .switchingProtocols)
            response.upgrader = ListeningChannelHook(installed: server.installed)
            return response
        }
        app.servers.use { _ in server }
    }

    var isGuarded: Bool { installed.withLockedValue { $0 } }
    var onShutdown: EventLoopFuture<Void> { base.onShutdown }

    func start(address: BindAddress?) async throws {
        try await base.start(address: address)
        await installGuard()
    }

    @available(*, noasync)
    func start(address: BindAddress?) throws {
        try base.start(address: address)
        let done = application.eventLoopGroup.any().makePromise(of: Void.self)
        done.completeWithTask { await self.installGuard() }
        try done.futureResult.wait()
    }

    func shutdown() async { await base.shutdown() }

    @available(*, noasync)
    func shutdown() { base.shutdown() }

    private func installGuard() async {
        // A unix socket is served as Vapor serves it.
        guard let local = base.localAddress, let ip = local.ipAddress, let port = local.port else { return }
        let host = switch ip {
        case "0.0.0.0": "127.0.0.1"
        case "::": "::1"
        default: ip
        }
        // Raw bytes, not the HTTP client: it manages `Connection` itself and would drop the upgrade.
        let request = "GET /" + Self.hookPath.map(\.description).joined(separator: "/") + " HTTP/1.1\r\n"
            + "Host: localhost\r\nConnection: Upgrade\r\nUpgrade: \(HookUpgrader.protocolName)\r\n"
            + "\(Self.tokenHeader): \(token)\r\n\r\n"
        do {
            let connection = try await ClientBootstrap(group: application.eventLoopGroup)
                .connectTimeout(.seconds(5))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            try await connection.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: request))
                // The 101 is written once the guard is in place; any other answer means it is not.
                for try await _ in inbound { break }
            }
        } catch {
            application.logger.debug("connection hook: \(String(reflecting: error))")
        }
        if !isGuarded {
            application.logger.warning("Request heads past 80 KiB will close the connection without an answer: the connection hook did not run.")
        }
    }
}

/// Vapor's side of the upgrade: hands NIO the upgrader that reaches the listening channel.
private struct ListeningChannelHook: Upgrader {
    let installed: NIOLockedValueBox<Bool>

    func applyUpgrade(req: Request, res: Response) -> any HTTPServerProtocolUpgrader {
        HookUpgrader(installed: installed)
    }
}

private final class HookUpgrader: HTTPServerProtocolUpgrader, Sendable {
    static let protocolName = "hwc3d-connection-hook"
    let supportedProtocol = HookUpgrader.protocolName
    let requiredUpgradeHeaders: [String] = []
    let installed: NIOLockedValueBox<Bool>

    init(installed: NIOLockedValueBox<Bool>) {
        self.installed = installed
    }

    func buildUpgradeResponse(
        channel: any Channel, upgradeRequest: HTTPRequestHead, initialResponseHeaders: HTTPHeaders
    ) -> EventLoopFuture<HTTPHeaders> {
        guard let listener = channel.parent else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        let installed = self.installed
        return listener.pipeline.addHandler(ConnectionHeadGuard(), position: .first)
            .hop(to: channel.eventLoop)
            .map {
                installed.withLockedValue { $0 = true }
                return initialResponseHeaders
            }
    }

    func upgrade(context: ChannelHandlerContext, upgradeRequest: HTTPRequestHead) -> EventLoopFuture<Void> {
        context.close()
    }
}
