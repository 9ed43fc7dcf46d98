import Foundation
import HooktopCore
import HooktopDelivery
import HooktopStore
#if canImport(Glibc)
import Glibc
#endif

/// The delivery ledger on the store: reads due work with its own connection,
/// writes through the daemon's group-commit writer.
public final class StoreLedger: DeliveryLedger, @unchecked Sendable {
    private let writer: any StoreWriting
    private let backend: any StoreBackend
    private let lock = NSLock()
    private var reader: (any StoreReading)?  // guarded by lock; opened on first use

    public init(writer: any StoreWriting, backend: any StoreBackend) {
        self.writer = writer
        self.backend = backend
    }

    private func withReader<T>(_ body: (any StoreReading) throws -> T) throws -> T {
        try lock.withLock {
            if reader == nil { reader = try backend.openReader() }
            return try body(reader!)
        }
    }

    public func due(now: Timestamp, limit: Int) async throws -> [CapturedRequest] {
        try withReader { try $0.dueDeliveries(now: now, limit: limit) }
    }

    public func claim(_ request: CapturedRequest, leaseUntil: Timestamp) async throws -> Bool {
        try await writer.apply(.claim(requestID: request.id, expected: request.nextAttemptAt, leaseUntil: leaseUntil, pid: getpid())) == 1
    }

    public func record(_ request: CapturedRequest, attempt: DeliveryAttempt, state: DeliveryState, next: Timestamp?,
                       scheduled: Bool, note: String?) async throws {
        try await writer.apply(.recordAttempt(requestID: request.id, attempt: attempt, state: state, nextAttemptAt: next,
                                              scheduled: scheduled, note: note))
    }

    public func recordAnswer(_ request: CapturedRequest, _ response: RecordedResponse) async throws {
        try await writer.apply(.setResponse(requestID: request.id, response: response))
    }

    /// Deliveries failed for good or still retrying, for the metrics.
    public func failingDeliveries() throws -> Int { try withReader { try $0.failingDeliveries() } }

    /// Raises the overdue alert, once, for each expected callback whose
    /// deadline passed with none: the daemon calls this every second.
    public func raiseOverdueExpectations(now: Timestamp, alerts: AlertRunner) async throws {
        for e in try withReader({ try $0.overdueUnalerted(now: now) }) {
            try await writer.apply(.expectationAlerted(token: e.token))
            alerts.expectationOverdue(e, now: now)
        }
    }

    /// Applies `[store]` retention while the daemon runs: removes requests
    /// older than `maxAgeMicros`, beyond the newest `maxRequests`, and the
    /// oldest while the file holds more than `maxSize` bytes, in the
    /// pruner's steps, each one commit among the captures (capture never
    /// waits long); never a request whose delivery is pending. Then gives
    /// the space back, in steps too. Returns how many requests went.
    public func applyRetention(maxAgeMicros: Int64?, maxRequests: Int?, maxSize: Int?, now: Timestamp) async throws -> Int {
        let batch = StorePruner.rowsPerStep
        var removed = 0
        // Beyond the newest `maxRequests` is everything that arrived before the last of them.
        var before = maxAgeMicros.map { ArrivalPosition.before(now.adding(microseconds: -$0)) }
        if let maxRequests, let last = try withReader({ try $0.position(ofNewest: maxRequests) }) {
            before = max(before ?? last, last)
        }
        if let before {
            while true {
                let n = try await writer.apply(.prune(before: before, oldest: false, limit: batch))
                removed += n
                if n < batch { break }
            }
        }
        if let maxSize {
            var rows = try withReader { try $0.count() }
            while rows > 0 {
                let live = try withReader { try $0.liveBytes() }
                guard live > Int64(maxSize) else { break }
                // About the share of rows the excess is, so the newest that fit stay.
                let share = Double(live - Int64(maxSize)) / Double(live)
                let n = try await writer.apply(.prune(before: nil, oldest: true,
                                                      limit: min(batch, max(1, Int(Double(rows) * share)))))
                removed += n
                rows -= n
                if n == 0 { break }
            }
        }
        if removed > 0 {
            // 100,000 pages in one commit held the captures behind it for 4.6 s.
            var free = Int.max
            while true {
                let left = try await writer.apply(.giveBackSpace(pages: StorePruner.pagesPerStep))
                guard left > 0, left < free else { break }
                free = left
            }
        }
        return removed
    }

    /// Deliveries leased by daemons that are gone become due now: a daemon
    /// killed mid-attempt loses nothing.
    public func releaseDeadLeases() async throws -> Int {
        let holders = try withReader { try $0.leaseHolders() }
        let dead = holders.filter { $0 != getpid() && kill($0, 0) != 0 && errno == ESRCH }
        guard !dead.isEmpty else { return 0 }
        return try await writer.apply(.releaseLeases(deadPIDs: dead, now: .now()))
    }
}
