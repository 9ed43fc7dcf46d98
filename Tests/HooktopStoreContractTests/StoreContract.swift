import Foundation
import HooktopCore
import HooktopLedger
import HooktopStore
import HooktopTesting
import XCTest

/// What every store promises, checked the same way on SQLite and on
/// PostgreSQL (`SQLiteContractTests`, `PostgresContractTests`).
extension XCTestCase {
    func store(_ request: CapturedRequest, _ writer: any StoreWriting) throws -> Int64 {
        let done = expectation(description: "committed")
        nonisolated(unsafe) var outcome: Result<Int64, StoreError>?
        writer.submit(request) { outcome = $0; done.fulfill() }
        wait(for: [done], timeout: 10)
        return try XCTUnwrap(outcome).get()
    }

    @discardableResult
    func apply(_ mutation: StoreMutation, _ writer: any StoreWriting) throws -> Int {
        let done = expectation(description: "applied")
        nonisolated(unsafe) var outcome: Result<Int, StoreError>?
        writer.apply(mutation) { outcome = $0; done.fulfill() }
        wait(for: [done], timeout: 10)
        return try XCTUnwrap(outcome).get()
    }

    /// Every byte of the body, every header in order and case, every field: as sent.
    func contractRoundTripIsExact(_ stores: StoreUnderTest) throws {
        let writer = try stores.makeBackend(node: "node-a").openWriter()
        defer { writer.close() }
        var request = Fixtures.request(target: "/a/b?c=d&e", body: Fixtures.allBytes,
                                       headers: [("X-B", "2"), ("x-b", "1"), ("Content-Type", "application/octet-stream"),
                                                 ("X-Unicode", "café ✓ 🚀")])
        request.trailers = HeaderList([("X-Trailer", "t")])
        request.signature = SignatureResult(scheme: "stripe", status: .invalid, detail: "no match")
        request.response = RecordedResponse(status: 201, headers: HeaderList([("A", "b")]), body: [0, 1, 2, 255], durationMicros: 42)
        request.error = "client went away"
        request.id = try store(request, writer)
        let read = try stores.makeBackend(node: nil).openReader().request(id: request.id)
        XCTAssertEqual(read.node, "node-a")
        request.node = "node-a"
        XCTAssertEqual(read, request)
        XCTAssertEqual(read.body, Fixtures.allBytes)
        let empty = try store(Fixtures.request(body: []), writer)
        XCTAssertEqual(try stores.makeBackend(node: nil).openReader().request(id: empty).body, [])
    }

