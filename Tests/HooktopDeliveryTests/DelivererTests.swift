import Foundation
import HooktopCore
@testable import HooktopDelivery
import HooktopTesting
import Logging
import XCTest

/// Time that moves only when a test moves it.
final class ManualClock: DeliveryClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Timestamp
    init(_ start: Timestamp) { current = start }
    func now() -> Timestamp { lock.withLock { current } }
    func advance(seconds: Int64) { lock.withLock { current = current.adding(microseconds: seconds * 1_000_000) } }
    func sleep(microseconds: Int64) async { await Task.yield() }
}

/// Answers from a script, one per request, and can hold every answer until released.
final class FakeTransport: HTTPTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var script: [Int?]
    private(set) var sent: [String] = []
    private var held = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(_ script: [Int?], hold: Bool = false) {
        self.script = script
        held = hold
    }

    var sentURLs: [String] { lock.withLock { sent } }

    func release() {
        let w: [CheckedContinuation<Void, Never>] = lock.withLock {
            held = false
            defer { waiters = [] }
            return waiters
        }
        w.forEach { $0.resume() }
    }

    func send(_ request: OutboundRequest) async -> TransportResult {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let wait: Bool = lock.withLock {
                sent.append(request.url)
                if held { waiters.append(c) }
                return held
            }
            if !wait { c.resume() }
        }
        let status: Int? = lock.withLock { script.isEmpty ? 200 : script.removeFirst() }
        return TransportResult(status: status, error: status == nil ? "connection refused" : nil, durationMicros: 10)
    }

    func shutdown() async {}
}

/// The ledger as a table in memory, with the store's claim rule.
final class FakeLedger: DeliveryLedger, @unchecked Sendable {
    struct Recorded: Equatable {
        var id: Int64
        var kind: DeliveryAttempt.Kind
        var state: DeliveryState
        var scheduled: Bool
    }

    private let lock = NSLock()
    private var rows: [Int64: CapturedRequest] = [:]
    private var recorded: [Recorded] = []
    var failRecords = false

    init(_ rows: [CapturedRequest]) { for r in rows { self.rows[r.id] = r } }

    var records: [Recorded] { lock.withLock { recorded } }
    func row(_ id: Int64) -> CapturedRequest? { lock.withLock { rows[id] } }

    func due(now: Timestamp, limit: Int) async throws -> [CapturedRequest] {
        lock.withLock {
            Array(rows.values.filter { [.pending, .retrying].contains($0.deliveryState) && ($0.nextAttemptAt.map { $0 <= now } ?? false) }
                .sorted { $0.id < $1.id }.prefix(limit))
        }
    }

    private(set) var claimsGranted = 0

    func claim(_ request: CapturedRequest, leaseUntil: Timestamp) async throws -> Bool {
        lock.withLock {
            guard var row = rows[request.id], row.nextAttemptAt == request.nextAttemptAt else { return false }
            claimsGranted += 1
            row.nextAttemptAt = leaseUntil
            rows[request.id] = row
            return true
        }
    }

    func record(_ request: CapturedRequest, attempt: DeliveryAttempt, state: DeliveryState, next: Timestamp?,
                scheduled: Bool, note: String?) async throws {
        struct DiskFull: Error {}
        try lock.withLock {
            if failRecords { throw DiskFull() }
            recorded.append(Recorded(id: request.id, kind: attempt.kind, state: state, scheduled: scheduled))
            rows[request.id]?.deliveryState = state
            rows[request.id]?.nextAttemptAt = next
            if scheduled { rows[request.id]?.scheduledAttempts += 1 }
        }
    }

    func recordAnswer(_ request: CapturedRequest, _ response: RecordedResponse) async throws {}
}

final class FakeAlerts: DeliveryAlerts, @unchecked Sendable {
    private let lock = NSLock()
    private var raised: [(Int64, String)] = []
    var ids: [Int64] { lock.withLock { raised.map(\.0) } }
    func deliveryFailed(_ request: CapturedRequest, reason: String) { lock.withLock { raised.append((request.id, reason)) } }
}

