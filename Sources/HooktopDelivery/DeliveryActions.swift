import Foundation
import HooktopCore

/// `replay` and `retry`, as the CLI and the TUI's `r` and `R` run them.
public struct DeliveryActions: Sendable {
    public let forwarder: Forwarder
    public let ledger: any DeliveryLedger
    public let schedule: RetrySchedule

    public init(forwarder: Forwarder, ledger: any DeliveryLedger, schedule: RetrySchedule) {
        self.forwarder = forwarder
        self.ledger = ledger
        self.schedule = schedule
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Where a replay goes: `to` with the request's own target when `to`
    /// has no path, `to` with the request's query when it has a path but no
    /// query of its own, else `to` as given; without `to`, the request's
    /// target URL. A `to` that is not an http(s) URL with a host (and a port
    /// that fits) is refused before anything is sent or recorded.
    public static func replayURL(_ request: CapturedRequest, to: String?) throws(Failure) -> String {
        if let to {
            guard let c = URLComponents(string: to), let scheme = c.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = c.host, !host.isEmpty, (c.port ?? 1) > 0, (c.port ?? 1) <= 65535, c.fragment == nil else {
                throw Failure(description: "--to must be an http:// or https:// URL with a host, got '\(TerminalText.inline(to))'")
            }
            let (origin, path) = ForwardTarget.splitURL(to)
            if path.isEmpty || path == "/" { return origin + request.target }
            if c.query == nil, !request.query.isEmpty { return to + "?" + request.query }
            return to
        }
        guard let url = request.targetURL else {
            throw Failure(description: "request #\(request.id) has no target configured; give one with --to URL")
        }
        return url
    }

    /// Sends the request again (possibly edited or re-signed) and records the
    /// attempt (kind `replay`). The stored request and its delivery state stay as they were.
    public func replay(_ request: CapturedRequest, to: String?, headers: HeaderList? = nil,
                       body: [UInt8]? = nil) async throws -> DeliveryAttempt {
        let url = try Self.replayURL(request, to: to)
        let attempt = await forwarder.send(forwarder.outbound(request, to: url, headers: headers, body: body), kind: .replay)
        try await ledger.record(request, attempt: attempt, state: request.deliveryState, next: request.nextAttemptAt,
                                scheduled: false, note: request.deliveryNote)
        return attempt
    }

    /// Makes the next scheduled attempt now (kind `retry`); the schedule
    /// carries on from there if it fails.
    public func retry(_ request: CapturedRequest) async throws -> DeliveryAttempt {
        guard let url = request.targetURL else {
            throw Failure(description: "request #\(request.id) has no target configured (--forward-to or a source's forward_to)")
        }
        guard request.deliveryState != .delivered else {
            throw Failure(description: "request #\(request.id) was already delivered; use replay to send it again")
        }
        let lease = Timestamp.now().adding(microseconds: forwarder.timeoutMicros + 30_000_000)
        guard try await ledger.claim(request, leaseUntil: lease) else {
            throw Failure(description: "request #\(request.id) is being delivered by another process right now")
        }
        let attempt = await forwarder.send(forwarder.outbound(request, to: url), kind: .retry)
        let decision = schedule.next(afterAttempt: request.scheduledAttempts + 1,
                                     outcome: RetrySchedule.outcome(status: attempt.status, error: attempt.error), now: .now())
        let (state, next, note) = Deliverer.apply(decision)
        try await ledger.record(request, attempt: attempt, state: state, next: next, scheduled: true, note: note)
        return attempt
    }
}
