import HooktopCore
@testable import HooktopDelivery
import HooktopTesting
import XCTest

/// The engine alone: events in, actions out, time passed by hand.
final class DeliveryEngineTests: XCTestCase {
    let t0 = Timestamp(seconds: 1_000_000)

    func pending(_ id: Int64, to url: String = "http://a:1/in", attempts: Int = 0) -> CapturedRequest {
        var r = Fixtures.request(target: "/in")
        r.id = id
        r.targetURL = url
        r.deliveryState = attempts == 0 ? .pending : .retrying
        r.scheduledAttempts = attempts
        return r
    }

    func attempt(_ status: Int?, kind: DeliveryAttempt.Kind = .forward) -> DeliveryAttempt {
        DeliveryAttempt(attempt: 0, kind: kind, url: "http://a:1/in", startedAt: t0, durationMicros: 1, status: status,
                        error: status == nil ? "connection refused" : nil)
    }

    func sent(_ actions: [DeliveryEngine.Action]) -> [Int64] {
        actions.compactMap { if case .send(let job) = $0 { job.request.id } else { nil } }
    }

    func records(_ actions: [DeliveryEngine.Action]) -> [DeliveryEngine.Record] {
        actions.compactMap { if case .record(let r) = $0 { r } else { nil } }
    }

    func alerts(_ actions: [DeliveryEngine.Action]) -> [String] {
        actions.compactMap { if case .alert(_, let reason) = $0 { reason } else { nil } }
    }

    func testPerTargetCapQueuesTheRestInArrivalOrder() {
        var engine = DeliveryEngine(settings: .init(concurrency: 2))
        let a = (1...5).map { pending($0) }
        let b = pending(6, to: "http://b:2/x")
        XCTAssertEqual(sent(engine.submitted(a + [b])), [1, 2, 6], "two for a:1 (its cap), one for b:2")
        XCTAssertEqual(engine.inFlight, 3)
        let job1 = DeliveryEngine.Job(request: a[0], kind: .forward, url: "http://a:1/in")
        XCTAssertEqual(sent(engine.finished(job1, attempt(200), now: t0)), [3], "the oldest waiting one takes the slot")
        let job2 = DeliveryEngine.Job(request: a[1], kind: .forward, url: "http://a:1/in")
        XCTAssertEqual(sent(engine.finished(job2, attempt(200), now: t0)), [4])
        XCTAssertEqual(engine.inFlight, 3, "a finished attempt hands its slot on rather than freeing it")
    }

    func testARequestAlreadyTakenIsNotStartedTwice() {
        var engine = DeliveryEngine(settings: .init())
        XCTAssertEqual(sent(engine.submitted([pending(1)])), [1])
        XCTAssertEqual(sent(engine.submitted([pending(1)])), [])
        XCTAssertTrue(engine.found(due: [pending(1)], now: t0).isEmpty, "a due row that is running here is not claimed again")
    }

    func testOnlyPendingRequestsWithATargetAreSubmitted() {
        var engine = DeliveryEngine(settings: .init())
        var none = pending(1)
        none.deliveryState = .none
        var noTarget = pending(2)
        noTarget.targetURL = nil
        XCTAssertEqual(sent(engine.submitted([none, noTarget, pending(3)])), [3])
    }

    func testFailureSchedulesTheNextAttemptFromTheSchedule() {
        var engine = DeliveryEngine(settings: .init(schedule: RetrySchedule(delaysMicros: [0, 5_000_000, 60_000_000])))
        let r = pending(1)
        _ = engine.submitted([r])
        let actions = engine.finished(.init(request: r, kind: .forward, url: r.targetURL!), attempt(500), now: t0)
        let record = try! XCTUnwrap(records(actions).first)
        XCTAssertEqual(record.state, .retrying)
        XCTAssertEqual(record.next, t0.adding(microseconds: 5_000_000))
        XCTAssertTrue(record.scheduled)
        XCTAssertTrue(alerts(actions).isEmpty)
    }

