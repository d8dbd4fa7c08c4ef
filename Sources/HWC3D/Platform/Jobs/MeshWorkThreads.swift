import NIOPosix
import Vapor

/// Threads for 3D work (analysis with its quality report and fingerprint, preview renders), apart from the pool that
/// blocking I/O uses (SQLite, files, bcrypt). A render of a million triangles holds a core for a second or more; on
/// the shared pool every database call queued behind it waited too, and under load requests timed out with 503.
/// Half the cores, at least one, so 3D work never takes the whole machine.
enum MeshWorkThreads {
    static func start(on app: Application) -> NIOThreadPool {
        let pool = NIOThreadPool(numberOfThreads: max(1, System.coreCount / 2))
        pool.start()
        app.lifecycle.use(ThreadPoolShutdown(pool: pool))
        return pool
    }
}

/// Stops a thread pool the application started, when it shuts down.
struct ThreadPoolShutdown: LifecycleHandler {
    let pool: NIOThreadPool

    func shutdownAsync(_ application: Application) async {
        try? await pool.shutdownGracefully()
    }
}
