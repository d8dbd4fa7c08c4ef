import Fluent
import Foundation
import HWC3DAPI
import OpenAPIRuntime
import SQLKit
import Vapor

/// The server itself: liveness, readiness (database, migrations, storage), Prometheus metrics and public media.
/// Not under `/api/v1` and not rate limited.
extension APIHandler {
    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: "ok"))))
    }

    /// Ready means: the database answers, every migration is applied, and storage takes a write.
    func getReady(_ input: Operations.GetReady.Input) async throws -> Operations.GetReady.Output {
        let req = try request
        var database = Components.Schemas.ReadyCheck(ok: true)
        var migrations = Components.Schemas.ReadyCheck(ok: true)
        var storage = Components.Schemas.ReadyCheck(ok: true)
        do {
            let sql = req.db.sql
            try await sql.raw("SELECT 1").run()
            let applied = try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all)).from("_fluent_migrations")
                .first()?.decode(column: sql.dialect.name == "postgresql" ? "count" : "COUNT(*)", as: Int.self) ?? 0
            if applied < Migrations.all.count {
                migrations = .init(ok: false, detail: "\(Migrations.all.count - applied) migration(s) not applied")
            }
        } catch {
            req.logger.warning("readiness: database check failed", metadata: ["error": "\(error)"])
            database = .init(ok: false, detail: "database unreachable")
            migrations = .init(ok: false, detail: "unknown: database unreachable")
        }
        do {
            try await services.storage.checkWritable()
        } catch {
            storage = .init(ok: false, detail: "storage not writable")
        }
        let ready = database.ok && migrations.ok && storage.ok
        let body = Components.Schemas.Ready(
            status: ready ? .ok : .unavailable, checks: .init(database: database, migrations: migrations, storage: storage))
        return ready ? .ok(.init(body: .json(body))) : .serviceUnavailable(.init(body: .json(body)))
    }

    /// Prometheus exposition, only for addresses on the allowlist (`METRICS_ALLOWLIST`).
    func getMetrics(_ input: Operations.GetMetrics.Input) async throws -> Operations.GetMetrics.Output {
        let req = try request
        guard services.settings.metricsAllowlist.contains(req.remoteAddress?.ipAddress ?? "") else {
            throw Problem.notFound("Page")
        }
        if let queued = try? await services.jobs.queuedCount(database: req.db) { Metrics.jobsQueued.set(Double(queued)) }
        if let failed = try? await services.jobs.failedCount(database: req.db) { Metrics.jobsFailed.set(Double(failed)) }
        if let pending = try? await Outbox.pendingCount(on: req.db) { Metrics.outboxPending.set(Double(pending)) }
        switch services.settings.database {
        case .sqlite: Metrics.databasePoolMax.set(Double(1 + services.settings.databaseReadPoolSize))
        case .postgres: Metrics.databasePoolMax.set(Double(services.settings.databasePoolSize * System.coreCount))
        }
        return .ok(.init(body: .plainText(HTTPBody(Metrics.exposition()))))
    }

    func getMedia(_ input: Operations.GetMedia.Input) async throws -> Operations.GetMedia.Output {
        let kind = input.path.kind
        let file = input.path.file
        let isWebP = file.hasSuffix(".webp")
        let galleryKinds = [ImageRenditionFiles.models, .uploads].map(\.mediaKind)
        guard (["avatars", "banners"] + galleryKinds).contains(kind), StoredObjectKey.isSafe("\(kind)/\(file)"),
            isWebP || (galleryKinds.contains(kind) && file.hasSuffix(".jpg")),
            let stored = try await services.storage.read(key: "\(kind)/\(file)", range: nil)
        else { throw Problem.notFound("File") }
        // Keys change on every upload, so a stored file never changes and can be cached for good.
        let headers = Operations.GetMedia.Output.Ok.Headers(cacheControl: "public, max-age=31536000, immutable")
        return .ok(.init(headers: headers, body: isWebP ? .imageWebp(stored.bytes) : .jpeg(stored.bytes)))
    }
}
