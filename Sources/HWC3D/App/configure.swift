import AsyncHTTPClient
import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Logging
import MeshInspector
import NIOConcurrencyHelpers
import OpenAPIRuntime
import Vapor

/// Wires the application from validated settings: database, services, middleware, routes and the job worker.
public func configure(_ app: Application, settings: Settings) async throws {
    try FileManager.default.createDirectory(atPath: settings.dataDir, withIntermediateDirectories: true)
    app.logger.logLevel = settings.logLevel
    app.http.server.configuration.hostname = settings.host
    app.http.server.configuration.port = settings.port
    app.http.server.configuration.serverName = nil
    app.http.server.configuration.shutdownTimeout = .seconds(Int64(settings.shutdownGraceSeconds))
    // Without it a client that stops mid-request (or a body left unread past the drain limit) holds its connection
    // for good; 75 s is nginx's keep-alive default, and a slow upload that still sends is never idle.
    app.http.server.configuration.idleTimeout = .seconds(Int64(settings.httpIdleTimeoutSeconds))
    app.routes.defaultMaxBodySize = ByteCount(integerLiteral: RoutePolicyMiddleware.jsonBodyLimit)

    switch settings.database {
    case .sqlite(let path):
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        app.databases.use(
            SingleConnectionConfiguration(
                // One connection serves every request, so a write may queue behind others on a busy machine; wait
                // longer than the driver's 10 s before giving up with a 503.
                base: DatabaseConfigurationFactory.sqlite(.file(path), connectionPoolTimeout: .seconds(30), sqlLogLevel: settings.sqlLogLevel).make(),
                eventLoop: app.eventLoopGroup.next()),
            as: .sqlite)
        // Reads that need no uncommitted data (`req.reads`) go to read-only connections beside the writer, so they
        // run in parallel with each other and with writes (issue #11).
        app.databases.use(
            SQLiteReadPoolConfiguration(
                path: path, connections: settings.databaseReadPoolSize,
                requestTimeout: .seconds(30), sqlLogLevel: settings.sqlLogLevel),
            as: .sqliteReads, isDefault: false)
    case .postgres(let url):
        app.databases.use(
            try .postgres(url: url, maxConnectionsPerEventLoop: settings.databasePoolSize, sqlLogLevel: settings.sqlLogLevel), as: .psql)
    }
    if case .sqlite = settings.database {
        let sql = app.db.sql
        // WAL lets readers (the read pool, backups, the CLI) proceed while the server writes. Set before anything
        // reads, so no reader ever holds the lock a rollback journal would make the writer wait for.
        try await sql.raw("PRAGMA journal_mode=WAL").run()
        try await sql.raw("PRAGMA busy_timeout=5000").run()
    }
    Migrations.register(in: app)

    let jobs = JobQueue()
    let paymentsClient = HTTPClient(
        eventLoopGroupProvider: .shared(app.eventLoopGroup),
        configuration: .init(timeout: .init(connect: .seconds(10), read: .seconds(30))))
    app.lifecycle.use(HTTPClientShutdown(client: paymentsClient))
    let services = AppServices(
        settings: settings,
        tokens: await TokenSigner(secret: settings.jwtSecret),
        passwords: PasswordHasher(cost: settings.bcryptCost, threadPool: app.threadPool),
        storage: try StorageSetup.make(settings: settings, app: app),
        images: ImageProcessor(threadPool: app.threadPool),
        jobs: jobs,
        mailer: Mailer(from: settings.mailFrom, jobs: jobs),
        rateLimiter: RateLimiter(),
        payments: PaymentProviders(settings: settings.payments, httpClient: paymentsClient))
    app.services = services

    let transport: any MailTransport =
        switch settings.mailTransport {
        case .log: LogMailTransport(directory: settings.mailDir, threadPool: app.threadPool)
        case .smtp: SMTPMailTransport(settings: settings.smtp!, eventLoopGroup: app.eventLoopGroup)
        }
    jobs.register(SendEmailJob(from: settings.mailFrom, transport: transport))
    let meshThreads = MeshWorkThreads.start(on: app)
    jobs.register(AnalyseModelFileJob(storage: services.storage, threadPool: meshThreads, limits: .standard))
    jobs.register(RenderModelPreviewJob(services: services, threadPool: meshThreads, limits: .standard))
    jobs.register(NotificationEmailJob(mailer: services.mailer, settings: settings))
    jobs.register(RemoveUploadedImageJob(storage: services.storage))

    // Order matters: CORS answers preflights and decorates errors, so it wraps everything; the request id is set
    // before anything logs; problems are rendered inside both; oversized request heads are refused before any
    // route reads them; the request context is innermost so handlers see it.
    app.middleware = Middlewares()
    app.middleware.use(VaryOriginMiddleware())
    app.middleware.use(CORSMiddleware(configuration: .init(
        allowedOrigin: .any(settings.corsOrigins),
        allowedMethods: [.GET, .POST, .PUT, .PATCH, .DELETE, .OPTIONS],
        allowedHeaders: [.accept, .authorization, .contentType, .origin, "X-CSRF-Token", "X-Request-ID", "Idempotency-Key"],
        allowCredentials: true,
        cacheExpiration: 600,
        exposedHeaders: [HTTPHeaders.Name("X-Request-ID"), HTTPHeaders.Name("RateLimit"), HTTPHeaders.Name("RateLimit-Policy"), .retryAfter, .location])))
    app.middleware.use(RequestIDMiddleware())
    app.middleware.use(SecurityHeadersMiddleware(production: settings.isProduction))
    app.middleware.use(ProblemMiddleware())
    app.middleware.use(RequestHeadLimitsMiddleware())
    app.middleware.use(RequestContextMiddleware())

    Metrics.bootstrapOnce()
    try routes(app, services: services)
    // Knows every route only once they are all registered; it wraps routing, so it sits with the global ones.
    app.middleware.use(MethodNotAllowedMiddleware(routes: app.routes), at: .end)

    if settings.autoMigrate {
        // One line for the console, not two per migration on a first start.
        app.fluent.migrationLogLevel = .debug
        try await app.migrator.setupIfNeeded().get()
        let pending = try await app.migrator.previewPrepareBatch().get().count
        if pending > 0 {
            try await app.migrator.prepareBatch().get()
            app.logger.info("database migrated", metadata: ["migrations applied": "\(pending)"])
        }
    }
    // Only the server works the queue: a command (seed-demo, ledger-check, migrate…) that exits would cancel a job
    // half-way, and the commands that need jobs run them themselves.
    let command = app.environment.arguments.dropFirst().first { !$0.hasPrefix("-") }
    if settings.runJobWorker, command == nil || command == "serve" {
        app.lifecycle.use(JobWorker(queue: jobs, interval: settings.jobPollInterval))
    }
    // Sockets exist where the app serves: `serve`, and the test runner's in-process servers.
    if settings.realtimeEnabled, command == nil || command == "serve" || app.environment == .testing {
        let postgresURL: String? = if case .postgres(let url) = settings.database { url } else { nil }
        app.lifecycle.use(RealtimeListener(
            hub: services.realtime, postgresURL: postgresURL, sessionCheckInterval: settings.socketSessionCheckInterval
        ) { sessions, database in
            try await SessionReads.live(sessions, on: database)
        })
    }
}

