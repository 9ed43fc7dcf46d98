import HooktopCore
import HooktopDelivery
import Logging

/// One event per captured request and one per delivery attempt, at the
/// default level (`info`), as key=value metadata (grep-friendly). Never a
/// body, a secret or a signature: method, target, status and verdicts only.
///
///     msg=request method=POST target=/stripe/events status=200 sig=valid id=42 source=stripe
///     msg=attempt method=POST url=http://localhost:3000/stripe/events status=500 ms=12.5 id=42 kind=forward state=retrying
struct AccessLog: Sendable {
    let logger: Logger

    func captured(_ batch: [CapturedRequest]) {
        guard logger.logLevel <= .info else { return }
        for r in batch {
            var fields: Logger.Metadata = [
                "method": "\(r.method)", "target": "\(r.target)", "status": "\(r.response.status)",
                "sig": "\(r.signature.status.rawValue)", "id": "\(r.id)",
            ]
            if let source = r.source { fields["source"] = "\(source)" }
            if let label = r.label { fields["label"] = "\(label)" }
            if let error = r.error { fields["error"] = "\(error)" }
            logger.info("request", metadata: fields)
        }
    }

    func attempt(_ request: CapturedRequest, _ attempt: DeliveryAttempt, state: DeliveryState) {
        guard logger.logLevel <= .info else { return }
        var fields: Logger.Metadata = [
            "method": "\(request.method)", "url": "\(attempt.url)", "status": "\(attempt.status.map(String.init) ?? "-")",
            "ms": "\(DurationText.milliseconds(attempt.durationMicros))", "id": "\(request.id)",
            "kind": "\(attempt.kind.rawValue)", "state": "\(state.rawValue)",
        ]
        if let error = attempt.error { fields["error"] = "\(error)" }
        logger.info("attempt", metadata: fields)
    }
}

/// The store ledger, with each recorded attempt also written to the access log.
struct LoggingLedger: DeliveryLedger {
    let inner: any DeliveryLedger
    let log: AccessLog
    var metrics: DaemonMetrics? = nil

    func due(now: Timestamp, limit: Int) async throws -> [CapturedRequest] { try await inner.due(now: now, limit: limit) }
    func claim(_ request: CapturedRequest, leaseUntil: Timestamp) async throws -> Bool { try await inner.claim(request, leaseUntil: leaseUntil) }
    func record(_ request: CapturedRequest, attempt: DeliveryAttempt, state: DeliveryState, next: Timestamp?,
                scheduled: Bool, note: String?) async throws {
        log.attempt(request, attempt, state: state)
        metrics?.attempt(attempt, state: state)
        try await inner.record(request, attempt: attempt, state: state, next: next, scheduled: scheduled, note: note)
    }
    func recordAnswer(_ request: CapturedRequest, _ response: RecordedResponse) async throws {
        try await inner.recordAnswer(request, response)
    }
}
