import Foundation
import HooktopCore
@testable import HooktopStore
import HooktopTesting
import XCTest

final class StoreTests: XCTestCase {
    private var dir: TempDirectory!
    private var path: String { dir.file("state/sub/hooktop.sqlite") }

    override func setUp() { dir = TempDirectory("store") }

    private func store(_ request: CapturedRequest, _ writer: StoreWriter) throws -> Int64 {
        let done = expectation(description: "committed")
        nonisolated(unsafe) var outcome: Result<Int64, StoreError>?
        writer.submit(request) { outcome = $0; done.fulfill() }
        wait(for: [done], timeout: 10)
        return try XCTUnwrap(outcome).get()
    }

    /// Retention that finds nothing to remove reads a few index pages, not
    /// the table: its one statement for age and count read every stored
    /// request (1.1 s on a million, warm; 28 s cold) inside the writer's
    /// transaction, once a minute, holding every capture behind it.
    func testRetentionWithNothingToRemoveReadsAFewPagesNotTheTable() throws {
        try StoreWriter(StoreConfiguration(path: path)).close()
        let db = try SQLiteConnection(path: path, readOnly: false)
        // 20,000 requests of 1 KiB, received at 1..20,000 µs: about 10,000 pages.
        try db.execute("""
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
            INSERT INTO requests (received_at, remote, method, target, version, headers, body, body_size, body_truncated,
                                  response_status, response_headers, response_body, response_duration_us)
            SELECT i, '127.0.0.1:1', 'POST', '/', 'HTTP/1.1', '', zeroblob(1024), 1024, 0, 200, '', x'', 0 FROM n
            """)
        let mutations = MutationRunner(db)
        _ = db.takePagesRead()
        XCTAssertEqual(try mutations.run(.prune(before: .before(Timestamp(microseconds: 1)), oldest: false, limit: 500)), 0)
        XCTAssertLessThan(db.takePagesRead(), 20, "nothing received before the cutoff: the arrival index says so")
        XCTAssertEqual(try mutations.run(.prune(before: .before(Timestamp(microseconds: 101)), oldest: false, limit: 500)), 100)
        XCTAssertLessThan(db.takePagesRead(), 2_000, "the hundred oldest, their index entries and the pages they free")
        XCTAssertEqual(try mutations.run(.prune(before: nil, oldest: true, limit: 10)), 10)
        XCTAssertEqual(try db.scalarInt("SELECT min(received_at) FROM requests"), 111, "the oldest went")

        let reader = try StoreReader(path: path)
        XCTAssertEqual(try reader.position(ofNewest: 1)?.receivedAt, Timestamp(microseconds: 20_000))
        XCTAssertEqual(try reader.position(ofNewest: 100)?.receivedAt, Timestamp(microseconds: 19_901))
        XCTAssertNil(try reader.position(ofNewest: 20_000), "fewer are stored")
    }

