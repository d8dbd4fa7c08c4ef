import Foundation
import Vapor

/// Every piece of configuration, read once from the environment (and an optional `.env`) and validated at start,
/// so a bad value stops the server with a message naming the variable instead of failing on first use.
public struct Settings: Sendable {
    public enum AppEnvironment: String, Sendable, CaseIterable {
        case development, testing, production
    }

    public enum DatabaseKind: Sendable, Equatable {
        case sqlite(path: String)
        case postgres(url: String)
    }

    public enum MailTransportKind: String, Sendable, CaseIterable {
        case log, smtp
    }

    public struct SMTP: Sendable {
        public var host: String
        public var port: Int
        public var username: String?
        public var password: String?
        /// `starttls` (default, refuses servers that do not offer it), `tls` (implicit, port 465) or `none`.
        public var security: String
        /// Only for tests against a throwaway server with a self-signed certificate.
        public var verifyCertificate: Bool
    }

    public struct OAuthProvider: Sendable {
        public var name: String
        public var clientID: String
        public var clientSecret: String
        public var authorizeURL: String
        public var tokenURL: String
        public var userInfoURL: String
        /// GitHub only: where the verified addresses are listed when the profile hides its email.
        public var emailsURL: String?
        public var scopes: [String]
    }

    public struct RateLimitPolicy: Sendable, Equatable {
        public var limit: Int
        public var windowSeconds: Int
    }

    public var appEnv: AppEnvironment
    public var host: String
    public var port: Int
    public var dataDir: String
    public var database: DatabaseKind
    public var autoMigrate: Bool
    public var jwtSecret: String
    public var publicURL: String
    public var frontendURL: String
    public var corsOrigins: [String]
    public var mailTransport: MailTransportKind
    public var mailFrom: String
    public var smtp: SMTP?
    public var oauthProviders: [String: OAuthProvider]
    public var bcryptCost: Int
    public var logLevel: Logger.Level
    /// Log every SQL statement at info level (`LOG_SQL=true`); otherwise statements are only traced.
    public var logSQL: Bool
    /// How long SIGTERM waits for in-flight requests before closing their connections.
    public var shutdownGraceSeconds: Int
    /// A connection that neither sends nor receives for this long is closed (`HTTP_IDLE_TIMEOUT_SECONDS`).
    public var httpIdleTimeoutSeconds: Int
    public var rateLimitsEnabled: Bool
    /// Overrides of the named rate-limit policies, e.g. `RATE_LIMIT_LOGIN=20/60`.
    public var rateLimitOverrides: [String: RateLimitPolicy]
    public var loginFailureLimit: Int
    public var loginFailureWindowSeconds: Int
    public var docsAssetsURL: String
    public var metricsAllowlist: [String]
    public var jobPollInterval: Double
    /// How often open sockets are checked against their sessions (revoked, expired, suspended).
    public var socketSessionCheckInterval: Double
    /// Whether this process delivers realtime events to its sockets (`REALTIME`, on by default; the test runner's
    /// servers turn it on only where a test opens sockets, to spare PostgreSQL a listening connection per server).
    public var realtimeEnabled: Bool
    public var runJobWorker: Bool
    public var trustProxy: Bool
    /// PostgreSQL connections per event loop (there is one loop per core).
    public var databasePoolSize: Int
    /// SQLite's read-only connections beside its one writer (`DATABASE_READ_POOL_SIZE`, default one per core):
    /// how many reads may run at once. PostgreSQL ignores it.
    public var databaseReadPoolSize: Int = System.coreCount
    /// `STORAGE`: a local directory (default) or an S3-compatible bucket; see `Settings.S3` (StorageSettings.swift).
    public var storage: StorageKind = .local
    public var s3: S3? = nil
    /// How long a download link (presigned S3 URL or signed `/files/` link) stays valid.
    public var downloadURLTTLSeconds: Int = 600
    /// Largest 3D file or zip bundle one upload may carry.
    public var modelUploadMaxBytes: Int = 100 * 1024 * 1024
    /// Largest preview image one upload may carry.
    public var imageUploadMaxBytes: Int = 10 * 1024 * 1024
    /// Bytes of files and images one user may keep in storage.
    public var storageQuotaBytes: Int64 = 5 * 1024 * 1024 * 1024
    /// How long a catalogue answer may be reused (`CatalogueResponseCache`); 0 turns the cache off, as in tests.
    public var catalogueCacheSeconds: Int = 10
    /// The pictures rendered for a model without any (`RenderModelPreviewJob`), in gallery order. Tests keep only the
    /// cover: in a debug build the sheet alone costs seconds of CPU per upload, and the suite runs many at once.
    public var previewViews: [String] = ["cover", "wireframe", "sheet"]
    /// Which payment providers checkout offers and how to reach them (PaymentSettings.swift).
    public var payments: Payments = Payments(sandboxEnabled: true, currency: "USD", stripe: nil, paypal: nil, webhookToleranceSeconds: 300)