    /// The SQL each store runs and the in-memory evaluator agree on every filter.
    func contractFiltersAgreeWithEvaluator(_ stores: StoreUnderTest) throws {
        let backend = try stores.makeBackend(node: nil)
        let importer = try backend.openImporter()
        let now = Timestamp.now()
        var corpus: [CapturedRequest] = []
        let methods = ["GET", "POST", "put"], paths = ["/stripe/events", "/gh/hook?x=1", "/a[b]/c", "/", "/50%_off/x"]
        for i in 0..<48 {
            var r = CapturedRequest(
                receivedAt: now.adding(microseconds: -Int64(i) * 60_000_000 - 30_000_000), remote: "127.0.0.1:1", method: methods[i % 3],
                target: paths[i % 5], headers: HeaderList([("X-GitHub-Event", i % 2 == 0 ? "push" : "Ping"), ("webhook-id", "msg_\(i % 5)")]),
                body: i % 6 == 0 ? Fixtures.allBytes : i % 6 == 3 ? Array("50% off_ café \\only\\n".utf8) : Array("body \(i) Hello".utf8),
                source: i % 4 == 0 ? "stripe" : nil,
                signature: SignatureResult(scheme: nil, status: SignatureStatus.allCases[i % 6], detail: nil),
                deliveryState: DeliveryState.allCases[i % 5])
            r.response.status = [200, 404, 503][i % 3]
            if i % 3 == 1 {
                r.label = i % 2 == 0 ? "job-42" : "clip 7"
                r.arrival = i % 5 == 0 ? .overdue : .done
            }
            if i % 7 == 0 {
                r.deliveries = [DeliveryAttempt(attempt: 1, kind: .forward, url: "u", startedAt: now, durationMicros: 1, status: 502, error: nil)]
            }
            if i == 47 {
                // Longer than PostgreSQL's indexed head (256 KiB): a needle past it, one across its end.
                r.body = Array(repeating: UInt8(ascii: "z"), count: 262_140) + Array("deep-needle".utf8)
                    + Array(repeating: UInt8(ascii: "y"), count: 40_000) + Array("deeper-needle".utf8)
            }
            r.id = try importer.add(r)
            r.deliveryID = DeliveryID.extract(headers: r.headers, body: r.body)
            corpus.append(r)
        }
        try importer.finish()
        let ids = Dictionary(uniqueKeysWithValues: corpus.map { ($0.id, $0) })
        let firstByDeliveryID = Dictionary(corpus.map { ($0.deliveryID!, $0.id) }, uniquingKeysWith: min)
        let evaluator = FilterEvaluator(now: now) { firstByDeliveryID[$0.deliveryID!]! < $0.id }
        let reader = try backend.openReader()
        let filters = ["~m post", "~p /stripe/*", "~p /a[b]/*", "~p *", "~p /50%_off/*", "~p /?", "~p /gh/hoo?", "~h x-github-event:PUSH",
                       "~h webhook-id", "~h nope", "~h webhook-id:MSG_3", "~b Hello", "~b hello", "~src stripe", "!~src stripe",
                       "~sig no_secret", "~sig invalid", "~sig expired", "~sig valid", "~d retrying", "~d failed", "!~d retrying",
                       "~d retrying ~sig no_secret", "~sig invalid | ~d retrying", "~d retrying & ~t <10m", "~c 5xx", "~c 502", "~c 404",
                       "~t >10m", "~t <10m", "~t <10m ~m post", "~m get & ~t <10m", "~t <10m | ~m GET", "!~t <10m", "~dup", "!~dup", "hello", "GITHUB", "ping", "~m GET | ~c 503 & !~src stripe",
                       "(~m GET | ~m PUT) ~b body", "~label job-42", "~label \"clip 7\"", "~label nope", "!~label job-42", "~expect done",
                       "~expect overdue", "~expect waiting", "!~expect done & ~label job-42", "!~expect done",
                       "~b %", "~b _", "~b é", "~b deep-needle", "~b deeper-needle", "~b zzzdeep", "~b ydeeper", "~b \"50% off_\"", "~b ly\\\\n", "~b body", "~b \"4 He\""]
        for text in filters {
            let filter = try Filter.parse(text)
            let viaSQL = Set(try reader.list(limit: 0, filter: filter).map(\.id))
            let inMemory = Set(ids.values.filter { evaluator.matches(filter, $0) }.map(\.id))
            XCTAssertEqual(viaSQL, inMemory, text)
            XCTAssertEqual(try reader.count(filter: filter, now: now), inMemory.count, text)
        }
        XCTAssertEqual(try reader.list(limit: 0, filter: try Filter.parse("~dup")).count, 48 - 5)
        XCTAssertEqual(try reader.list(limit: 0, filter: try Filter.parse("~b deep-needle")).map(\.id), [corpus[47].id])
        XCTAssertEqual(try reader.list(limit: 0, filter: try Filter.parse("~b deeper-needle")).map(\.id), [corpus[47].id])
        XCTAssertEqual(try reader.count(filter: try Filter.parse("~label job-42")), 8)
        XCTAssertEqual(try reader.count(filter: try Filter.parse("~expect overdue")), 3)
        XCTAssertEqual(try reader.request(id: corpus[7].id).deliveries.map(\.status), [502])
    }