    func testFreshFileGetsSchemaAndPrivatePermissions() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        writer.close()
        let attrs = try FileManager.default.attributesOfItem(atPath: path)
        XCTAssertEqual((attrs[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let dirAttrs = try FileManager.default.attributesOfItem(atPath: (path as NSString).deletingLastPathComponent)
        XCTAssertEqual((dirAttrs[.posixPermissions] as? NSNumber)?.intValue, 0o700)

        let db = try SQLiteConnection(path: path, readOnly: true)
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM hooktop_migrations"), Int64(Migrations.all.count))
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM sqlite_master WHERE name IN ('requests','deliveries')"), 2)
        let mode = try db.prepare("PRAGMA journal_mode")
        XCTAssertTrue(try mode.step())
        XCTAssertEqual(mode.text(Only.value), "wal")
    }

    /// `onCommit` gets each batch as the writer holds it: asking about its
    /// requests reads them in place, `requests` copies them out with the ids
    /// their senders were told and the writer's node where they named none.
    func testCommittedBatchesCarryIdsAndNode() throws {
        nonisolated(unsafe) var seen: [CapturedRequest] = []
        nonisolated(unsafe) var pending = 0
        let lock = NSLock()
        let writer = try StoreWriter(StoreConfiguration(path: path, node: "box-1"), onCommit: { batch in
            let requests = batch.requests
            lock.withLock {
                XCTAssertEqual(requests.count, batch.count)
                pending += requests.indices.filter { requests[$0].deliveryState == .pending }.count
                XCTAssertEqual(batch.contains { $0.deliveryState == .pending }, requests.contains { $0.deliveryState == .pending })
                seen += requests
            }
        })
        var told: [String: Int64] = [:]
        for i in 0..<20 {
            var request = Fixtures.request(target: "/batch/\(i)")
            if i == 7 { request.node = "elsewhere" }
            if i % 5 == 0 { request.deliveryState = .pending }
            told[request.target] = try store(request, writer)
        }
        writer.close()
        XCTAssertEqual(seen.count, 20)
        XCTAssertEqual(pending, 4)
        for request in seen {
            XCTAssertEqual(request.id, told[request.target], request.target)
            XCTAssertEqual(request.node, request.target == "/batch/7" ? "elsewhere" : "box-1")
        }
    }

    /// The statement cache hands out each statement reset, and a statement
    /// never holds a read snapshot between uses: a reader sees the next commit.
    func testCachedStatementsSeeEachCommit() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        defer { writer.close() }
        let reader = try StoreReader(path: path)
        XCTAssertEqual(try reader.count(filter: nil), 0)
        for n in 1...3 {
            let done = expectation(description: "stored")
            writer.submit(Fixtures.request()) { _ in done.fulfill() }
            wait(for: [done], timeout: 5)
            XCTAssertEqual(try reader.count(filter: nil), n)
            XCTAssertEqual(try reader.list(limit: 1).first?.id, Int64(n))
            XCTAssertEqual(try reader.request(id: Int64(n)).target, "/hooks/test?x=1")
        }
    }

    func testANameTheStatementDoesNotHaveFailsItsStep() throws {
        try StoreWriter(StoreConfiguration(path: path)).close()
        let db = try SQLiteConnection(path: path, readOnly: true)
        let s = try db.statement("SELECT count(*) FROM requests WHERE id > :id")
        s.bind(":idd", 1)
        XCTAssertThrowsError(try s.step()) { XCTAssertTrue("\($0)".contains("no such parameter"), "\($0)") }
    }

    func testReopeningAppliesNothingTwice() throws {
        try StoreWriter(StoreConfiguration(path: path)).close()
        try StoreWriter(StoreConfiguration(path: path)).close()
        let db = try SQLiteConnection(path: path, readOnly: true)
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM hooktop_migrations"), Int64(Migrations.all.count))
    }

    func testRoundTripIsExact() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        defer { writer.close() }
        var request = Fixtures.request(target: "/a/b?c=d&e", body: Fixtures.allBytes,
                                       headers: [("X-B", "2"), ("x-b", "1"), ("Content-Type", "application/octet-stream")])
        request.id = try store(request, writer)
        let read = try StoreReader(path: path).request(id: request.id)
        XCTAssertEqual(read, request)
        XCTAssertEqual(read.body, Fixtures.allBytes)
        XCTAssertEqual(read.headers.fields.map(\.name), ["X-B", "x-b", "Content-Type"])
    }

    /// A statement used again keeps what it was prepared as: resetting it
    /// forgets only what was lent to it. Clearing every binding made SQLite
    /// 3.54 prepare the query of a request's deliveries again at each use (a
    /// third of a HAR export's time), because its plan had read a bound value.
    func testReusedStatementsAreNotPreparedAgainAndForgetWhatWasLent() throws {
        try StoreWriter(StoreConfiguration(path: path)).close()
        let db = try SQLiteConnection(path: path, readOnly: true)
        for id in Int64(1)...200 {
            _ = try db.with(RequestRows.deliveriesSQL) { stmt throws(StoreError) in
                stmt.bind(":request_id", id)
                return try stmt.step()
            }
        }
        XCTAssertLessThan(try db.statement(RequestRows.deliveriesSQL).reprepares, 5, "prepared again once or twice, not at each use")

        let sql = "SELECT typeof(:blob), length(:blob), typeof(:text), :number"
        let bytes: [UInt8] = Array("lent".utf8)
        let first: [String] = try bytes.withUnsafeBytes { raw throws(StoreError) in
            try db.with(sql) { stmt throws(StoreError) in
                stmt.bind(":blob", lentBlob: raw)
                stmt.bind(":text", "arena text" as String?)
                stmt.bind(":number", Int64(7))
                _ = try stmt.step()
                return [stmt.text(Column.a) ?? "", stmt.text(Column.b) ?? "", stmt.text(Column.c) ?? "", stmt.text(Column.d) ?? ""]
            }
        }
        XCTAssertEqual(first, ["blob", "4", "text", "7"])
        let again: [String] = try db.with(sql) { stmt throws(StoreError) in
            _ = try stmt.step()  // nothing bound this time
            return [stmt.text(Column.a) ?? "", stmt.text(Column.b) ?? "", stmt.text(Column.c) ?? "", stmt.text(Column.d) ?? ""]
        }
        XCTAssertEqual(again, ["null", "", "null", "7"], "lent bytes are forgotten; a copied value stays bound")
    }

