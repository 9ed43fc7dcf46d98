import Foundation
import HooktopCore
@testable import HooktopDelivery
import HooktopTesting
import XCTest

final class RetryScheduleTests: XCTestCase {
    let t0 = Timestamp(seconds: 1_000_000)

    func testDefaultIsSvixsSchedule() {
        XCTAssertEqual(RetrySchedule.standard.delaysMicros.map { $0 / 1_000_000 }, [0, 5, 300, 1800, 7200, 18000, 36000, 36000])
    }

    func testWalksTheScheduleOnAManualClock() {
        let s = RetrySchedule.standard
        var now = t0
        var attempt = 1
        var times: [Int64] = []
        while case .retry(let at) = s.next(afterAttempt: attempt, outcome: .failure(status: 500, error: nil), now: now) {
            times.append(at.seconds - now.seconds)
            now = at
            attempt += 1
        }
        XCTAssertEqual(times, [5, 300, 1800, 7200, 18000, 36000, 36000])
        XCTAssertEqual(attempt, 8)
        XCTAssertEqual(s.next(afterAttempt: 8, outcome: .failure(status: nil, error: "connection refused"), now: now),
                       .failed(reason: "all 8 attempts failed (last: connection refused)"))
    }

    func testOnly2xxSucceedsAnd410Stops() {
        let s = RetrySchedule.standard
        XCTAssertEqual(RetrySchedule.outcome(status: 204, error: nil), .success(status: 204))
        XCTAssertEqual(RetrySchedule.outcome(status: 302, error: nil), .failure(status: 302, error: nil))
        XCTAssertEqual(s.next(afterAttempt: 1, outcome: .success(status: 200), now: t0), .delivered)
        XCTAssertEqual(s.next(afterAttempt: 1, outcome: .failure(status: 410, error: nil), now: t0),
                       .failed(reason: "the target answered 410 Gone: schedule stopped"))
        XCTAssertEqual(s.next(afterAttempt: 1, outcome: .failure(status: 404, error: nil), now: t0), .retry(at: t0.adding(microseconds: 5_000_000)))
    }
}

final class ForwardTargetTests: XCTestCase {
    func testPathsBelowTheMatch() {
        XCTAssertEqual(ForwardTarget.url(base: "http://h/base", requestTarget: "/x/y", match: nil), "http://h/base/x/y")
        XCTAssertEqual(ForwardTarget.url(base: "http://localhost:3000/webhooks/stripe", requestTarget: "/stripe/events?a=1", match: Glob("/stripe/*")),
                       "http://localhost:3000/webhooks/stripe/events?a=1")
        XCTAssertEqual(ForwardTarget.url(base: "http://h:1", requestTarget: "/x", match: nil), "http://h:1/x")
        XCTAssertEqual(ForwardTarget.url(base: "http://h/hook", requestTarget: "/exact", match: Glob("/exact")), "http://h/hook")
        XCTAssertEqual(ForwardTarget.url(base: "http://h/", requestTarget: "/", match: nil), "http://h/")
    }

    func testHopByHopHeadersStayBehind() {
        let h = ForwardTarget.headers(HeaderList([("Host", "a"), ("Connection", "keep-alive"), ("Stripe-Signature", "t=1"),
                                                  ("Transfer-Encoding", "chunked"), ("content-length", "3"), ("X-Two", "1"), ("x-two", "2")]),
                                      targetURL: "http://127.0.0.1:9/x")
        XCTAssertEqual(h.fields.map { "\($0.name): \($0.value)" }, ["Stripe-Signature: t=1", "X-Two: 1", "x-two: 2", "Host: 127.0.0.1:9"])
    }
}

/// The real transport against real local targets.
final class ForwarderTests: XCTestCase {
    var forwarder: Forwarder!

    override func setUp() { forwarder = Forwarder(transport: HTTP1Transport(), timeoutMicros: 1_000_000) }
    override func tearDown() async throws { await forwarder.transport.shutdown() }

    func request(body: [UInt8] = Fixtures.allBytes) -> CapturedRequest {
        Fixtures.request(target: "/in?x=1", body: body, headers: [("Host", "capture"), ("Content-Type", "application/octet-stream"),
                                                                 ("Stripe-Signature", "t=1,v1=ab"), ("X-Dup", "1"), ("x-dup", "2")])
    }