/// Log lines kept for assertions.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    var all: [String] { lock.withLock { lines } }
    func add(_ line: String) { lock.withLock { lines.append(line) } }

    struct Handler: LogHandler {
        let sink: LogLines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            sink.add("\(event.level) \(event.message) \(event.metadata.map { "\($0)" } ?? "")")
        }
    }

    var logger: Logger { Logger(label: "test") { _ in Handler(sink: self) } }
}

/// A clock whose sleeps last until the sleeper is cancelled, and are counted.
final class SleepCountingClock: DeliveryClock, @unchecked Sendable {
    private let lock = NSLock()
    private var sleeps = 0
    let start: Timestamp
    init(_ start: Timestamp) { self.start = start }
    var sleepCount: Int { lock.withLock { sleeps } }
    func now() -> Timestamp { start }
    func sleep(microseconds: Int64) async {
        lock.withLock { sleeps += 1 }
        try? await Task.sleep(nanoseconds: 60_000_000_000)
    }
}

final class DelivererTests: XCTestCase {
    let t0 = Timestamp(seconds: 2_000_000)

    func row(_ id: Int64, state: DeliveryState = .retrying, attempts: Int = 1, due: Timestamp?) -> CapturedRequest {
        var r = Fixtures.request(target: "/in")
        r.id = id
        r.targetURL = "http://target:1/in"
        r.deliveryState = state
        r.scheduledAttempts = attempts
        r.nextAttemptAt = due
        return r
    }

