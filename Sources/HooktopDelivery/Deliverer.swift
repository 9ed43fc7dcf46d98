import Foundation
import HooktopCore
import Logging

/// Performs what `DeliveryEngine` decides: sends attempts, claims due
/// retries from the ledger (so a restarted daemon resumes where it stopped),
/// records every attempt and raises alerts. The daemon's scheduled
/// deliveries, `retry` and `replay` all make their attempts through
/// `attempt(_:kind:to:)`, so they are recorded and alerted the same way.
public final class Deliverer: @unchecked Sendable {
    public let forwarder: Forwarder
    public let settings: DeliveryEngine.Settings
    private let ledger: any DeliveryLedger
    private let alerts: (any DeliveryAlerts)?
    private let clock: any DeliveryClock
    private let logger: Logger

    // Guarded by `lock`.
    private let lock = NSLock()
    private var engine: DeliveryEngine
    private var poller: Task<Void, Never>?
    private let idle = DispatchGroup()

    public init(transport: any HTTPTransport, ledger: any DeliveryLedger, settings: DeliveryEngine.Settings,
                alerts: (any DeliveryAlerts)? = nil, clock: any DeliveryClock = SystemDeliveryClock(),
                logger: Logger = Logger(label: "hooktop.delivery")) {
        forwarder = Forwarder(transport: transport, timeoutMicros: settings.timeoutMicros)
        self.settings = settings
        self.ledger = ledger
        self.alerts = alerts
        self.clock = clock
        self.logger = logger
        engine = DeliveryEngine(settings: settings)
    }

    /// Starts looking for due retries every `pollMicros`, and at once again
    /// while the ledger has more than one look takes (a daemon restarted
    /// with a backlog, leases released after a crash) and little is queued.
    public func start() {
        let task = Task { [weak self] in
            while let self, !self.isStopping {
                let more = await self.pollOnce()
                if !more {
                    await self.clock.sleep(microseconds: self.settings.pollMicros)
                } else if self.lock.withLock({ self.engine.waitingCount }) >= Self.queuedBeforeWaiting {
                    await self.clock.sleep(microseconds: self.settings.pollMicros / 25)
                }
            }
        }
        lock.withLock { poller = task }
    }

    /// Due deliveries claimed per look at the ledger.
    static let pollLimit = 256
    /// Claimed and queued in memory, at most about this many: a claim is a lease of
    /// `timeout` plus a margin, and what waits here too long would outlive it.
    static let queuedBeforeWaiting = 1_024

    /// New requests whose delivery is pending and leased to this process.
    public func submit(_ requests: [CapturedRequest]) {
        perform(lock.withLock { engine.submitted(requests) })
    }

    /// Stops polling and waits for attempts under way to be recorded; queued
    /// ones stay in the ledger for the next start.
    public func stop() {
        let task: Task<Void, Never>? = lock.withLock {
            engine.stop()
            return poller
        }
        task?.cancel()
        idle.wait()
    }

    private var isStopping: Bool { lock.withLock { engine.stopping } }

    /// One look at the ledger for due deliveries; each is claimed, then run.
    /// The claims go to the writer together (one commit, not one each).
    /// Returns whether the look was full (more may be due).
    @discardableResult
    func pollOnce() async -> Bool {
        let due: [CapturedRequest]
        do {
            due = try await ledger.due(now: clock.now(), limit: Self.pollLimit)
        } catch {
            logger.error("cannot read due deliveries", metadata: ["error": "\(error)"])
            return false
        }
        let claims: [(CapturedRequest, Timestamp)] = lock.withLock { engine.found(due: due, now: clock.now()) }.compactMap {
            guard case .claim(let request, let lease) = $0 else { return nil }
            return (request, lease)
        }
        // Claimed together, run in the order they came due.
        let granted = await withTaskGroup(of: (Int, Bool?).self) { group in
            for (index, (request, lease)) in claims.enumerated() {
                group.addTask { [self] in
                    do {
                        return (index, try await ledger.claim(request, leaseUntil: lease))
                    } catch {
                        logger.error("cannot claim a due delivery", metadata: ["request": "\(request.id)", "error": "\(error)"])
                        return (index, nil)
                    }
                }
            }
            return await group.reduce(into: [Bool?](repeating: nil, count: claims.count)) { $0[$1.0] = $1.1 }
        }
        for ((request, _), granted) in zip(claims, granted) {
            guard let granted else { continue }
            perform(lock.withLock { engine.claimed(request, granted) })
        }
        return due.count == Self.pollLimit
    }

