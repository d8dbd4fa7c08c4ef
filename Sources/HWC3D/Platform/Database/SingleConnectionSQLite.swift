import FluentKit
import NIOCore

/// SQLite allows one writer at a time, but Fluent opens one connection per event loop. With two connections a
/// transaction that read before another connection committed fails at its first write ("database is locked"),
/// and no busy timeout helps with that. Pinning every database handle to one event loop leaves a single
/// connection, which the pool leases to one query or transaction at a time: writes queue instead of failing.
struct SingleConnectionConfiguration: DatabaseConfiguration {
    var base: any DatabaseConfiguration
    let eventLoop: any EventLoop

    var middleware: [any AnyModelMiddleware] {
        get { base.middleware }
        set { base.middleware = newValue }
    }

    func makeDriver(for databases: Databases) -> any DatabaseDriver {
        SingleConnectionDriver(base: base.makeDriver(for: databases), eventLoop: eventLoop)
    }
}

private struct SingleConnectionDriver: DatabaseDriver {
    let base: any DatabaseDriver
    let eventLoop: any EventLoop

    func makeDatabase(with context: DatabaseContext) -> any Database {
        base.makeDatabase(with: DatabaseContext(
            configuration: context.configuration, logger: context.logger, eventLoop: eventLoop,
            history: context.history, pageSizeLimit: context.pageSizeLimit, shouldTrace: context.shouldTrace))
    }

    func shutdown() { base.shutdown() }
    func shutdownAsync() async { await base.shutdownAsync() }
}