    private enum Column: Int32, ResultColumn { case a, b, c, d }

    /// Bound text is lent to SQLite from the statement's arena until the
    /// next reset: rows bound one after another through the same statement
    /// each keep their own values, empty text stays empty (not NULL), and
    /// text past the arena's room (SQLite copies it) is exact too.
    func testTextBoundThroughTheStatementsArenaKeepsEachRowsOwnValues() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        defer { writer.close() }
        var rows: [CapturedRequest] = []
        for i in 0..<6 {
            var request = Fixtures.request(target: "/r/\(i)?" + String(repeating: "q\(i)", count: i * 700))
            request.source = i.isMultiple(of: 2) ? "stripe-\(i)" : nil
            request.signature = SignatureResult(scheme: "hmac", status: .invalid, detail: String(repeating: "é\(i)", count: i * 500))
            request.deliveryNote = i == 3 ? "" : "note \(i)"
            request.label = "ünïcode \(i) 🎉"
            rows.append(request)
        }
        // Submitted together: one batch, one statement bound six times.
        let done = expectation(description: "committed")
        done.expectedFulfillmentCount = rows.count
        nonisolated(unsafe) var ids = [Int64](repeating: 0, count: rows.count)
        for (i, request) in rows.enumerated() {
            writer.submit(request) { result in
                ids[i] = (try? result.get()) ?? -1
                done.fulfill()
            }
        }
        wait(for: [done], timeout: 10)
        let reader = try StoreReader(path: path)
        for (i, var request) in rows.enumerated() {
            request.id = ids[i]
            XCTAssertEqual(try reader.request(id: ids[i]), request, "row \(i)")
        }
        let db = try SQLiteConnection(path: path, readOnly: true)
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM requests WHERE delivery_note = ''"), 1, "empty text is not NULL")
    }

    func testEmptyBodyStaysEmptyNotNull() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        defer { writer.close() }
        let id = try store(Fixtures.request(method: "GET", body: []), writer)
        XCTAssertEqual(try StoreReader(path: path).request(id: id).body, [])
    }

    /// More than the queue holds is refused at once (503 upstream), and the
    /// health callback hears a failing disk once and its recovery once.
    func testBoundedQueueAndHealthReports() throws {
        final class Heard: @unchecked Sendable {
            let lock = NSLock()
            var events: [StoreWriter.Health] = []
        }
        let heard = Heard()
        let writer = try StoreWriter(StoreConfiguration(path: path), limits: .init(requests: 100, bytes: 64 * 1024),
                                     onHealth: { h in heard.lock.withLock { heard.events.append(h) } })
        defer { writer.close() }
        XCTAssertThrowsError(try store(Fixtures.request(body: Array(repeating: 1, count: 100_000)), writer)) { error in
            XCTAssertTrue("\(error)".contains("write queue is full"), "\(error)")
        }
        XCTAssertNoThrow(try store(Fixtures.request(body: Array(repeating: 1, count: 1000)), writer))
        writer.simulateCommitFailures(3)
        for _ in 0..<3 { XCTAssertThrowsError(try store(Fixtures.request(), writer)) }
        XCTAssertNoThrow(try store(Fixtures.request(), writer))
        let events = heard.lock.withLock { heard.events }
        XCTAssertEqual(events.count, 2, "\(events)")
        if case .failing = events.first {} else { XCTFail("\(events)") }
        XCTAssertEqual(events.last, .recovered(failedBatches: 3))
    }

    func testConcurrentSubmittersAreAllCommittedInBatches() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        let all = expectation(description: "all committed")
        all.expectedFulfillmentCount = 200
        let ids = NSLock()
        nonisolated(unsafe) var seen = Set<Int64>()
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            writer.submit(Fixtures.request(target: "/n/\(i)")) { result in
                if case .success(let id) = result { ids.withLock { _ = seen.insert(id) } }
                all.fulfill()
            }
        }
        wait(for: [all], timeout: 20)
        let stats = writer.currentStats()
        writer.close()
        XCTAssertEqual(seen.count, 200)
        XCTAssertEqual(stats.requests, 200)
        XCTAssertLessThanOrEqual(stats.batches, 200)
        XCTAssertEqual(try StoreReader(path: path).count(), 200)
    }

    /// Sustained writes: the WAL is checkpointed off the writer's thread and
    /// starts over, so it stays near the checkpoint threshold instead of
    /// growing with everything written (48 MB here).
    func testWALStaysBoundedUnderSustainedWrites() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        let largestWAL = writeSustained(writer, rounds: 12)
        let stats = writer.currentStats()
        writer.close()
        XCTAssertGreaterThan(stats.checkpoints, 0)
        // It starts over at 2,000 frames (8 MB of 4 KB pages) plus what one round lets in.
        XCTAssertLessThan(largestWAL, 24 << 20, "the WAL grew to \(largestWAL) bytes")
        XCTAssertGreaterThan(stats.longestCheckpointPauseMicros, 0, "a checkpoint held the gate to let the WAL start over")
        XCTAssertEqual(try StoreReader(path: path).count(), 12_000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + "-wal"), "closing checkpoints and removes the WAL")
    }

    /// A disk slower than the writer: every checkpoint round takes 100 ms
    /// first, so the checkpointer falls behind whatever it does. Commits
    /// past the WAL's limit (4,000 frames, 16 MB) wait for the checkpoint
    /// under way (here 18 MB at most, three waits); without that wait this
    /// WAL grew to 38 MB.
    func testWALStaysBoundedWhenCheckpointsCannotKeepUp() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        writer.simulateSlowCheckpoints(micros: 100_000)
        let largestWAL = writeSustained(writer, rounds: 12)
        let stats = writer.currentStats()
        writer.close()
        XCTAssertGreaterThan(stats.checkpointWaits, 0, "commits waited for a checkpoint")
        XCTAssertLessThan(largestWAL, 24 << 20, "the WAL grew to \(largestWAL) bytes")
        XCTAssertEqual(try StoreReader(path: path).count(), 12_000)
        XCTAssertEqual(try sqlite3(path, "pragma integrity_check").stdout, "ok\n")
    }

    /// A reader holding a snapshot (a long export) keeps the WAL from
    /// starting over, whatever the checkpointer does: commits past the
    /// limit must not wait for checkpoints that cannot help: they waited
    /// 7–8 times in this test (the batches are large), each for a whole
    /// checkpoint, before the checkpointer told the two cases apart; none
    /// now. Once the reader is done, the WAL starts over.
    func testAReaderHoldingTheWALDoesNotStallCommits() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        let reader = try SQLiteConnection(path: path, readOnly: true)
        try reader.execute("BEGIN")
        XCTAssertEqual(try reader.scalarInt("SELECT count(*) FROM requests"), 0)  // the snapshot is taken here
        _ = writeSustained(writer, rounds: 6)
        let held = writer.currentStats()
        try reader.execute("COMMIT")
        reader.close()
        _ = writeSustained(writer, rounds: 6)
        let stats = writer.currentStats()
        writer.close()
        XCTAssertLessThanOrEqual(held.checkpointWaits, 2, "commits waited for checkpoints a reader made useless")
        XCTAssertEqual(try StoreReader(path: path).count(), 12_000)
        XCTAssertGreaterThan(stats.longestCheckpointPauseMicros, 0)
        XCTAssertEqual(try sqlite3(path, "pragma integrity_check").stdout, "ok\n")
    }

    /// Writes `rounds` × 1,000 requests of 4 KB; returns the largest the WAL was after a round.
    private func writeSustained(_ writer: StoreWriter, rounds: Int) -> Int {
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 4096)
        var largestWAL = 0
        for round in 0..<rounds {
            let batch = expectation(description: "round \(round)")
            batch.expectedFulfillmentCount = 1_000
            DispatchQueue.concurrentPerform(iterations: 1_000) { i in
                writer.submit(Fixtures.request(target: "/wal/\(round)/\(i)", body: body)) { result in
                    if case .failure(let error) = result { XCTFail("\(error)") }
                    batch.fulfill()
                }
            }
            wait(for: [batch], timeout: 60)
            let size = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
            largestWAL = max(largestWAL, size)
        }
        return largestWAL
    }

    /// Other processes open and close the database while checkpoints run
    /// (the dashboard, `hooktop list`, sqlite3). POSIX locks belong to the
    /// process and the file, and any close of that file drops them all: the
    /// checkpointer once synced the database through a descriptor of its
    /// own, and the next `sqlite3` to close took itself for the last
    /// connection and removed the WAL under the writer ("database disk
    /// image is malformed" in `forward.sh`). Every row must survive, intact.
    func testOtherProcessesOpeningTheDatabaseDuringCheckpointsBreakNothing() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        let stop = StopFlag()
        let failures = Failures()
        let readers = DispatchGroup()
        let path = self.path
        DispatchQueue.global().async(group: readers) {
            while !stop.value {
                let message = (try? sqlite3(path, "select count(*) from requests").stderr) ?? "sqlite3 did not run"
                if !message.isEmpty && !message.contains("locked") && !message.contains("busy") { failures.add(message) }
            }
        }
        _ = writeSustained(writer, rounds: 12)
        stop.value = true
        readers.wait()
        let stats = writer.currentStats()
        writer.close()
        XCTAssertGreaterThan(stats.checkpoints, 0)
        XCTAssertEqual(failures.all, [])
        XCTAssertEqual(try sqlite3(path, "pragma integrity_check").stdout, "ok\n")
        XCTAssertEqual(try StoreReader(path: path).count(), 12_000)
    }

    /// The writer's WAL appends are gathered and written at each commit
    /// (`CWALBuffer`): batches larger than its 64 KiB buffer, and full
    /// durability (a sync, and SQLite's padding frames, after each commit),
    /// come back whole from another process and pass SQLite's own check.
    func testGatheredWALWritesKeepEveryBatchWhole() throws {
        for durability in StoreConfiguration.Durability.allCases {
            Store.remove(path)
            let writer = try StoreWriter(StoreConfiguration(path: path, durability: durability))
            _ = writeSustained(writer, rounds: 2)
            // Read while the writer is open: through the WAL it wrote.
            XCTAssertEqual(try sqlite3(path, "select count(*), sum(length(body)) from requests").stdout, "2000|8192000\n", "\(durability)")
            XCTAssertEqual(try sqlite3(path, "pragma integrity_check").stdout, "ok\n", "\(durability)")
            writer.close()
            XCTAssertEqual(try sqlite3(path, "select count(*), sum(length(body)) from requests").stdout, "2000|8192000\n", "\(durability)")
        }
    }

    /// A database file replaced under the daemon: the writer opens the new
    /// one, and so does the checkpointer, so the new file's WAL stays bounded too.
    func testCheckpointsFollowADatabaseFileThatWasReplaced() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        _ = writeSustained(writer, rounds: 2)
        Store.remove(path)
        let largestWAL = writeSustained(writer, rounds: 12)
        writer.close()
        XCTAssertLessThan(largestWAL, 32 << 20, "the new file's WAL grew to \(largestWAL) bytes")
        XCTAssertEqual(try StoreReader(path: path).count(), 12_000)
    }

    func testCompletionRunsOnlyAfterCommitIsVisibleToAnotherConnection() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        defer { writer.close() }
        _ = try store(Fixtures.request(), writer)
        let reader = try StoreReader(path: path)
        for i in 0..<50 {
            let id = try store(Fixtures.request(target: "/seq/\(i)"), writer)
            XCTAssertEqual(try reader.request(id: id).target, "/seq/\(i)")
        }
    }

    func testReaderDoesNotBlockWriterWhileWriting() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        defer { writer.close() }
        let reader = try StoreReader(path: path)
        var lastCount = 0
        for round in 0..<20 {
            let batch = expectation(description: "round \(round)")
            batch.expectedFulfillmentCount = 10
            for i in 0..<10 { writer.submit(Fixtures.request(target: "/r/\(round)/\(i)")) { _ in batch.fulfill() } }
            // Read while those commit: WAL readers never wait for the writer.
            let listed = try reader.list(limit: 0)
            XCTAssertGreaterThanOrEqual(listed.count, lastCount)
            lastCount = listed.count
            wait(for: [batch], timeout: 10)
        }
        XCTAssertEqual(try reader.count(), 200)
    }

    func testFailedCommitReportsFailureAndStoresNothing() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        defer { writer.close() }
        writer.simulateCommitFailures(1)
        XCTAssertThrowsError(try store(Fixtures.request(), writer))
        XCTAssertEqual(try StoreReader(path: path).count(), 0)
        XCTAssertNoThrow(try store(Fixtures.request(), writer))
    }

    func testSubmitAfterCloseFails() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        writer.close()
        XCTAssertThrowsError(try store(Fixtures.request(), writer)) { error in
            XCTAssertEqual(error as? StoreError, .closed)
        }
    }

    func testListIsNewestFirstAndLimitedWithoutBodies() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        defer { writer.close() }
        for i in 0..<5 { _ = try store(Fixtures.request(target: "/\(i)"), writer) }
        let reader = try StoreReader(path: path)
        let rows = try reader.list(limit: 3)
        XCTAssertEqual(rows.map(\.target), ["/4", "/3", "/2"])
        XCTAssertTrue(rows.allSatisfy { $0.body.isEmpty && $0.bodySize > 0 })
        XCTAssertEqual(try reader.list(limit: 0).count, 5)
        XCTAssertFalse(try reader.list(limit: 1, includeBodies: true)[0].body.isEmpty)
        XCTAssertEqual(try reader.maxID(), 5)
    }

    func testPruneByAgeAndByCountRemovesAttemptsToo() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        let old = Timestamp.now().adding(microseconds: -10 * 86_400_000_000)
        for i in 0..<3 { _ = try store(Fixtures.request(target: "/old/\(i)", receivedAt: old), writer) }
        for i in 0..<4 { _ = try store(Fixtures.request(target: "/new/\(i)"), writer) }
        writer.close()
        let db = try Store.openExisting(path)
        try db.execute("INSERT INTO deliveries(request_id, attempt, kind, url, started_at, duration_us) VALUES (1, 1, 'forward', 'http://x', 0, 0)")

        XCTAssertEqual(try StorePruner.prune(path: path, receivedBefore: Timestamp.now().adding(microseconds: -86_400_000_000)), 3)
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM deliveries"), 0)
        XCTAssertEqual(try StorePruner.prune(path: path, keep: 1), 3)
        XCTAssertEqual(try StoreReader(path: path).list(limit: 0).map(\.target), ["/new/3"])
        XCTAssertEqual(try StorePruner.prune(path: path, keep: 5), 0)
    }

    func testMissingUnknownAndForeignFilesGiveClearErrors() throws {
        XCTAssertThrowsError(try StoreReader(path: dir.file("nope.sqlite"))) { error in
            XCTAssertTrue("\(error)".contains("no database at"), "\(error)")
        }
        let garbage = dir.file("garbage.sqlite")
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: garbage))
        XCTAssertThrowsError(try StoreReader(path: garbage)) { error in
            XCTAssertTrue("\(error)".contains("garbage.sqlite"), "\(error)")
        }
        try StoreWriter(StoreConfiguration(path: path)).close()
        let db = try SQLiteConnection(path: path, readOnly: false)
        try db.execute("INSERT INTO hooktop_migrations VALUES ('9999_from_the_future', 0)")
        XCTAssertThrowsError(try StoreReader(path: path)) { error in
            XCTAssertTrue("\(error)".contains("newer hooktop"), "\(error)")
        }
        XCTAssertThrowsError(try StoreReader(path: dir.file("missing/dir/x.sqlite"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("no database at"), "\(error)")
        }
    }

    func testUnknownIDSaysSo() throws {
        try StoreWriter(StoreConfiguration(path: path)).close()
        XCTAssertThrowsError(try StoreReader(path: path).request(id: 7)) { error in
            XCTAssertEqual("\(error)", "no request with id 7")
        }
    }
}

/// Set by one thread, read by another.
private final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    var value: Bool {
        get { lock.withLock { stopped } }
        set { lock.withLock { stopped = newValue } }
    }
}

/// What a reader process reported.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var all: [String] { lock.withLock { messages } }
}

/// The sqlite3 command on one statement (`HooktopBinary.spawn`).
private func sqlite3(_ path: String, _ sql: String) throws -> HooktopBinary.Result {
    try HooktopBinary.spawn("/usr/bin/sqlite3", [path, sql])
}