    /// Starts each `send` in a task of its own. An attempt's slot is free
    /// once its answer is in: the next attempt for that target starts then,
    /// while this one is recorded (the cap is on requests at the target, and
    /// waiting for the commit before starting the next left slots idle).
    private func perform(_ actions: [DeliveryEngine.Action]) {
        for action in actions {
            guard case .send(let job) = action else { continue }
            idle.enter()
            Task {
                let attempt = await forwarder.send(forwarder.outbound(job.request, to: job.url), kind: job.kind)
                let next = lock.withLock { engine.finished(job, attempt, now: clock.now()) }
                perform(next)
                do {
                    try await apply(next)
                } catch {
                    logger.error("cannot record a delivery attempt", metadata: ["request": "\(job.request.id)", "error": "\(error)"])
                }
                idle.leave()
            }
        }
    }

    /// Records and alerts, in the engine's order.
    private func apply(_ actions: [DeliveryEngine.Action]) async throws {
        for action in actions {
            switch action {
            case .record(let r):
                try await ledger.record(r.request, attempt: r.attempt, state: r.state, next: r.next, scheduled: r.scheduled, note: r.note)
            case .alert(let request, let reason):
                alerts?.deliveryFailed(request, reason: reason)
            case .send, .claim:
                break
            }
        }
    }

    /// Makes one attempt now and records it as the engine concludes.
    private func attempt(_ request: CapturedRequest, kind: DeliveryAttempt.Kind, to url: String,
                         headers: HeaderList? = nil, body: [UInt8]? = nil) async throws(DeliveryError) -> DeliveryAttempt {
        let attempt = await forwarder.send(forwarder.outbound(request, to: url, headers: headers, body: body), kind: kind)
        do {
            try await apply(DeliveryEngine.conclude(request, attempt, schedule: settings.schedule, now: clock.now()))
        } catch {
            throw .notRecorded(request.id, "\(error)")
        }
        return attempt
    }
}

// MARK: - Attempts people ask for

extension Deliverer {
    /// Sends the request again (possibly edited or re-signed) and records the
    /// attempt (kind `replay`). The stored request and its delivery state stay as they were.
    public func replay(_ request: CapturedRequest, to: String?, headers: HeaderList? = nil,
                       body: [UInt8]? = nil) async throws(DeliveryError) -> DeliveryAttempt {
        try await attempt(request, kind: .replay, to: try ReplayURL.resolve(request, to: to), headers: headers, body: body)
    }

    /// Makes the next scheduled attempt now (kind `retry`); the schedule
    /// carries on from there if it fails.
    public func retry(_ request: CapturedRequest) async throws(DeliveryError) -> DeliveryAttempt {
        guard let url = request.targetURL else { throw .noTarget(request.id) }
        guard request.deliveryState != .delivered else { throw .alreadyDelivered(request.id) }
        let claimed: Bool
        do {
            claimed = try await ledger.claim(request, leaseUntil: Lease.until(now: clock.now(), timeoutMicros: settings.timeoutMicros))
        } catch {
            throw .notRecorded(request.id, "\(error)")
        }
        guard claimed else { throw .leasedElsewhere(request.id) }
        return try await attempt(request, kind: .retry, to: url)
    }

    /// Proxy mode: one attempt now, recorded; its answer is what the sender
    /// gets (502 when the target gave none). No retries: the sender sees the
    /// failure and retries itself.
    public func proxy(_ request: CapturedRequest) async -> RecordedResponse {
        guard let url = request.targetURL else { return .defaultOK }
        let attempt = await forwarder.send(forwarder.outbound(request, to: url), kind: .forward)
        let delivered = attempt.status.map { (200..<300).contains($0) } ?? false
        let answer = Self.proxyAnswer(attempt)
        do {
            try await ledger.record(request, attempt: attempt, state: delivered ? .delivered : .failed, next: nil, scheduled: true,
                                    note: delivered ? nil : "proxy mode: the sender got the target's failure and no retry is scheduled")
            try await ledger.recordAnswer(request, answer)
        } catch {
            logger.error("cannot record a proxied attempt", metadata: ["request": "\(request.id)", "error": "\(error)"])
        }
        return answer
    }

    static func proxyAnswer(_ attempt: DeliveryAttempt) -> RecordedResponse {
        guard let status = attempt.status else {
            return RecordedResponse(status: 502, headers: HeaderList([("Content-Type", "application/json")]),
                                    body: Array(#"{"ok":false,"error":"target unreachable: \#(attempt.error ?? "")"}"#.utf8),
                                    durationMicros: attempt.durationMicros)
        }
        var headers = HeaderList(attempt.responseHeaders.fields.filter { !ForwardTarget.isHopByHop($0.name) })
        headers.remove("Content-Length")
        return RecordedResponse(status: status, headers: headers, body: attempt.responseBody, durationMicros: attempt.durationMicros)
    }
}
