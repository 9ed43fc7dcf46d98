import Foundation
import HooktopCore
import NIOCore

/// The daemon's delivery engine: makes each new request's first attempt at
/// once, finds due retries in the ledger (so a restarted daemon resumes where
/// it stopped), keeps at most `concurrency` attempts in flight per target,
/// and records every attempt.
public final class Deliverer: @unchecked Sendable {
    public struct Settings: Sendable {
        public var schedule: RetrySchedule
        public var timeoutMicros: Int64
        public var concurrency: Int
        /// How often the ledger is asked for due retries.
        public var pollMicros: Int64

        public init(schedule: RetrySchedule = .standard, timeoutMicros: Int64 = 15_000_000, concurrency: Int = 32,
                    pollMicros: Int64 = 250_000) {
            self.schedule = schedule
            self.timeoutMicros = timeoutMicros
            self.concurrency = max(1, concurrency)
            self.pollMicros = pollMicros
        }

        /// How long an attempt under way keeps a delivery from other processes.
        public var leaseMicros: Int64 { timeoutMicros + 30_000_000 }
    }

    private let forwarder: Forwarder
    private let ledger: any DeliveryLedger
    private let settings: Settings
    private let alerts: (any DeliveryAlerts)?

    // Guarded by `lock`.
    private let lock = NSLock()
    private var inFlight = Set<Int64>()
    private var perTarget: [String: Int] = [:]
    private var waiting: [String: CircularBuffer<(CapturedRequest, DeliveryAttempt.Kind)>] = [:]
    private var stopping = false
    private var poller: Task<Void, Never>?
    private let idle = DispatchGroup()

    public init(forwarder: Forwarder, ledger: any DeliveryLedger, settings: Settings, alerts: (any DeliveryAlerts)? = nil) {
        self.forwarder = forwarder
        self.ledger = ledger
        self.settings = settings
        self.alerts = alerts
    }

    /// Starts looking for due retries.
    public func start() {
        let task = Task { [weak self] in
            while let self, !self.isStopping {
                await self.pollOnce()
                try? await Task.sleep(nanoseconds: UInt64(self.settings.pollMicros) * 1000)
            }
        }
        lock.withLock { poller = task }
    }

    /// New requests whose delivery is pending and leased to this process.
    public func submit(_ requests: [CapturedRequest]) {
        for request in requests where request.deliveryState == .pending && request.targetURL != nil {
            dispatch(request, kind: .forward)
        }
    }

    /// Stops polling and waits for attempts under way; queued ones stay in the ledger for next time.
    public func stop() {
        let task: Task<Void, Never>? = lock.withLock {
            stopping = true
            waiting.removeAll()
            return poller
        }
        task?.cancel()
        idle.wait()
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    func pollOnce() async {
        guard let due = try? await ledger.due(now: .now(), limit: 256) else { return }
        for request in due {
            let busy = lock.withLock { inFlight.contains(request.id) || stopping }
            if busy { continue }
            let lease = Timestamp.now().adding(microseconds: settings.leaseMicros)
            guard (try? await ledger.claim(request, leaseUntil: lease)) == true else { continue }
            dispatch(request, kind: request.scheduledAttempts == 0 ? .forward : .retry)
        }
    }

    private func dispatch(_ request: CapturedRequest, kind: DeliveryAttempt.Kind) {
        guard let url = request.targetURL else { return }
        let origin = ForwardTarget.splitURL(url).0
        let start: Bool = lock.withLock {
            guard !stopping, !inFlight.contains(request.id) else { return false }
            inFlight.insert(request.id)
            if perTarget[origin, default: 0] >= settings.concurrency {
                waiting[origin, default: []].append((request, kind))
                return false
            }
            perTarget[origin, default: 0] += 1
            return true
        }
        if start { run(request, kind: kind, origin: origin) }
    }

    private func run(_ request: CapturedRequest, kind: DeliveryAttempt.Kind, origin: String) {
        idle.enter()
        Task {
            await attempt(request, kind: kind)
            let next: (CapturedRequest, DeliveryAttempt.Kind)? = lock.withLock {
                inFlight.remove(request.id)
                if !stopping, let item = waiting[origin]?.popFirst() {
                    return item
                }
                perTarget[origin, default: 1] -= 1
                return nil
            }
            if let next { run(next.0, kind: next.1, origin: origin) }
            idle.leave()
        }
    }

    /// One scheduled attempt: send, decide what follows, record both.
    func attempt(_ request: CapturedRequest, kind: DeliveryAttempt.Kind) async {
        guard let url = request.targetURL else { return }
        let result = await forwarder.send(forwarder.outbound(request, to: url), kind: kind)
        let outcome = RetrySchedule.outcome(status: result.status, error: result.error)
        let decision = settings.schedule.next(afterAttempt: request.scheduledAttempts + 1, outcome: outcome, now: .now())
        let (state, next, note) = Self.apply(decision)
        try? await ledger.record(request, attempt: result, state: state, next: next, scheduled: true, note: note)
        if case .failed(let reason) = decision { alerts?.deliveryFailed(request, reason: reason) }
    }

    static func apply(_ decision: RetrySchedule.Next) -> (DeliveryState, Timestamp?, String?) {
        switch decision {
        case .delivered: return (.delivered, nil, nil)
        case .retry(let at): return (.retrying, at, nil)
        case .failed(let reason): return (.failed, nil, reason)
        }
    }
}

extension Deliverer {
    /// Proxy mode: one attempt now, recorded; its answer is what the sender
    /// gets (502 when the target gave none). No retries: the sender sees the
    /// failure and retries itself.
    public func proxy(_ request: CapturedRequest) async -> RecordedResponse {
        let answer = await proxyAnswer(request)
        try? await ledger.recordAnswer(request, answer)
        return answer
    }

    private func proxyAnswer(_ request: CapturedRequest) async -> RecordedResponse {
        guard let url = request.targetURL else { return .defaultOK }
        let attempt = await forwarder.send(forwarder.outbound(request, to: url), kind: .forward)
        let delivered = attempt.status.map { (200..<300).contains($0) } ?? false
        try? await ledger.record(request, attempt: attempt, state: delivered ? .delivered : .failed, next: nil, scheduled: true,
                                 note: delivered ? nil : "proxy mode: the sender got the target's failure and no retry is scheduled")
        guard let status = attempt.status else {
            return RecordedResponse(status: 502, headers: HeaderList([("Content-Type", "application/json")]),
                                    body: Array(#"{"ok":false,"error":"target unreachable: \#(attempt.error ?? "")"}"#.utf8),
                                    durationMicros: attempt.durationMicros)
        }
        var headers = HeaderList(attempt.responseHeaders.fields.filter { !ForwardTarget.hopByHop.contains($0.name.lowercased()) })
        headers.remove("Content-Length")
        return RecordedResponse(status: status, headers: headers, body: attempt.responseBody, durationMicros: attempt.durationMicros)
    }
}