    func testSendsTheBodyByteForByteWithHeadersInOrder() async throws {
        let target = try TestTarget { _, _ in .respond(status: 201, body: "created") }
        defer { target.stop() }
        let attempt = await forwarder.send(forwarder.outbound(request(), to: target.url + "/out?x=1"), kind: .forward)
        XCTAssertEqual(attempt.status, 201)
        XCTAssertEqual(String(decoding: attempt.responseBody, as: UTF8.self), "created")
        XCTAssertEqual(attempt.responseHeaders.first("X-Target"), "test")
        let got = try XCTUnwrap(target.received.first)
        XCTAssertEqual(got.body, Fixtures.allBytes)
        XCTAssertEqual(got.uri, "/out?x=1")
        XCTAssertEqual(got.header("Host"), "127.0.0.1:\(target.port)")
        XCTAssertEqual(got.header("Stripe-Signature"), "t=1,v1=ab")
        XCTAssertEqual(got.headers.filter { $0.0.lowercased() == "x-dup" }.map(\.1), ["1", "2"])
    }

    func testDeadPortIsConnectionRefusedQuickly() async throws {
        let dead = try TestTarget { _, _ in .respond(status: 200) }
        let url = dead.url
        dead.stop()
        let started = Date()
        let attempt = await forwarder.send(forwarder.outbound(request(), to: url + "/x"), kind: .forward)
        XCTAssertNil(attempt.status)
        XCTAssertEqual(attempt.error, "connection refused")
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.0, "a dead target must not eat the timeout")
    }

    func testSlowTargetTimesOut() async throws {
        let target = try TestTarget { _, _ in .respond(status: 200, delaySeconds: 3) }
        defer { target.stop() }
        let attempt = await forwarder.send(forwarder.outbound(request(), to: target.url + "/slow"), kind: .forward)
        XCTAssertNil(attempt.status)
        XCTAssertEqual(attempt.error, "timed out after 1 s")
    }

    func testConnectionClosedMidResponseIsAnError() async throws {
        let target = try TestTarget { _, _ in .closeMidResponse }
        defer { target.stop() }
        let attempt = await forwarder.send(forwarder.outbound(request(), to: target.url + "/cut"), kind: .forward)
        XCTAssertNil(attempt.status)
        XCTAssertEqual(attempt.error, "connection closed by the target before a full response")
    }

    func testReplayURL() throws {
        var r = request()
        XCTAssertThrowsError(try ReplayURL.resolve(r, to: nil))
        r.targetURL = "http://t/base/in?x=1"
        XCTAssertEqual(try ReplayURL.resolve(r, to: nil), "http://t/base/in?x=1")
        XCTAssertEqual(try ReplayURL.resolve(r, to: "http://other:9"), "http://other:9/in?x=1")
        XCTAssertEqual(try ReplayURL.resolve(r, to: "http://other:9/exact"), "http://other:9/exact?x=1", "--to with a path keeps the request's query")
    }
}

final class ReplayURLTests: XCTestCase {
    func testToKeepsTheRequestsTargetOrQuery() throws {
        let r = Fixtures.request(target: "/hooks/a?keep=1")
        XCTAssertEqual(try ReplayURL.resolve(r, to: "http://h:1"), "http://h:1/hooks/a?keep=1")
        XCTAssertEqual(try ReplayURL.resolve(r, to: "http://h:1/"), "http://h:1/hooks/a?keep=1")
        XCTAssertEqual(try ReplayURL.resolve(r, to: "http://h:1/other"), "http://h:1/other?keep=1", "the query is kept")
        XCTAssertEqual(try ReplayURL.resolve(r, to: "http://h:1/other?mine=2"), "http://h:1/other?mine=2")
        for bad in ["h:1/x", "http://", "mailto:x@y", "http://h:0/x", "http://h:65536/x", "http://h/x#f", ""] {
            XCTAssertThrowsError(try ReplayURL.resolve(r, to: bad), bad)
        }
    }
}