    func testGoneStopsTheScheduleAndAlerts() {
        var engine = DeliveryEngine(settings: .init())
        let r = pending(1)
        _ = engine.submitted([r])
        let actions = engine.finished(.init(request: r, kind: .forward, url: r.targetURL!), attempt(410), now: t0)
        XCTAssertEqual(records(actions).map(\.state), [.failed])
        XCTAssertEqual(records(actions).first?.note, "the target answered 410 Gone: schedule stopped")
        XCTAssertEqual(alerts(actions), ["the target answered 410 Gone: schedule stopped"])
    }

    func testTheLastAttemptFailingEndsTheScheduleWithAnAlert() {
        let schedule = RetrySchedule(delaysMicros: [0, 1_000_000])
        let actions = DeliveryEngine.conclude(pending(1, attempts: 1), attempt(nil, kind: .retry), schedule: schedule, now: t0)
        XCTAssertEqual(records(actions).map(\.state), [.failed])
        XCTAssertEqual(alerts(actions), ["all 2 attempts failed (last: connection refused)"])
    }

    func testAReplayLeavesTheDeliveryAsItWas() {
        var r = pending(1, attempts: 3)
        r.nextAttemptAt = t0.adding(microseconds: 99)
        r.deliveryNote = "kept"
        let actions = DeliveryEngine.conclude(r, attempt(500, kind: .replay), schedule: .standard, now: t0)
        let record = try! XCTUnwrap(records(actions).first)
        XCTAssertEqual(record.state, .retrying)
        XCTAssertEqual(record.next, r.nextAttemptAt)
        XCTAssertEqual(record.note, "kept")
        XCTAssertFalse(record.scheduled, "a replay does not count against the schedule")
        XCTAssertTrue(alerts(actions).isEmpty)
    }

    func testDueRowsAreClaimedWithOneLeaseRuleThenRunAsRetries() {
        var engine = DeliveryEngine(settings: .init(timeoutMicros: 2_000_000))
        let due = pending(7, attempts: 2)
        let actions = engine.found(due: [due], now: t0)
        XCTAssertEqual(actions, [.claim(due, leaseUntil: Lease.until(now: t0, timeoutMicros: 2_000_000))])
        XCTAssertEqual(Lease.until(now: t0, timeoutMicros: 2_000_000), t0.adding(microseconds: 32_000_000))
        XCTAssertTrue(engine.claimed(due, false).isEmpty, "another process took it")
        let started = engine.claimed(due, true)
        guard case .send(let job) = started.first else { return XCTFail("\(started)") }
        XCTAssertEqual(job.kind, .retry)
        XCTAssertEqual(sent(engine.claimed(pending(8), true)), [8])
    }

    func testStoppingKeepsRecordingWhatIsInFlightButStartsNothing() {
        var engine = DeliveryEngine(settings: .init(concurrency: 1))
        let rows = (1...3).map { pending($0) }
        XCTAssertEqual(sent(engine.submitted(rows)), [1])
        engine.stop()
        let actions = engine.finished(.init(request: rows[0], kind: .forward, url: rows[0].targetURL!), attempt(200), now: t0)
        XCTAssertEqual(records(actions).map(\.state), [.delivered], "the attempt under way is still recorded")
        XCTAssertEqual(sent(actions), [], "the waiting ones stay in the ledger for the next start")
        XCTAssertEqual(engine.inFlight, 0)
        XCTAssertTrue(engine.found(due: [pending(9)], now: t0).isEmpty)
        XCTAssertTrue(engine.submitted([pending(10)]).isEmpty)
    }

    /// A burst far over the cap drains in arrival order (a queue, not an array shifted on every dequeue).
    func testABurstDrainsInArrivalOrder() {
        var engine = DeliveryEngine(settings: .init(concurrency: 2))
        let burst = (1...20_000).map { pending(Int64($0)) }
        var order = sent(engine.submitted(burst))
        var next = 0
        while next < order.count {
            let id = order[next]
            next += 1
            order += sent(engine.finished(.init(request: burst[Int(id) - 1], kind: .forward, url: "http://a:1/in"), attempt(200), now: t0))
        }
        XCTAssertEqual(order, (1...20_000).map { Int64($0) })
        XCTAssertEqual(engine.inFlight, 0)
    }
}
