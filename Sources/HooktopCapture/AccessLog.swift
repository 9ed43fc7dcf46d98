import HooktopCore
import HooktopDelivery
import Logging

/// One line per captured request and one per delivery attempt, at the
/// default level (`info`), as mitmproxy's console and the Stripe CLI show
/// them; key=value after the summary, grep-friendly. Never a body, a
/// secret or a signature: method, target, status and verdicts only.
///
///     --> POST /stripe/events 200 sig=valid id=42 source=stripe
///     <-- [500] POST http://localhost:3000/stripe/events 12.5ms id=42 kind=forward state=retrying
struct AccessLog: Sendable {
    let logger: Logger

    func captured(_ batch: [CapturedRequest]) {
        guard logger.logLevel <= .info else { return }
        for r in batch {
            var line = "--> \(TerminalText.inline(r.method)) \(TerminalText.inline(r.target)) \(r.response.status) sig=\(r.signature.status.rawValue)"
            line += " id=\(r.id)"
            if let source = r.source { line += " source=\(TerminalText.inline(source))" }
            if let error = r.error { line += " error=\"\(TerminalText.inline(error))\"" }
            logger.info("\(line)")
        }
    }

    func attempt(_ request: CapturedRequest, _ attempt: DeliveryAttempt, state: DeliveryState) {
        guard logger.logLevel <= .info else { return }
        let outcome = attempt.status.map { "[\($0)]" } ?? "[--]"
        var line = "<-- \(outcome) \(TerminalText.inline(request.method)) \(TerminalText.inline(attempt.url)) "
            + String(format: "%.1fms", Double(attempt.durationMicros) / 1000)
            + " id=\(request.id) kind=\(attempt.kind.rawValue) state=\(state.rawValue)"
        if let error = attempt.error { line += " error=\"\(TerminalText.inline(error))\"" }
        logger.info("\(line)")
    }
}

/// The store ledger, with each recorded attempt also written to the access log.
struct LoggingLedger: DeliveryLedger {
    let inner: any DeliveryLedger
    let log: AccessLog

    func due(now: Timestamp, limit: Int) async throws -> [CapturedRequest] { try await inner.due(now: now, limit: limit) }
    func claim(_ request: CapturedRequest, leaseUntil: Timestamp) async throws -> Bool { try await inner.claim(request, leaseUntil: leaseUntil) }
    func record(_ request: CapturedRequest, attempt: DeliveryAttempt, state: DeliveryState, next: Timestamp?,
                scheduled: Bool, note: String?) async throws {
        log.attempt(request, attempt, state: state)
        try await inner.record(request, attempt: attempt, state: state, next: next, scheduled: scheduled, note: note)
    }
    func recordAnswer(_ request: CapturedRequest, _ response: RecordedResponse) async throws {
        try await inner.recordAnswer(request, response)
    }
}