    func contractKeysetPaging(_ stores: StoreUnderTest) throws {
        let backend = try stores.makeBackend(node: nil)
        let importer = try backend.openImporter()
        for i in 0..<1200 { try importer.add(Fixtures.request(target: "/\(i)")) }
        try importer.finish()
        let reader = try backend.openReader()
        var page: [Int64] = []
        try reader.forEach(StoreQuery(limit: 3, beyondID: 8)) { page.append($0.id) }
        XCTAssertEqual(page, [7, 6, 5])
        page = []
        try reader.forEach(StoreQuery(newestFirst: false, limit: 2, beyondID: 8)) { page.append($0.id) }
        XCTAssertEqual(page, [9, 10])
        // Everything, in order, past any page size the store reads in.
        page = []
        try reader.forEach(StoreQuery(newestFirst: false, includeBodies: true)) { page.append($0.id) }
        XCTAssertEqual(page, Array(1...1200))
        XCTAssertEqual(try reader.list(limit: 700).count, 700)
        XCTAssertEqual(try reader.maxID(), 1200)
    }

    /// Many senders at once: all committed, in shared transactions, ids unique.
    func contractConcurrentSubmittersShareCommits(_ stores: StoreUnderTest) throws {
        let writer = try stores.makeBackend(node: nil).openWriter()
        let ids = Mutex<[Int64]>([])
        let threads = 32, each = 25
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let done = DispatchSemaphore(value: 0)
            for i in 0..<each {
                writer.submit(Fixtures.request(target: "/t\(t)/\(i)")) { result in
                    if case .success(let id) = result { ids.withLock { $0.append(id) } }
                    done.signal()
                }
            }
            for _ in 0..<each { done.wait() }
        }
        let stats = writer.currentStats()
        writer.close()
        let all = ids.withLock { $0 }
        XCTAssertEqual(all.count, threads * each)
        XCTAssertEqual(Set(all).count, threads * each)
        XCTAssertEqual(stats.requests, threads * each)
        XCTAssertLessThan(stats.batches, threads * each, "no batch held more than one request")
        XCTAssertEqual(try stores.makeBackend(node: nil).openReader().count(), threads * each)
    }

    /// A second daemon's writer: its requests carry its node, a provider's
    /// retry caught by the other daemon is a duplicate, and a due delivery
    /// is claimed by exactly one of them.
    func contractTwoDaemonsShareOneStore(_ stores: StoreUnderTest) throws {
        let a = try stores.makeBackend(node: "alpha").openWriter()
        let b = try stores.makeBackend(node: "beta").openWriter()
        defer { a.close(); b.close() }
        // The capture path names the provider's delivery id before storing (RequestClassifier).
        var sent = Fixtures.request(headers: [("X-GitHub-Delivery", "d-1")])
        sent.deliveryID = DeliveryID.extract(headers: sent.headers, body: sent.body)
        XCTAssertNotNil(sent.deliveryID)
        let first = try store(sent, a)
        let retry = try store(sent, b)
        let reader = try stores.makeBackend(node: nil).openReader()
        XCTAssertEqual(try reader.request(id: first).node, "alpha")
        XCTAssertEqual(try reader.request(id: retry).node, "beta")
        XCTAssertEqual(try reader.request(id: retry).duplicateOf, first)
        XCTAssertEqual(try reader.list(limit: 0, filter: try Filter.parse("~dup")).map(\.id), [retry])

        var due = Fixtures.request(target: "/deliver")
        due.targetURL = "http://127.0.0.1:9/"
        due.deliveryState = .retrying
        let dueAt = Timestamp.now().adding(microseconds: -1_000_000)
        due.nextAttemptAt = dueAt
        let id = try store(due, a)
        XCTAssertEqual(try reader.dueDeliveries(now: .now(), limit: 10).map(\.id), [id])
        let lease = Timestamp.now().adding(microseconds: 30_000_000)
        let claims = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let writer = i == 0 ? a : b
            let done = DispatchSemaphore(value: 0)
            writer.apply(.claim(requestID: id, expected: dueAt, leaseUntil: lease, pid: 4242)) { result in
                claims.withLock { $0.append((try? result.get()) ?? -1) }
                done.signal()
            }
            done.wait()
        }
        XCTAssertEqual(claims.withLock { $0.sorted() }, [0, 1], "exactly one daemon takes the attempt")
        XCTAssertEqual(try reader.dueDeliveries(now: .now(), limit: 10).count, 0, "leased: due to nobody until the lease ends")
        XCTAssertEqual(try reader.dueDeliveries(now: lease.adding(microseconds: 1), limit: 10).map(\.id), [id],
                       "a lease that ran out (its daemon died) is due to the others")
        try apply(.recordAttempt(requestID: id, attempt: DeliveryAttempt(attempt: 0, kind: .retry, url: "http://127.0.0.1:9/",
                                                                            startedAt: .now(), durationMicros: 5, status: 200, error: nil),
                                 state: .delivered, nextAttemptAt: nil, scheduled: true, note: nil), b)
        let delivered = try reader.request(id: id)
        XCTAssertEqual(delivered.deliveryState, .delivered)
        XCTAssertEqual(delivered.deliveries.map(\.attempt), [1])
        XCTAssertEqual(delivered.scheduledAttempts, 1)
    }

    /// "Anything new?" changes when another process commits, soon enough for a live dashboard.
    func contractDataVersionSeesOtherWriters(_ stores: StoreUnderTest) throws {
        let writer = try stores.makeBackend(node: "other").openWriter()
        defer { writer.close() }
        let reader = try stores.makeBackend(node: nil).openReader()
        let before = try reader.dataVersion()
        _ = try store(Fixtures.request(), writer)
        let deadline = Date().addingTimeInterval(0.25)
        var now = try reader.dataVersion()
        while now == before && Date() < deadline {
            usleep(5_000)
            now = try reader.dataVersion()
        }
        XCTAssertNotEqual(now, before, "another writer's commit was not noticed within 250 ms")
        XCTAssertEqual(try reader.newest().node, "other")
    }

    /// Mutations the daemon, replay and `expect` make, and the queries that read them.
    func contractMutationsAndQueries(_ stores: StoreUnderTest) throws {
        let backend = try stores.makeBackend(node: "n1")
        let writer = try backend.openWriter()
        defer { writer.close() }
        let now = Timestamp.now()
        let expectation = Expectation(token: String(repeating: "a", count: 32), label: "transcode", createdAt: now,
                                      deadline: now.adding(microseconds: 60_000_000), url: "http://x/cb/" + String(repeating: "a", count: 32))
        try apply(.expect(expectation), writer)
        let callback = try store(Fixtures.request(target: Expectation.pathPrefix + expectation.token), writer)
        try apply(.setMeta(key: "listen", value: "127.0.0.1:1"), writer)
        try apply(.setMeta(key: "listen", value: "127.0.0.1:2"), writer)
        try apply(.alert(kind: "other", requestID: callback, source: nil, message: "hello", at: now), writer)
        XCTAssertEqual(try apply(.setSignature(requestID: callback, SignatureResult(scheme: "paypal-ipn", status: .valid, detail: nil)), writer), 1)
        XCTAssertEqual(try apply(.setResponse(requestID: callback, response: RecordedResponse(status: 202, headers: HeaderList(), body: [1], durationMicros: 3)), writer), 1)
        let reader = try backend.openReader()
        let read = try reader.request(id: callback)
        XCTAssertEqual(read.label, "transcode")
        XCTAssertEqual(read.arrival, .done)
        XCTAssertEqual(read.signature.status, .valid)
        XCTAssertEqual(read.response.status, 202)
        XCTAssertEqual(try reader.meta("listen"), "127.0.0.1:2")
        XCTAssertEqual(try reader.alerts(limit: 5).map(\.message), ["hello"])
        XCTAssertEqual(try reader.activeAlert(now: now, recentMicros: 1_000_000)?.message, "hello")
        XCTAssertEqual(try reader.expectations().first?.callbacks, [callback])
        let counts = try reader.headerCounts(since: now.adding(microseconds: -1_000_000))
        XCTAssertEqual(counts.total, 1)
        XCTAssertEqual(counts.lastID, callback)
        for i in 0..<5 { _ = try store(Fixtures.request(target: "/old/\(i)", receivedAt: now.adding(microseconds: -3_600_000_000)), writer) }
        // What a `~t` filter's next change is found from: the earliest time at or after a cutoff, or nil.
        let hourAgo = now.adding(microseconds: -3_600_000_000)
        XCTAssertEqual(try reader.oldestReceived(since: hourAgo.adding(microseconds: -1)), hourAgo)
        XCTAssertEqual(try reader.oldestReceived(since: hourAgo.adding(microseconds: 1)), read.receivedAt)
        XCTAssertNil(try reader.oldestReceived(since: now.adding(microseconds: 3_600_000_000)))
        // What retention's max_requests removes: everything that arrived before the n-th newest
        // (five received in the same microsecond, told apart by their ids).
        XCTAssertEqual(try reader.position(ofNewest: 1), ArrivalPosition(receivedAt: read.receivedAt, id: read.id))
        let oldIDs = try reader.list(limit: 0, filter: try Filter.parse("~p /old/*")).map(\.id).sorted()
        XCTAssertEqual(try reader.position(ofNewest: 2), ArrivalPosition(receivedAt: hourAgo, id: oldIDs[4]))
        XCTAssertEqual(try reader.position(ofNewest: 6), ArrivalPosition(receivedAt: hourAgo, id: oldIDs[0]))
        XCTAssertNil(try reader.position(ofNewest: 7), "six are stored")
        XCTAssertEqual(try apply(.prune(before: .before(now.adding(microseconds: -60_000_000)), oldest: false, limit: 3), writer), 3)
        XCTAssertEqual(try backend.prune(receivedBefore: now.adding(microseconds: -60_000_000)), 2)
        XCTAssertEqual(try reader.count(), 1)
        // Retention by size sees what is left, not what the files once held.
        let left = try reader.liveBytes()
        XCTAssertGreaterThan(left, 0)
        XCTAssertEqual(try backend.prune(keep: 0), 1)
        XCTAssertEqual(try reader.count(), 0)
        // What came after the header's count, counted from the new rows alone, with a filter's share.
        var bad = Fixtures.request(target: "/after/1")
        bad.signature = SignatureResult(scheme: "stripe", status: .invalid, detail: "no")
        let first = try store(bad, writer)
        let second = try store(Fixtures.request(target: "/after/2"), writer)
        let arrivals = try reader.arrivals(after: 0, filter: try Filter.parse("~p /after/2"), now: .now())
        XCTAssertEqual(arrivals.count, 2)
        XCTAssertEqual(arrivals.signatureFailures, 1)
        XCTAssertEqual(arrivals.lastID, max(first, second))
        XCTAssertEqual(arrivals.matching, 1)
        XCTAssertEqual(arrivals.perSecond.values.reduce(0, +), 2)
        XCTAssertEqual(try reader.arrivals(after: first, filter: nil, now: .now()).count, 1)
        let none = try reader.arrivals(after: arrivals.lastID, filter: nil, now: .now())
        XCTAssertEqual(none, Arrivals(lastID: arrivals.lastID))
    }

    /// Retention by size (`[store] max_size`, run by the daemon's ledger)
    /// removes the oldest until what is left fits, and no more.
    func contractRetentionBySizeKeepsTheNewestThatFit(_ stores: StoreUnderTest) throws {
        let backend = try stores.makeBackend(node: nil)
        let writer = try backend.openWriter()
        defer { writer.close() }
        for i in 0..<40 { _ = try store(Fixtures.request(target: "/r/\(i)", body: Array(repeating: UInt8(ascii: "a") &+ UInt8(i % 26), count: 16_384)), writer) }
        let reader = try backend.openReader()
        let before = try reader.liveBytes()
        let ledger = StoreLedger(writer: writer, backend: backend)
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var removed: Result<Int, any Error> = .success(0)
        Task {
            do { removed = .success(try await ledger.applyRetention(maxAgeMicros: nil, maxRequests: nil, maxSize: Int(before / 2), now: .now())) }
            catch { removed = .failure(error) }
            done.signal()
        }
        done.wait()
        let n = try removed.get()
        XCTAssertGreaterThan(n, 10, "about half had to go")
        XCTAssertLessThan(n, 30, "not more than needed: \(n)")
        let kept = try reader.list(limit: 0).map(\.target)
        XCTAssertEqual(kept.count, 40 - n)
        XCTAssertEqual(kept.last, "/r/\(n)", "the oldest went first")
    }

    /// An id names one request for good: after every way of pruning the
    /// newest requests, new ones (stored by a daemon, a restarted one, or
    /// an import) get ids never given before, and a provider's retry of
    /// one of them is still found as its duplicate.
    func contractIDsAreNeverGivenTwice(_ stores: StoreUnderTest) throws {
        let backend = try stores.makeBackend(node: nil)
        var given: [Int64] = []
        func delivery(_ id: String) -> CapturedRequest {
            var request = Fixtures.request(headers: [("X-GitHub-Delivery", id)])
            request.deliveryID = DeliveryID.extract(headers: request.headers, body: request.body)
            return request
        }
        var writer = try backend.openWriter()
        let reader = try backend.openReader()
        for i in 0..<3 { given.append(try store(delivery("before-\(i)"), writer)) }
        writer.close()  // its delivery keys are folded
        XCTAssertEqual(try backend.prune(keep: 0), 3)

        writer = try backend.openWriter()  // a daemon started after everything was pruned
        let first = try store(delivery("after"), writer)
        let retry = try store(delivery("after"), writer)
        XCTAssertGreaterThan(first, given.max() ?? 0, "an id given before was given again")
        XCTAssertEqual(try reader.request(id: retry).duplicateOf, first, "a retry after the prune is not found as a duplicate")
        given += [first, retry]

        XCTAssertEqual(try backend.prune(receivedBefore: Timestamp.now().adding(microseconds: 60_000_000)), 2)  // beside the running daemon
        let next = try store(Fixtures.request(), writer)
        XCTAssertGreaterThan(next, given.max() ?? 0)
        given.append(next)

        XCTAssertEqual(try apply(.prune(before: nil, oldest: true, limit: 10), writer), 1)  // the daemon's own retention
        let afterRetention = try store(Fixtures.request(), writer)
        XCTAssertGreaterThan(afterRetention, given.max() ?? 0)
        given.append(afterRetention)
        writer.close()

        XCTAssertEqual(try backend.prune(keep: 0), 1)
        let importer = try backend.openImporter()
        try importer.add(Fixtures.request(target: "/imported"))
        try importer.finish()
        let imported = try reader.newest()
        XCTAssertEqual(imported.target, "/imported")
        XCTAssertGreaterThan(imported.id, given.max() ?? 0)
    }

    /// Importing a file twice adds nothing the second time; the file's node stays.
    func contractImportIsIdempotent(_ stores: StoreUnderTest) throws {
        let backend = try stores.makeBackend(node: "importer")
        var request = Fixtures.request(body: Fixtures.allBytes)
        request.node = "far-away"
        request.deliveries = [DeliveryAttempt(attempt: 3, kind: .replay, url: "http://t/", startedAt: .now(), durationMicros: 9,
                                              status: 500, error: nil, responseHeaders: HeaderList([("X", "y")]), responseBody: [9])]
        for round in 0..<2 {
            let importer = try backend.openImporter()
            if try !importer.contains(request) { try importer.add(request) }
            try importer.finish()
            XCTAssertEqual(importer.imported, round == 0 ? 1 : 0)
        }
        let read = try backend.openReader().newest()
        XCTAssertEqual(read.node, "far-away")
        XCTAssertEqual(read.body, Fixtures.allBytes)
        XCTAssertEqual(read.deliveries, request.deliveries)
    }
}

extension StoreReading {
    func newest() throws -> CapturedRequest {
        guard let row = try list(limit: 1).first else { throw StoreError.noSuchRequest(0) }
        return try request(id: row.id)
    }
}
