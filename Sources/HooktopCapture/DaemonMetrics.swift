import CoreMetrics
import HooktopCore
import HooktopDelivery
import HooktopStore
import NIOConcurrencyHelpers
import Prometheus

/// What the daemon counts, in Prometheus text at `--metrics-listen`. Built
/// on swift-metrics with swift-prometheus's factory, held here and handed
/// to whoever counts (no global bootstrap).
public final class DaemonMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    /// What the counters that are read, not counted, stood at when last scraped.
    private let reported = NIOLockedValueBox((refused: 0, rejected: 0))

    public init() { factory = PrometheusMetricsFactory(registry: registry) }

    private func count(_ label: String, _ dimensions: [(String, String)] = [], by n: Int = 1) {
        Counter(label: label, dimensions: dimensions, factory: factory).increment(by: n)
    }

    /// A committed batch: stored requests, answers by status, verdicts by source, batch size and commit time.
    func committed(_ batch: [CapturedRequest], commitMicros: Int64) {
        count("hooktop_requests_captured_total", by: batch.count)
        count("hooktop_requests_stored_total", by: batch.count)
        for r in batch {
            count("hooktop_responses_total", [("status", String(r.response.status))])
            if r.signature.scheme != nil || r.signature.status != .none {
                count("hooktop_signatures_total", [("source", r.source ?? ""), ("scheme", r.signature.scheme ?? ""),
                                                   ("status", r.signature.status.rawValue)])
            }
        }
        Recorder(label: "hooktop_batch_size", factory: factory).record(batch.count)
        Timer(label: "hooktop_commit_duration", factory: factory).recordMicroseconds(commitMicros)
    }

    /// A delivery attempt and the state it left, by target origin.
    func attempt(_ attempt: DeliveryAttempt, state: DeliveryState) {
        let target = ForwardTarget.splitURL(attempt.url).0
        let outcome = attempt.status.map { "\($0 / 100)xx" } ?? "error"
        count("hooktop_delivery_attempts_total", [("target", target), ("kind", attempt.kind.rawValue), ("outcome", outcome)])
        count("hooktop_delivery_states_total", [("target", target), ("state", state.rawValue)])
    }

    func retention(removed: Int) {
        count("hooktop_retention_runs_total")
        count("hooktop_retention_removed_total", by: removed)
    }

    /// The Prometheus text, with the gauges read now.
    func scrape(writer: StoreWriter.Stats, refusedWithoutToken: Int, failingDeliveries: Int?) -> [UInt8] {
        Gauge(label: "hooktop_store_queue_depth", factory: factory).record(writer.queued)
        if let failingDeliveries { Gauge(label: "hooktop_deliveries_failing", factory: factory).record(failingDeliveries) }
        let (refused, rejected) = reported.withLockedValue { last in
            defer { last = (refusedWithoutToken, writer.rejected) }
            return (max(0, refusedWithoutToken - last.refused), max(0, writer.rejected - last.rejected))
        }
        // Requests answered without being stored: 401 without the token, 503 when the store could not take them.
        count("hooktop_requests_refused_without_token_total", by: refused)
        count("hooktop_requests_captured_total", by: refused + rejected)
        count("hooktop_responses_total", [("status", "401")], by: refused)
        count("hooktop_responses_total", [("status", "503")], by: rejected)
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}
