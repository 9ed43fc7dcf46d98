import HooktopCore
import NIOCore

/// The delivery rules as a value: which attempt runs when, how many run at
/// once per target, what an attempt's result means for the schedule. Every
/// event returns the actions to take; `Deliverer` performs them. No I/O, no
/// clock of its own: the time comes in with each event.
public struct DeliveryEngine: Sendable {
    public struct Settings: Sendable {
        public var schedule: RetrySchedule
        public var timeoutMicros: Int64
        /// Attempts in flight at most, per target origin.
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
    }

    /// One attempt to make: the request, why, and where.
    public struct Job: Sendable, Equatable {
        public var request: CapturedRequest
        public var kind: DeliveryAttempt.Kind
        public let url: String
        /// Requests to the same origin share the concurrency cap.
        public let origin: String

        public init(request: CapturedRequest, kind: DeliveryAttempt.Kind, url: String) {
            self.request = request
            self.kind = kind
            self.url = url
            origin = ForwardTarget.splitURL(url).0
        }
    }

    /// What an attempt leaves in the ledger.
    public struct Record: Sendable, Equatable {
        public var request: CapturedRequest
        public var attempt: DeliveryAttempt
        public var state: DeliveryState
        public var next: Timestamp?
        /// Counted against the schedule (forward and retry; not replay).
        public var scheduled: Bool
        public var note: String?
    }

    public enum Action: Sendable, Equatable {
        /// Make this attempt now.
        case send(Job)
        /// Take this due delivery for this process until `leaseUntil`; report with `claimed`.
        case claim(CapturedRequest, leaseUntil: Timestamp)
        case record(Record)
        /// A delivery failed for good.
        case alert(CapturedRequest, reason: String)
    }

    public let settings: Settings
    /// Requests running or waiting for a slot.
    private var taken: Set<Int64> = []
    private var running: [String: Int] = [:]
    /// FIFO per origin; a burst can queue tens of thousands, so taking the
    /// oldest must not move the rest (an Array's removeFirst did, and
    /// forwarding fell from thousands to dozens per second).
    private var waiting: [String: CircularBuffer<Job>] = [:]
    public private(set) var stopping = false

    public init(settings: Settings) { self.settings = settings }

    /// How many attempts are under way (not waiting).
    public var inFlight: Int { running.values.reduce(0, +) }
    /// How many wait for a slot.
    public var waitingCount: Int { waiting.values.reduce(0) { $0 + $1.count } }

    /// Newly committed requests whose delivery is pending and leased to this process.
    public mutating func submitted(_ requests: [CapturedRequest]) -> [Action] {
        requests.filter { $0.deliveryState == .pending }.flatMap { enqueue($0, kind: .forward) }
    }

    /// Deliveries the ledger says are due: each is claimed before it runs.
    public mutating func found(due requests: [CapturedRequest], now: Timestamp) -> [Action] {
        guard !stopping else { return [] }
        return requests.filter { !taken.contains($0.id) }.map {
            .claim($0, leaseUntil: Lease.until(now: now, timeoutMicros: settings.timeoutMicros))
        }
    }

    /// The ledger's answer to a `claim`.
    public mutating func claimed(_ request: CapturedRequest, _ granted: Bool) -> [Action] {
        guard granted else { return [] }
        return enqueue(request, kind: request.scheduledAttempts == 0 ? .forward : .retry)
    }

    /// A scheduled attempt ended: record it, free its slot, start the next one waiting for that target.
    public mutating func finished(_ job: Job, _ attempt: DeliveryAttempt, now: Timestamp) -> [Action] {
        taken.remove(job.request.id)
        var actions = Self.conclude(job.request, attempt, schedule: settings.schedule, now: now)
        if !stopping, let next = waiting[job.origin]?.popFirst() {
            if waiting[job.origin]?.isEmpty == true { waiting[job.origin] = nil }
            actions.append(.send(next))
        } else {
            running[job.origin, default: 1] -= 1
            if running[job.origin] == 0 { running[job.origin] = nil }
        }
        return actions
    }

    /// No new attempts from now on; what waits stays in the ledger for the next start.
    public mutating func stop() {
        stopping = true
        for job in waiting.values.joined() { taken.remove(job.request.id) }
        waiting.removeAll()
    }

    private mutating func enqueue(_ request: CapturedRequest, kind: DeliveryAttempt.Kind) -> [Action] {
        guard !stopping, let url = request.targetURL, !taken.contains(request.id) else { return [] }
        taken.insert(request.id)
        let job = Job(request: request, kind: kind, url: url)
        if running[job.origin, default: 0] >= settings.concurrency {
            waiting[job.origin, default: []].append(job)
            return []
        }
        running[job.origin, default: 0] += 1
        return [.send(job)]
    }

    /// What one attempt means, whoever made it (the engine, `retry` or
    /// `replay`): a replay leaves the delivery as it was; a forward or retry
    /// moves the schedule on, and a delivery that fails for good raises an alert.
    public static func conclude(_ request: CapturedRequest, _ attempt: DeliveryAttempt, schedule: RetrySchedule,
                                now: Timestamp) -> [Action] {
        if attempt.kind == .replay {
            return [.record(Record(request: request, attempt: attempt, state: request.deliveryState, next: request.nextAttemptAt,
                                   scheduled: false, note: request.deliveryNote))]
        }
        let outcome = RetrySchedule.outcome(status: attempt.status, error: attempt.error)
        switch schedule.next(afterAttempt: request.scheduledAttempts == .max ? .max : request.scheduledAttempts + 1, outcome: outcome, now: now) {
        case .delivered:
            return [.record(Record(request: request, attempt: attempt, state: .delivered, next: nil, scheduled: true, note: nil))]
        case .retry(let at):
            return [.record(Record(request: request, attempt: attempt, state: .retrying, next: at, scheduled: true, note: nil))]
        case .failed(let reason):
            return [.record(Record(request: request, attempt: attempt, state: .failed, next: nil, scheduled: true, note: reason)),
                    .alert(request, reason: reason)]
        }
    }
}

/// How long an attempt under way keeps a delivery from other processes:
/// the attempt's timeout and a margin for recording it. The one place this
/// rule lives (capture sets the first lease, the engine and `retry` the next).
public enum Lease {
    public static let marginMicros: Int64 = 30_000_000

    public static func until(now: Timestamp, timeoutMicros: Int64) -> Timestamp {
        now.adding(microseconds: timeoutMicros.saturatingAdding(marginMicros))
    }
}