    public var isProduction: Bool { appEnv == .production }
    var sqlLogLevel: Logger.Level { logSQL ? .info : .trace }
    /// Cookies lose `Secure` only on a developer's plain-HTTP machine.
    public var secureCookies: Bool { appEnv != .development }
    public var storageDir: String { dataDir + "/storage" }
    public var mailDir: String { dataDir + "/mail" }

    public struct Invalid: Error, CustomStringConvertible {
        public let variable: String
        public let reason: String
        public var description: String { "Invalid setting \(variable): \(reason)" }
    }

    /// Reads settings from `environment` (the process environment merged with `.env` by the caller).
    public static func load(from environment: [String: String]) throws -> Settings {
        let env = EnvironmentReader(values: environment)
        let appEnv: AppEnvironment = try env.enumeration("APP_ENV", default: .development)
        let dataDir = env.string("DATA_DIR", default: "./data")
        let host = env.string("HOST", default: "127.0.0.1")
        let port = try env.integer("PORT", default: 8080, range: 1...65535)

        let database: DatabaseKind
        if let url = env.optional("DATABASE_URL") {
            if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
                guard URL(string: url)?.host != nil else {
                    throw Invalid(variable: "DATABASE_URL", reason: "not a valid postgres:// URL")
                }
                database = .postgres(url: url)
            } else if url.hasPrefix("sqlite://") {
                database = .sqlite(path: String(url.dropFirst("sqlite://".count)))
            } else {
                throw Invalid(variable: "DATABASE_URL", reason: "must start with postgres://, postgresql:// or sqlite://")
            }
        } else {
            database = .sqlite(path: dataDir + "/hwc3d.sqlite")
        }

        let jwtSecret: String
        if let secret = env.optional("JWT_SECRET") {
            guard secret.utf8.count >= 32 else {
                throw Invalid(variable: "JWT_SECRET", reason: "must be at least 32 characters")
            }
            jwtSecret = secret
        } else if appEnv == .production {
            throw Invalid(variable: "JWT_SECRET", reason: "is required when APP_ENV=production")
        } else {
            jwtSecret = try DevelopmentSecret.loadOrCreate(in: dataDir)
        }

        let publicURL = try env.url("PUBLIC_URL", default: "http://\(host):\(port)")
        let frontendURL = try env.url("FRONTEND_URL", default: "http://localhost:3000")
        let corsOrigins = env.list("CORS_ORIGINS", default: [frontendURL])
        for origin in corsOrigins where URL(string: origin)?.scheme == nil {
            throw Invalid(variable: "CORS_ORIGINS", reason: "'\(origin)' is not an origin like https://example.com")
        }

        let mailTransport: MailTransportKind = try env.enumeration("MAIL_TRANSPORT", default: .log)
        let mailFrom = env.string("MAIL_FROM", default: "HWC3D <no-reply@hwc3d.local>")
        guard mailFrom.contains("@"), !mailFrom.contains("\r"), !mailFrom.contains("\n") else {
            throw Invalid(variable: "MAIL_FROM", reason: "must be an email address, optionally with a display name")
        }
        var smtp: SMTP?
        if mailTransport == .smtp {
            guard let smtpHost = env.optional("SMTP_HOST") else {
                throw Invalid(variable: "SMTP_HOST", reason: "is required when MAIL_TRANSPORT=smtp")
            }
            let security = env.string("SMTP_SECURITY", default: "starttls")
            guard ["starttls", "tls", "none"].contains(security) else {
                throw Invalid(variable: "SMTP_SECURITY", reason: "must be one of starttls, tls, none")
            }
            smtp = SMTP(
                host: smtpHost,
                port: try env.integer("SMTP_PORT", default: security == "tls" ? 465 : 587, range: 1...65535),
                username: env.optional("SMTP_USERNAME"),
                password: env.optional("SMTP_PASSWORD"),
                security: security,
                verifyCertificate: try env.boolean("SMTP_VERIFY_CERTIFICATE", default: true)
            )
        }