func routes(_ app: Application, services: AppServices) throws {
    let policies = try RoutePolicies.fromContract()
    let routePolicy = RoutePolicyMiddleware(policies: policies, rateLimiter: services.rateLimiter, settings: services.settings)
    let transport = ContractTransport(routes: app, drainLimit: routePolicy.largestBodyLimit)
    // Compact JSON: pretty-printing and key sorting cost time on every response and help no client. Dates are
    // written without ICU (`InternetDateTranscoder`).
    try APIHandler(services: services).registerHandlers(
        on: transport, serverURL: URL(string: "/")!,
        configuration: .init(dateTranscoder: InternetDateTranscoder(), jsonEncodingOptions: [.withoutEscapingSlashes]),
        middlewares: [
            routePolicy,
            CatalogueResponseCache(lifetime: TimeInterval(services.settings.catalogueCacheSeconds), policies: policies),
        ])
    ContractDocuments.register(on: app, settings: services.settings)
    RealtimeSockets.register(on: app, hub: services.realtime, settings: services.settings)
    NotificationFeed.renderers(on: services.realtime, database: app.db, settings: services.settings)
    CommunityEvents.renderers(on: services.realtime, database: app.db, settings: services.settings)
    GuardedHTTPServer.use(on: app)
}

/// Polls the job table in the background while the server runs, and stops with it.
final class JobWorker: LifecycleHandler, Sendable {
    let queue: JobQueue
    let interval: Double
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(queue: JobQueue, interval: Double) {
        self.queue = queue
        self.interval = interval
    }

    func didBootAsync(_ application: Application) async throws {
        let queue = self.queue
        let interval = self.interval
        let logger = Logger(label: "hwc3d.jobs")
        let database = application.db
        task.withLockedValue {
            $0 = Task {
                while !Task.isCancelled {
                    do {
                        try await queue.runDueJobs(database: database, logger: logger)
                    } catch {
                        logger.error("job worker cycle failed", metadata: ["error": "\(error)"])
                    }
                    await queue.sleep(seconds: interval)
                }
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        let running = task.withLockedValue { $0 }
        running?.cancel()
        queue.poke()
        await running?.value
    }
}