    /// Waits for the attempts under way (the runner's own Tasks) to be recorded.
    func settle(_ deliverer: Deliverer) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread { deliverer.stop(); c.resume() }.start()
        }
    }

    func testARestartedRunnerResumesDueRetriesFromTheLedgerWhenTheyAreDue() async {
        let clock = ManualClock(t0)
        let ledger = FakeLedger([row(1, due: t0.adding(microseconds: 60_000_000)), row(2, state: .delivered, due: nil)])
        let transport = FakeTransport([200])
        let deliverer = Deliverer(transport: transport, ledger: ledger, settings: .init(), clock: clock)
        await deliverer.pollOnce()
        XCTAssertEqual(transport.sentURLs, [], "not due yet")
        clock.advance(seconds: 61)
        await deliverer.pollOnce()
        await settle(deliverer)
        XCTAssertEqual(transport.sentURLs, ["http://target:1/in"])
        XCTAssertEqual(ledger.records, [.init(id: 1, kind: .retry, state: .delivered, scheduled: true)])
    }

    /// A daemon started on a backlog (leases released after a crash) looks
    /// again at once while each look is full — claiming a page at a time
    /// with a poll's sleep between them delivered 637 a second — but stops
    /// taking more once about `queuedBeforeWaiting` wait in memory.
    func testABacklogIsClaimedPageAfterPageUntilEnoughWaits() async throws {
        let clock = SleepCountingClock(t0)
        let ledger = FakeLedger((1...1_500).map { row(Int64($0), due: t0) })
        let transport = FakeTransport([], hold: true)
        let deliverer = Deliverer(transport: transport, ledger: ledger, settings: .init(concurrency: 32), clock: clock)
        deliverer.start()
        for _ in 0..<500 where clock.sleepCount == 0 { try await Task.sleep(nanoseconds: 10_000_000) }
        XCTAssertEqual(clock.sleepCount, 1)
        XCTAssertEqual(ledger.claimsGranted, 1_280, "five full pages of 256 before the first sleep: 1,248 then wait, over 1,024")
        XCTAssertEqual(transport.sentURLs.count, 32, "the target's cap holds")
        transport.release()
        await settle(deliverer)
    }

    func testAFailingRetryIsRescheduledOnTheInjectedClock() async {
        let clock = ManualClock(t0)
        let ledger = FakeLedger([row(1, attempts: 1, due: t0)])
        let schedule = RetrySchedule(delaysMicros: [0, 5_000_000, 300_000_000])
        let deliverer = Deliverer(transport: FakeTransport([503]), ledger: ledger, settings: .init(schedule: schedule), clock: clock)
        await deliverer.pollOnce()
        await settle(deliverer)
        XCTAssertEqual(ledger.row(1)?.deliveryState, .retrying)
        XCTAssertEqual(ledger.row(1)?.nextAttemptAt, t0.adding(microseconds: 300_000_000), "the delay before attempt 3")
    }

    func testRetryFromTheCommandLineRaisesTheSameAlertAsTheDaemon() async throws {
        let alerts = FakeAlerts()
        let last = row(1, state: .failed, attempts: 2, due: nil)
        let ledger = FakeLedger([last])
        let deliverer = Deliverer(transport: FakeTransport([500]), ledger: ledger,
                                  settings: .init(schedule: RetrySchedule(delaysMicros: [0, 1])), alerts: alerts, clock: ManualClock(t0))
        let attempt = try await deliverer.retry(last)
        XCTAssertEqual(attempt.status, 500)
        XCTAssertEqual(ledger.records, [.init(id: 1, kind: .retry, state: .failed, scheduled: true)])
        XCTAssertEqual(alerts.ids, [1], "retry makes scheduled attempts, so failing for good alerts")
    }

    func testReplayRecordsWithoutMovingTheScheduleOrAlerting() async throws {
        let alerts = FakeAlerts()
        let r = row(1, state: .failed, attempts: 8, due: nil)
        let ledger = FakeLedger([r])
        let deliverer = Deliverer(transport: FakeTransport([500]), ledger: ledger, settings: .init(), alerts: alerts, clock: ManualClock(t0))
        _ = try await deliverer.replay(r, to: "http://elsewhere:2")
        XCTAssertEqual(ledger.records, [.init(id: 1, kind: .replay, state: .failed, scheduled: false)])
        XCTAssertEqual(alerts.ids, [])
    }

    func testRetryRefusesWhatItCannotDo() async {
        let ledger = FakeLedger([])
        let deliverer = Deliverer(transport: FakeTransport([]), ledger: ledger, settings: .init(), clock: ManualClock(t0))
        var delivered = row(1, state: .delivered, due: nil)
        await XCTAssertThrowsErrorAsync(try await deliverer.retry(delivered), "already delivered")
        delivered.deliveryState = .failed
        await XCTAssertThrowsErrorAsync(try await deliverer.retry(delivered), "leased elsewhere: the ledger has no such row to claim")
        delivered.targetURL = nil
        await XCTAssertThrowsErrorAsync(try await deliverer.retry(delivered), "no target")
    }

    func testARecordTheLedgerRefusesIsLoggedNotDropped() async {
        let lines = LogLines()
        let ledger = FakeLedger([])
        ledger.failRecords = true
        let deliverer = Deliverer(transport: FakeTransport([200]), ledger: ledger, settings: .init(), clock: ManualClock(t0),
                                  logger: lines.logger)
        var r = row(5, state: .pending, attempts: 0, due: nil)
        r.deliveryState = .pending
        deliverer.submit([r])
        await settle(deliverer)
        XCTAssertTrue(lines.all.contains { $0.hasPrefix("error cannot record a delivery attempt") && $0.contains("5") }, "\(lines.all)")
    }

    func testStopWaitsForTheAttemptsUnderWayToBeRecorded() async throws {
        let transport = FakeTransport([200, 200], hold: true)
        let ledger = FakeLedger([])
        let deliverer = Deliverer(transport: transport, ledger: ledger, settings: .init(concurrency: 1), clock: ManualClock(t0))
        deliverer.submit([row(1, state: .pending, attempts: 0, due: nil), row(2, state: .pending, attempts: 0, due: nil)])
        while transport.sentURLs.isEmpty { await Task.yield() }
        let stopped = expectation(description: "stop returned")
        Thread {
            deliverer.stop()
            stopped.fulfill()
        }.start()
        try await Task.sleep(nanoseconds: 100_000_000)
        XCTAssertTrue(ledger.records.isEmpty, "stop has not returned while the attempt is held")
        transport.release()
        await fulfillment(of: [stopped], timeout: 5)
        XCTAssertEqual(ledger.records.map(\.id), [1], "the one under way was recorded; the waiting one stays for next time")
        XCTAssertEqual(transport.sentURLs.count, 1)
    }
}

func XCTAssertThrowsErrorAsync<T>(_ expression: @autoclosure () async throws -> T, _ message: String,
                                  file: StaticString = #filePath, line: UInt = #line) async {
    do {
        _ = try await expression()
        XCTFail("no error: \(message)", file: file, line: line)
    } catch {}
}