        var providers: [String: OAuthProvider] = [:]
        for (name, defaults) in OAuthDefaults.all {
            let prefix = "OAUTH_\(name.uppercased())_"
            guard let clientID = env.optional(prefix + "CLIENT_ID") else { continue }
            guard let secret = env.optional(prefix + "CLIENT_SECRET") else {
                throw Invalid(variable: prefix + "CLIENT_SECRET", reason: "is required when \(prefix)CLIENT_ID is set")
            }
            providers[name] = OAuthProvider(
                name: name,
                clientID: clientID,
                clientSecret: secret,
                authorizeURL: try env.url(prefix + "AUTHORIZE_URL", default: defaults.authorize),
                tokenURL: try env.url(prefix + "TOKEN_URL", default: defaults.token),
                userInfoURL: try env.url(prefix + "USERINFO_URL", default: defaults.userInfo),
                emailsURL: try defaults.emails.map { try env.url(prefix + "EMAILS_URL", default: $0) },
                scopes: defaults.scopes
            )
        }

        var overrides: [String: RateLimitPolicy] = [:]
        for (key, value) in environment where key.hasPrefix("RATE_LIMIT_") && key != "RATE_LIMIT_ENABLED" {
            let parts = value.split(separator: "/")
            guard parts.count == 2, let limit = Int(parts[0]), let window = Int(parts[1]), limit > 0, window > 0 else {
                throw Invalid(variable: key, reason: "must look like LIMIT/SECONDS, e.g. 10/60")
            }
            overrides[String(key.dropFirst("RATE_LIMIT_".count)).lowercased()] = .init(limit: limit, windowSeconds: window)
        }

        // Info everywhere by default: the console says where the server listens, what it was told and what went
        // wrong; request-by-request detail is `LOG_LEVEL=debug`, SQL is `LOG_SQL=true`.
        let logLevelName = env.string("LOG_LEVEL", default: "info")
        guard let logLevel = Logger.Level(rawValue: logLevelName) else {
            throw Invalid(
                variable: "LOG_LEVEL",
                reason: "must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }

        let storage: StorageKind = try env.enumeration("STORAGE", default: .local)
        let s3 = storage == .s3 ? try S3.load(from: env) : nil

        return Settings(
            appEnv: appEnv,
            host: host,
            port: port,
            dataDir: dataDir,
            database: database,
            autoMigrate: try env.boolean("AUTO_MIGRATE", default: true),
            jwtSecret: jwtSecret,
            publicURL: publicURL,
            frontendURL: frontendURL,
            corsOrigins: corsOrigins,
            mailTransport: mailTransport,
            mailFrom: mailFrom,
            smtp: smtp,
            oauthProviders: providers,
            bcryptCost: try env.integer("BCRYPT_COST", default: appEnv == .testing ? 4 : 12, range: 4...31),
            logLevel: logLevel,
            logSQL: try env.boolean("LOG_SQL", default: false),
            shutdownGraceSeconds: try env.integer("SHUTDOWN_GRACE_SECONDS", default: 10, range: 1...600),
            httpIdleTimeoutSeconds: try env.integer("HTTP_IDLE_TIMEOUT_SECONDS", default: 75, range: 5...3600),
            rateLimitsEnabled: try env.boolean("RATE_LIMIT_ENABLED", default: true),
            rateLimitOverrides: overrides,
            loginFailureLimit: try env.integer("LOGIN_FAILURE_LIMIT", default: 10, range: 1...1000),
            loginFailureWindowSeconds: try env.integer("LOGIN_FAILURE_WINDOW_SECONDS", default: 900, range: 1...86400),
            docsAssetsURL: try env.url("DOCS_ASSETS_URL", default: "https://cdn.jsdelivr.net/npm"),
            metricsAllowlist: env.list("METRICS_ALLOWLIST", default: ["127.0.0.1", "::1"]),
            jobPollInterval: Double(try env.integer("JOB_POLL_INTERVAL_MS", default: 1000, range: 10...60000)) / 1000,
            socketSessionCheckInterval: Double(try env.integer("SOCKET_SESSION_CHECK_MS", default: 10000, range: 100...600_000)) / 1000,
            realtimeEnabled: try env.boolean("REALTIME", default: true),
            runJobWorker: try env.boolean("JOB_WORKER", default: true),
            trustProxy: try env.boolean("TRUST_PROXY", default: false),
            databasePoolSize: try env.integer("DATABASE_POOL_SIZE", default: 8, range: 1...100),
            databaseReadPoolSize: try env.integer("DATABASE_READ_POOL_SIZE", default: System.coreCount, range: 1...64),
            storage: storage,
            s3: s3,
            // S3 refuses presigned URLs valid for more than 7 days.
            downloadURLTTLSeconds: try env.integer("DOWNLOAD_URL_TTL_SECONDS", default: 600, range: 10...604_800),
            modelUploadMaxBytes: try env.integer("MODEL_UPLOAD_MAX_BYTES", default: 100 * 1024 * 1024, range: 1024...(2 << 30)),
            imageUploadMaxBytes: try env.integer("IMAGE_UPLOAD_MAX_BYTES", default: 10 * 1024 * 1024, range: 1024...(100 << 20)),
            storageQuotaBytes: Int64(try env.integer("STORAGE_QUOTA_BYTES", default: 5 << 30, range: 1024...(1 << 50))),
            catalogueCacheSeconds: try env.integer("CATALOGUE_CACHE_SECONDS", default: appEnv == .testing ? 0 : 10, range: 0...3600),
            previewViews: try Self.previewViews(env.list(
                "PREVIEW_VIEWS", default: appEnv == .testing ? ["cover"] : ["cover", "wireframe", "sheet"])),
            payments: try Payments.load(from: env, production: appEnv == .production)
        )
    }

    public func oauthProvider(named name: String) -> OAuthProvider? { oauthProviders[name] }
}

/// Providers' real endpoints, so production needs only a client id and secret.
enum OAuthDefaults {
    struct Endpoints {
        let authorize, token, userInfo: String
        let emails: String?
        let scopes: [String]
    }
    static let all: [String: Endpoints] = [
        "google": .init(
            authorize: "https://accounts.google.com/o/oauth2/v2/auth",
            token: "https://oauth2.googleapis.com/token",
            userInfo: "https://openidconnect.googleapis.com/v1/userinfo",
            emails: nil, scopes: ["openid", "email", "profile"]),
        "github": .init(
            authorize: "https://github.com/login/oauth/authorize",
            token: "https://github.com/login/oauth/access_token",
            userInfo: "https://api.github.com/user",
            emails: "https://api.github.com/user/emails", scopes: ["read:user", "user:email"]),
        "discord": .init(
            authorize: "https://discord.com/oauth2/authorize",
            token: "https://discord.com/api/oauth2/token",
            userInfo: "https://discord.com/api/users/@me",
            emails: nil, scopes: ["identify", "email"]),
    ]
}

extension Settings {
    static let knownPreviewViews: Set<String> = ["cover", "wireframe", "sheet"]

