import Foundation
import Logging
import NIOCore
import NIOPosix
import Vapor

/// Starts the `hwc3d` executable: loads `.env`, validates settings (exiting with a message naming the bad
/// variable), sets up logging and runs the requested command (`serve` by default).
public enum HWC3DMain {
    /// Makes NIO's event loops the executor of Swift concurrency's tasks, so a request no longer hops between them
    /// and a second pool of threads on every await: those thread switches were about a tenth of the model page's
    /// CPU. Blocking work (bcrypt, SQLite, files, mesh analysis, image and preview rendering) already runs on NIO
    /// thread pools, never on a task. It only works before the first task starts: call it first thing in `main`.
    public static func runTasksOnEventLoops() {
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }

    public static func run() async {
        DotEnv.load(path: ".env")
        let settings: Settings
        do {
            settings = try Settings.load(from: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("hwc3d: \(error)\n".utf8))
            exit(2)
        }
        do {
            var env = try Environment.detect()
            env.arguments = env.arguments.count > 1 ? env.arguments : env.arguments + ["serve"]
            if settings.isProduction {
                LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: settings.logLevel) }
            } else {
                try LoggingSystem.bootstrap(from: &env) { level in
                    { label in ConsoleLogger(label: label, console: Terminal(), level: settings.logLevel) }
                }
            }
            // Vapor's serve command stops gracefully (finishing in-flight requests) when it hears SIGTERM or SIGINT
            // through dispatch signal sources; on Linux those only fire if the default action, which kills the
            // process at once, is turned off first. Vapor does this on Darwin only.
            signal(SIGTERM, SIG_IGN)
            signal(SIGINT, SIG_IGN)
            let app = try await Application.make(env)
            app.asyncCommands.use(CreateAdminCommand(), as: "create-admin")
            app.asyncCommands.use(SeedDemoCommand(), as: "seed-demo")
            app.asyncCommands.use(ReindexSearchCommand(), as: "reindex-search")
            app.asyncCommands.use(ReanalyseCommand(), as: "reanalyse")
            app.asyncCommands.use(LedgerCheckCommand(), as: "ledger-check")
            do {
                try await configure(app, settings: settings)
                try await app.execute()
                // Drain the HTTP server (in-flight requests finish, up to its shutdown timeout) before the
                // application shuts down the database pools those requests are still using; Vapor's own order is
                // the other way round.
                await app.server.shutdown()
            } catch {
                app.logger.critical("hwc3d stopped", metadata: ["error": "\(error)"])
                try? await app.asyncShutdown()
                exit(1)
            }
            try await app.asyncShutdown()
        } catch {
            FileHandle.standardError.write(Data("hwc3d: \(error)\n".utf8))
            exit(1)
        }
    }
}

/// `KEY=value` lines from a file into the environment, never overriding what the environment already says.
enum DotEnv {
    static func load(path: String) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        for rawLine in text.split(whereSeparator: \.isNewline) {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#"), let eq = line.firstIndex(of: "=") else { continue }
            var key = String(line[..<eq]).trimmingCharacters(in: .whitespaces)
            if key.hasPrefix("export ") { key = String(key.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            var value = String(line[line.index(after: eq)...]).trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            setenv(key, value, 0)
        }
    }
}
