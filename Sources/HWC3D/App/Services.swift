import Fluent
import Vapor

/// The long-lived pieces every feature uses, built once in `configure` from `Settings`.
final class AppServices: Sendable {
    let settings: Settings
    let tokens: TokenSigner
    let passwords: PasswordHasher
    let storage: any FileStorage
    let images: ImageProcessor
    let jobs: JobQueue
    let mailer: Mailer
    let rateLimiter: RateLimiter
    let payments: PaymentProviders
    let totpBox: SecretBox
    /// This instance's open sockets (`RealtimeListener` feeds them).
    let realtime = RealtimeHub()

    init(settings: Settings, tokens: TokenSigner, passwords: PasswordHasher, storage: any FileStorage,
         images: ImageProcessor, jobs: JobQueue, mailer: Mailer, rateLimiter: RateLimiter, payments: PaymentProviders) {
        self.settings = settings
        self.tokens = tokens
        self.passwords = passwords
        self.storage = storage
        self.images = images
        self.jobs = jobs
        self.mailer = mailer
        self.rateLimiter = rateLimiter
        self.payments = payments
        self.totpBox = SecretBox(serverSecret: settings.jwtSecret, purpose: "totp")
    }
}

private struct AppServicesKey: StorageKey {
    typealias Value = AppServices
}

extension Application {
    var services: AppServices {
        get {
            guard let services = storage[AppServicesKey.self] else { fatalError("configure(_:settings:) was not called") }
            return services
        }
        set { storage[AppServicesKey.self] = newValue }
    }

    var settings: Settings { services.settings }
}