    static func previewViews(_ views: [String]) throws -> [String] {
        guard !views.isEmpty, views.allSatisfy(knownPreviewViews.contains), Set(views).count == views.count else {
            throw Invalid(variable: "PREVIEW_VIEWS", reason: "must list cover, wireframe and sheet, each at most once, in gallery order")
        }
        return views
    }
}

/// Typed reads over a string dictionary; every failure names its variable.
struct EnvironmentReader {
    let values: [String: String]

    func optional(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        return value
    }

    func string(_ name: String, default fallback: String) -> String { optional(name) ?? fallback }

    func integer(_ name: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
        guard let raw = optional(name) else { return fallback }
        guard let value = Int(raw), range.contains(value) else {
            throw Settings.Invalid(
                variable: name, reason: "must be an integer between \(range.lowerBound) and \(range.upperBound)")
        }
        return value
    }

    func boolean(_ name: String, default fallback: Bool) throws -> Bool {
        guard let raw = optional(name)?.lowercased() else { return fallback }
        switch raw {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw Settings.Invalid(variable: name, reason: "must be true or false")
        }
    }

    func url(_ name: String, default fallback: String) throws -> String {
        let raw = optional(name) ?? fallback
        guard let url = URL(string: raw), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil
        else {
            throw Settings.Invalid(variable: name, reason: "must be an absolute http(s) URL")
        }
        return raw.hasSuffix("/") ? String(raw.dropLast()) : raw
    }

    func list(_ name: String, default fallback: [String]) -> [String] {
        guard let raw = optional(name) else { return fallback }
        return raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func enumeration<E: RawRepresentable & CaseIterable>(_ name: String, default fallback: E) throws -> E
    where E.RawValue == String {
        guard let raw = optional(name) else { return fallback }
        guard let value = E(rawValue: raw.lowercased()) else {
            throw Settings.Invalid(
                variable: name, reason: "must be one of \(E.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

/// In development the signing secret is generated once and kept beside the data, so sessions survive restarts
/// without anyone having to invent a secret.
enum DevelopmentSecret {
    static func loadOrCreate(in dataDir: String) throws -> String {
        let path = dataDir + "/jwt-secret"
        if let existing = try? String(contentsOfFile: path, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), existing.utf8.count >= 32
        {
            return existing
        }
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let secret = SecureRandom.token(bytes: 48)
        guard FileManager.default.createFile(
            atPath: path, contents: Data(secret.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw Settings.Invalid(variable: "DATA_DIR", reason: "cannot write \(path)")
        }
        return secret
    }
}
