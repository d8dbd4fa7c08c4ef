import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// Prometheus metrics for the process. Vapor itself records `http_requests_total` and
/// `http_request_duration_seconds` by route pattern, method and status through swift-metrics; the application adds
/// gauges for the database pool and the job queue.
enum Metrics {
    static let registry = PrometheusCollectorRegistry()

    private static let bootstrapped = NIOLockedValueBox(false)

    /// swift-metrics allows one bootstrap per process; tests build many applications.
    static func bootstrapOnce() {
        bootstrapped.withLockedValue { done in
            guard !done else { return }
            var factory = PrometheusMetricsFactory(registry: registry)
            factory.defaultDurationHistogramBuckets = [
                .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
                .milliseconds(2500), .seconds(5), .seconds(10),
            ]
            MetricsSystem.bootstrap(factory)
            done = true
        }
    }

    static let jobsQueued = gauge("jobs", "queued", "Jobs waiting to run")
    static let jobsFailed = gauge("jobs", "failed", "Jobs that failed for good")
    static let outboxPending = gauge("outbox", "pending", "Emails not yet delivered")
    static let databasePoolMax = gauge("db_pool", "max_connections", "Database connections the pool may open")

    private static func gauge(_ subsystem: String, _ name: String, _ help: String) -> Prometheus.Gauge {
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "hwc3d", subsystem: subsystem, metricName: name, unitName: "", helpText: help))
    }

    static func exposition() -> String {
        var buffer = [UInt8]()
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
