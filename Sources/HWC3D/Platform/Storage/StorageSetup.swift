import AsyncHTTPClient
import NIOCore
import Vapor

/// Builds the storage `Settings` ask for. S3 gets an HTTP client of its own (no redirects followed: a redirect
/// would carry a signature meant for another host), on the app's event loops, shut down with the app.
enum StorageSetup {
    static func make(settings: Settings, app: Application) throws -> any FileStorage {
        switch settings.storage {
        case .local:
            return try LocalFileStorage(
                root: settings.storageDir, threadPool: app.threadPool,
                links: DownloadLinkSigner(serverSecret: settings.jwtSecret), publicURL: settings.publicURL)
        case .s3:
            guard let s3 = settings.s3 else { throw Settings.Invalid(variable: "STORAGE", reason: "s3 needs the S3_* settings") }
            let location = try S3Location(endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, pathStyle: s3.pathStyle)
            let httpClient = HTTPClient(
                eventLoopGroup: app.eventLoopGroup,
                configuration: .init(
                    redirectConfiguration: .disallow,
                    timeout: .init(connect: .seconds(10), read: .seconds(60)),
                    decompression: .disabled))
            app.lifecycle.use(HTTPClientShutdown(client: httpClient))
            return S3FileStorage(
                client: S3Client(
                    location: location,
                    credentials: .init(
                        accessKeyID: s3.accessKeyID, secretAccessKey: s3.secretAccessKey, sessionToken: s3.sessionToken),
                    httpClient: httpClient),
                threadPool: app.threadPool, temporaryDirectory: settings.dataDir + "/tmp")
        }
    }
}

/// An HTTP client must be shut down before its event loops are; app shutdown runs this first.
struct HTTPClientShutdown: LifecycleHandler {
    let client: HTTPClient

    func shutdownAsync(_ application: Application) async {
        try? await client.shutdown()
    }
}
