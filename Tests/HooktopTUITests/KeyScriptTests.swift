import Foundation
import HooktopCore
import HooktopStore
import HooktopTesting
@testable import HooktopTUI
import XCTest

/// The real runtime on a real database, driven by a script of keys.
final class KeyScriptTests: XCTestCase {
    private var dir: TempDirectory!
    private var path: String { dir.file("tui.sqlite") }

    override func setUpWithError() throws {
        dir = TempDirectory("tui")
        let importer = try StoreImporter(StoreConfiguration(path: path))
        for i in 1...60 {
            var r = Fixtures.request(target: "/hook/\(i)", body: Array(#"{"n":\#(i),"msg":"hello \#(i)"}"#.utf8),
                                     headers: [("Content-Type", "application/json")])
            if i % 10 == 0 { r.signature = SignatureResult(scheme: "stripe", status: .invalid, detail: "bad") }
            if i == 3 { r.deliveryState = .failed; r.targetURL = "http://127.0.0.1:9/app" }
            if i == 60 { r.deliveryState = .pending; r.targetURL = "http://127.0.0.1:9/app" }
            try importer.add(r)
        }
        try importer.finish()
    }

    final class Calls: @unchecked Sendable {
        let lock = NSLock()
        var replayed: [Int64] = []
        var options: [ReplayOptions] = []
        var retried: [Int64] = []
    }

    /// - pauseMillis: how long each key waits, for effects that run off the loop (an export).
    func run(_ keys: [Key?], width: Int = 80, height: Int = 24, calls: Calls = Calls(), readOnly: Bool = false,
             pauseMillis: Int = 0) throws -> ScriptedTerminal {
        let terminal = ScriptedTerminal(width: width, height: height, keys: keys)
        if pauseMillis > 0 { terminal.beforeKey = { _ in usleep(UInt32(pauseMillis * 1000)) } }
        let actions = TUIActions(replay: { id, options in
                                     calls.lock.withLock { calls.replayed.append(id); calls.options.append(options) }
                                     return .success("200 in 1.0 ms")
                                 },
                                 retry: { id in calls.lock.withLock { calls.retried.append(id) }; return .failure(ActionFailure("HTTP 503")) },
                                 edit: { r in (HeaderList([("X-Edited", "yes")]), Array("edited \(r.id)".utf8)) })
        var model = Model(width: width, height: height, listening: nil, databasePath: path)
        model.readOnly = readOnly
        let runtime = Runtime(model: model,
                              data: try TUIData(path: path), terminal: terminal, themes: [.monochrome], actions: actions)
        runtime.run()
        return terminal
    }

    func testNewestFirstAndMovingSelection() throws {
        let t = try run(ScriptedTerminal.keys("jj"))
        let text = try XCTUnwrap(t.screen?.text)
        XCTAssertTrue(text.contains("/hook/60"))
        let selected = try XCTUnwrap(t.screen.flatMap { s in (0..<s.height).first { s[2, $0].role == .selection } })
        XCTAssertTrue((0..<80).map { t.screen![$0, selected].text }.joined().contains("/hook/58"))
    }

    func testOpenShowsTheBodyAndEscGoesBack() throws {
        let t = try run(ScriptedTerminal.keys("j\r\t\t"))
        let text = try XCTUnwrap(t.screen?.text)
        XCTAssertTrue(text.contains("[Body]"))
        XCTAssertTrue(text.contains(#""msg": "hello 59""#), text)
        let back = try run(ScriptedTerminal.keys("j\r\u{1b}"))
        XCTAssertTrue(back.screen!.text.contains("ID TIME"))
    }

    func testScrollingPastThePageLoadsMoreAndGoesToTheOldest() throws {
        let t = try run(Array(repeating: Key.char("j"), count: 30))
        let text = try XCTUnwrap(t.screen?.text)
        XCTAssertTrue(text.contains("/hook/30 "), text)
        XCTAssertFalse(text.contains("/hook/60 "))
        let bottom = try run([.char("G")])
        XCTAssertTrue(bottom.screen!.text.contains("/hook/1 "))
        let top = try run([.char("G"), .char("g")])
        XCTAssertTrue(top.screen!.text.contains("/hook/60 "))
        let paged = try run([.pageDown, .pageDown, .pageUp])
        XCTAssertTrue(paged.screen!.text.contains("/hook/40 "), paged.screen!.text)
    }

    func testFilterNarrowsTheListAndBadFiltersPointAtTheColumn() throws {
        let t = try run([.char("/")] + ScriptedTerminal.keys("~sig invalid\r"))
        let text = try XCTUnwrap(t.screen?.text)
        XCTAssertTrue(text.contains("/hook/60 ") && text.contains("/hook/10 "))
        XCTAssertFalse(text.contains("/hook/59 "))
        XCTAssertTrue(text.contains("filter: ~sig invalid (6)"), text)
        let bad = try run([.char("/")] + ScriptedTerminal.keys("~m\r"))
        XCTAssertTrue(bad.screen!.text.contains("filter: expected a value after ~m at column 3"), bad.screen!.text)
    }

    func testReplayRetryCopyAndHelpKeys() throws {
        let calls = Calls()
        let t = try run(ScriptedTerminal.keys("jrR") + [nil, nil, .char("y")], calls: calls)
        // Replay and retry run in tasks of their own: wait for them, with a deadline, before asserting.
        for _ in 0..<200 where calls.lock.withLock({ calls.replayed.isEmpty || calls.retried.isEmpty }) { usleep(10_000) }
        XCTAssertEqual(calls.lock.withLock { calls.replayed }, [59])
        XCTAssertEqual(calls.lock.withLock { calls.retried }, [59])
        XCTAssertEqual(t.copied.count, 1)
        // The copied command goes to this daemon's address, never to the captured Host, and pipes the body in.
        XCTAssertTrue(t.copied[0].hasPrefix(#"printf '{"n":59,"msg":"hello 59"}' | curl -q -sS --http1.1 -g --path-as-is -X 'POST' --request-target '/hook/59'"#), t.copied[0])
        XCTAssertTrue(t.copied[0].hasSuffix("--data-binary @- 'http://127.0.0.1:8080'"), t.copied[0])
        let help = try run([.char("?")])
        XCTAssertTrue(help.screen!.text.contains("copy as curl (clipboard)"))
        XCTAssertTrue(help.screen!.text.contains("✗ invalid") && help.screen!.text.contains("⟲ duplicate delivery id"), "the legend of the marks")
    }

    func testNewRequestsAppearWhileFollowing() throws {
        let terminal = ScriptedTerminal(width: 80, height: 24, keys: [nil, nil, nil])
        let path = self.path
        terminal.beforeKey = { n in
            guard n == 1 else { return }
            let writer = try! StoreWriter(StoreConfiguration(path: path))
            let done = DispatchSemaphore(value: 0)
            writer.submit(Fixtures.request(target: "/brand-new")) { _ in done.signal() }
            done.wait()
            writer.close()
        }
        let runtime = Runtime(model: Model(width: 80, height: 24, listening: nil, databasePath: path),
                              data: try TUIData(path: path), terminal: terminal, themes: [.monochrome], actions: .none)
        runtime.run()
        let text = try XCTUnwrap(terminal.screen?.text)
        XCTAssertTrue(text.contains("/brand-new"), text)
        XCTAssertTrue(text.contains("61 req"), text)
    }

    func testLongLinesWrapOrScroll() throws {
        let importer = try StoreImporter(StoreConfiguration(path: path))
        try importer.add(Fixtures.request(target: "/long", body: Array(("START" + String(repeating: "-", count: 150) + "END").utf8),
                                          headers: [("Content-Type", "text/plain")]))
        try importer.finish()
        let wrapped = try run(ScriptedTerminal.keys("\r\t\t"))
        XCTAssertTrue(wrapped.screen!.text.contains("END"), "wrapped by default")
        let cut = try run(ScriptedTerminal.keys("\r\t\tw"))
        XCTAssertFalse(cut.screen!.text.contains("END"))
        XCTAssertTrue(cut.screen!.text.contains("START"))
        let scrolled = try run(ScriptedTerminal.keys("\r\t\tw") + Array(repeating: Key.right, count: 12))
        XCTAssertTrue(scrolled.screen!.text.contains("END"))
        XCTAssertFalse(scrolled.screen!.text.contains("START"))
        let back = try run(ScriptedTerminal.keys("\r\t\tw") + [.right, .left, .left])
        XCTAssertTrue(back.screen!.text.contains("ID TIME"), "← at the left edge goes back to the list")
    }

    func testAlertsShowAsABanner() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        let done = DispatchSemaphore(value: 0)
        writer.apply(.alert(kind: "delivery_failed", requestID: 3, source: nil, message: "delivery of #3 failed for good", at: .now())) { _ in done.signal() }
        done.wait()
        writer.close()
        let t = try run([nil, nil])
        XCTAssertTrue(t.screen!.text.split(separator: "\n")[1].contains("⚠") && t.screen!.text.contains("delivery of #3 failed for good"), t.screen!.text)
    }

    /// Another process records attempts while the Deliveries tab is open: the
    /// tab, the list and the banner follow the database, not only new requests.
    func testDeliveryStateAttemptsAndBannerFollowTheDatabase() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        defer { writer.close() }
        func apply(_ m: StoreMutation) {
            let done = DispatchSemaphore(value: 0)
            writer.apply(m) { _ in done.signal() }
            done.wait()
        }
        apply(.alert(kind: "delivery_failed", requestID: 3, source: nil, message: "delivery of #3 failed for good", at: .now()))
        let attempt = { (n: Int, status: Int) in
            DeliveryAttempt(attempt: n, kind: n == 1 ? .forward : .retry, url: "http://127.0.0.1:9/app", startedAt: .now(),
                            durationMicros: 1200, status: status, error: nil)
        }
        var screens: [Int: String] = [:]
        let terminal = ScriptedTerminal(width: 100, height: 30, keys: ScriptedTerminal.keys("\r\t\t\t\t") + Array(repeating: nil, count: 8)
                                        + [.escape, nil])
        terminal.beforeKey = { i in
            screens[i] = terminal.screen?.text
            switch i {
            case 6: apply(.recordAttempt(requestID: 60, attempt: attempt(1, 500), state: .retrying, nextAttemptAt: .now(), scheduled: true, note: nil))
            case 9: apply(.recordAttempt(requestID: 60, attempt: attempt(2, 200), state: .delivered, nextAttemptAt: nil, scheduled: true, note: nil))
            case 10: apply(.recordAttempt(requestID: 3, attempt: attempt(9, 200), state: .delivered, nextAttemptAt: nil, scheduled: false, note: nil))
            default: break
            }
        }
        let runtime = Runtime(model: Model(width: 100, height: 30, listening: nil, databasePath: path),
                              data: try TUIData(path: path), terminal: terminal, themes: [.monochrome], actions: .none)
        runtime.run()
        let beforeRetry = try XCTUnwrap(screens[6]), afterRetry = try XCTUnwrap(screens[9]), afterSuccess = try XCTUnwrap(screens[10])
        XCTAssertTrue(beforeRetry.contains("[Deliveries]") && beforeRetry.contains("delivery of #3 failed for good"), beforeRetry)
        XCTAssertTrue(afterRetry.contains("state retrying") && afterRetry.contains("HTTP 500"), afterRetry)
        XCTAssertTrue(afterSuccess.contains("state delivered") && afterSuccess.contains("#2 retry") && afterSuccess.contains("HTTP 200"), afterSuccess)
        XCTAssertTrue(afterSuccess.contains("HTTP 500"), "both attempts are listed")
        let list = try XCTUnwrap(terminal.screen?.text)
        XCTAssertTrue(list.contains("delivered"), list)
        XCTAssertFalse(list.contains("failed for good"), "the banner clears once #3 is delivered: \(list)")
    }

    /// Plays `keys` with a second passing before each, and `hooktop prune --keep 10` from
    /// another process before key `n`.
    private func runPruningAtKey(_ n: Int, keys: [Key?]) throws -> ScriptedTerminal {
        let terminal = ScriptedTerminal(width: 100, height: 30, keys: keys)
        let clock = TestClock(.now())
        terminal.beforeKey = { i in
            clock.now = clock.now.adding(microseconds: 1_000_000)
            if i == n { _ = try? StorePruner.prune(path: self.path, keep: 10) }
        }
        try runtime(terminal, path: path, clock: clock).run()
        return terminal
    }

    /// `hooktop prune` from another shell: the counters and the list follow it.
    /// (A second passes with each key: the header's counters are read at most once a second.)
    func testPruneByAnotherProcessIsFollowed() throws {
        let terminal = try runPruningAtKey(2, keys: [nil, nil, nil, nil, .char("G"), nil])
        let text = try XCTUnwrap(terminal.screen?.text)
        XCTAssertTrue(text.contains("10 req"), text)
        XCTAssertTrue(text.contains("/hook/51 "), "G goes to the oldest request left: \(text)")
        XCTAssertFalse(text.contains("/hook/50 "), text)
    }

    /// The open request is pruned by another process: it stays on screen, marked as gone,
    /// and opening one that went meanwhile says so instead of "loading…" for good.
    func testAnOpenRequestRemovedByAnotherProcessIsMarkedGone() throws {
        let terminal = try runPruningAtKey(2, keys: [.char("G"), .enter, nil, nil, nil])
        let text = try XCTUnwrap(terminal.screen?.text)
        let title = text.split(separator: "\n")[1]
        XCTAssertTrue(title.hasPrefix("#1 (no longer in the store (pruned or removed)) POST /hook/1"), text)
        XCTAssertTrue(text.contains("10 req") && text.contains("received "), "what was read stays: \(text)")

        // Pruned between the list's last poll and Enter: the row on screen is stale.
        let late = ScriptedTerminal(width: 100, height: 30, keys: [.char("G"), .enter, nil])
        late.beforeKey = { i in if i == 1 { _ = try? StorePruner.prune(path: self.path, keep: 5) } }
        Runtime(model: Model(width: 100, height: 30, listening: nil, databasePath: path),
                    data: try TUIData(path: path), terminal: late, themes: [.monochrome], actions: .none).run()
        XCTAssertTrue(late.screen!.text.contains("this request is no longer in the store (pruned or removed)"), late.screen!.text)
    }

    func testExportKeyWritesTheFilteredRequests() throws {
        let out = dir.file("e.ndjson")
        // The export runs off the loop: the screen says so at once, and the result when it is done.
        let keys: [Key?] = [.char("/")] + ScriptedTerminal.keys("~sig invalid\r") + [.char("e")]
            + Array(repeating: Key.backspace, count: 40) + ScriptedTerminal.keys("ndjson:\(out)\r")
        let started = try run(keys)
        XCTAssertTrue(started.screen!.text.contains("exporting to"), started.screen!.text)
        let t = try run(keys + Array(repeating: nil, count: 20), pauseMillis: 20)
        XCTAssertTrue(t.screen!.text.contains("exported 6 requests"), t.screen!.text)
        XCTAssertEqual(try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").count, 6)
    }
}

extension KeyScriptTests {
    /// LANG=C / LC_ALL=C: every glyph has an ASCII stand-in in the same cell.
    func testNoUTF8LocaleDrawsASCIIOnly() throws {
        for keys in [[nil], ScriptedTerminal.keys("j\r"), [.char("?")]] as [[Key?]] {
            let terminal = ScriptedTerminal(width: 100, height: 30, keys: keys)
            terminal.unicode = false
            let runtime = Runtime(model: Model(width: 100, height: 30, listening: "127.0.0.1:8080", databasePath: path),
                                  data: try TUIData(path: path), terminal: terminal, themes: [.monochrome], actions: .none)
            runtime.run()
            let text = try XCTUnwrap(terminal.screen?.text)
            XCTAssertTrue(text.utf8.allSatisfy { $0 < 0x80 }, text)
            if keys == [nil] {
                XCTAssertTrue(text.contains(" * 127.0.0.1:8080"), text)
                XCTAssertTrue(text.contains(" x "), "the invalid-signature mark: \(text)")
                XCTAssertTrue(text.contains(" - "), "the no-signature mark: \(text)")
            }
        }
    }
}

extension KeyScriptTests {
    /// In the detail view: / searches (n, N move between matches), m forces
    /// a body view, ] and [ move to the older and newer request.
    func testSearchBodyViewAndNeighbours() throws {
        let searched = try run(ScriptedTerminal.keys("\r\t\t/hello 60\r"))
        XCTAssertTrue(searched.screen!.text.contains("match 1/1 for hello 60"), searched.screen!.text)
        let again = try run(ScriptedTerminal.keys("\r\t\t/msg\rn"))
        XCTAssertTrue(again.screen!.text.contains("match 1/1 for msg"), "n wraps around: \(again.screen!.text)")
        let none = try run(ScriptedTerminal.keys("\r\t\t/zzz\r"))
        XCTAssertTrue(none.screen!.text.contains("no match for zzz in Body"), none.screen!.text)

        let hex = try run(ScriptedTerminal.keys("\rmmmm"))
        XCTAssertTrue(hex.screen!.text.contains("[Body]") && hex.screen!.text.contains("body view: hex"), hex.screen!.text)
        XCTAssertTrue(hex.screen!.text.contains("7b 22 6e 22"), "the JSON body as hex: \(hex.screen!.text)")
        let raw = try run(ScriptedTerminal.keys("\rmmmmm"))
        XCTAssertTrue(raw.screen!.text.contains(#"{"n":60,"msg":"hello 60"}"#), raw.screen!.text)

        let older = try run(ScriptedTerminal.keys("\r]]"))
        XCTAssertTrue(older.screen!.text.contains("#58 POST /hook/58"), older.screen!.text)
        let newer = try run(ScriptedTerminal.keys("\r]][") )
        XCTAssertTrue(newer.screen!.text.contains("#59 POST /hook/59"), newer.screen!.text)
        let back = try run(ScriptedTerminal.keys("\r]]\u{1b}"))
        let selectedRow = back.screen!.text.split(separator: "\n").first { $0.contains("/hook/58 ") }
        XCTAssertNotNil(selectedRow, "the list kept the neighbour selected")
    }
}

extension KeyScriptTests {
    /// E edits then replays, T replays to a URL typed in: both through the replay action.
    func testEditAndReplayAndReplayToURL() throws {
        let calls = Calls()
        _ = try run(ScriptedTerminal.keys("jE") + [nil, nil], calls: calls)
        _ = try run(ScriptedTerminal.keys("T") + Array(repeating: Key.backspace, count: 7) + ScriptedTerminal.keys("http://127.0.0.1:9/x\r") + [nil, nil], calls: calls)
        // The async replays land before the runtime ends its last ticks.
        for _ in 0..<100 where calls.lock.withLock({ calls.replayed.count }) < 2 { usleep(10_000) }
        let (replayed, options) = calls.lock.withLock { (calls.replayed, calls.options) }
        XCTAssertEqual(replayed, [59, 60])
        XCTAssertEqual(options.first?.headers?.first("X-Edited"), "yes")
        XCTAssertEqual(options.first?.body, Array("edited 59".utf8))
        XCTAssertEqual(options.last?.to, "http://127.0.0.1:9/x")
    }
}

extension KeyScriptTests {
    /// With a filter the refresh after a commit is held to one per 2 s (a body
    /// filter scans the table), and the held one still comes.
    func testFilteredListFollowsTheDatabaseAtMostEveryTwoSeconds() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        defer { writer.close() }
        func record(_ id: Int64, _ state: DeliveryState) {
            let done = DispatchSemaphore(value: 0)
            let attempt = DeliveryAttempt(attempt: 1, kind: .forward, url: "http://127.0.0.1:9/app", startedAt: .now(),
                                          durationMicros: 900, status: state == .delivered ? 200 : 500, error: nil)
            writer.apply(.recordAttempt(requestID: id, attempt: attempt, state: state, nextAttemptAt: nil, scheduled: true, note: nil)) { _ in done.signal() }
            done.wait()
        }
        var screens: [Int: String] = [:]
        let typed = 1 + "~sig invalid\r".count
        let start = Timestamp.now()
        let clock = TestClock(start)
        let terminal = ScriptedTerminal(width: 100, height: 30, keys: [.char("/")] + ScriptedTerminal.keys("~sig invalid\r") + Array(repeating: nil, count: 8))
        terminal.beforeKey = { i in
            screens[i] = terminal.screen?.text
            if i == typed + 1 { record(60, .delivered); clock.now = start.adding(microseconds: 500_000) }  // within 2 s of the filter's count: held
            if i == typed + 3 { clock.now = start.adding(microseconds: 2_100_000) }                          // the held refresh comes
            if i == typed + 4 { record(50, .failed) }                                                         // held again
            if i == typed + 6 { clock.now = start.adding(microseconds: 4_300_000) }
        }
        try runtime(terminal, path: path, clock: clock).run()
        let row = { (text: String?, id: Int) in text?.split(separator: "\n").first { $0.contains("/hook/\(id) ") }.map(String.init) ?? "" }
        XCTAssertFalse(row(screens[typed + 3], 60).contains("delivered"), "held back within 2 s: \(row(screens[typed + 3], 60))")
        XCTAssertTrue(row(screens[typed + 4], 60).contains("delivered"), row(screens[typed + 4], 60))
        XCTAssertFalse(row(screens[typed + 6], 50).contains("failed"), "held back within 2 s: \(row(screens[typed + 6], 50))")
        XCTAssertTrue(row(terminal.screen?.text, 50).contains("failed"), "the held refresh came: \(row(terminal.screen?.text, 50))")
    }
}

extension KeyScriptTests {
    /// `hooktop tui --read-only`: what the key table marks as acting is neither offered nor done.
    func testReadOnlyOffersAndDoesNothingThatActs() throws {
        let calls = Calls()
        let t = try run(ScriptedTerminal.keys("jrR"), calls: calls, readOnly: true)
        usleep(100_000)
        XCTAssertEqual(calls.lock.withLock { calls.replayed + calls.retried }, [])
        XCTAssertTrue(t.screen!.text.contains("read-only: retry delivery now is not available"), t.screen!.text)
        XCTAssertFalse(t.screen!.text.contains("replay"), "the status line offers no replay: \(t.screen!.text)")
        let help = try run([.char("?")], readOnly: true).screen!.text
        XCTAssertFalse(help.contains("replay to its target") || help.contains("export filtered"), help)
        XCTAssertTrue(help.contains("copy as curl (clipboard)"), "what only reads is still offered")
        let normal = try run([.char("?")]).screen!.text
        XCTAssertTrue(normal.contains("replay to its target") && normal.contains("export filtered"), normal)
    }
}

/// `update` alone: messages in, model and effects out, time passed in.
final class UpdateTests: XCTestCase {
    func testTheClockComesWithTheMessage() {
        var model = Model(width: 80, height: 24, listening: nil, databasePath: "")
        model.stats.total = 0
        model.stats.throughID = 95
        let now = Timestamp(seconds: 1_000)
        var arrivals = Arrivals(lastID: 100)
        arrivals.count = 5
        arrivals.perSecond = [1_000: 2, 999: 1, 995: 1, 960: 1]
        _ = update(&model, .arrived(arrivals, now: now))
        XCTAssertEqual(model.stats.lastSecond, 1_000)
        XCTAssertEqual(Array(model.stats.perSecond.suffix(6)), [1, 0, 0, 0, 1, 2], "per second over the last 30 s, by the given clock")
        XCTAssertEqual(model.stats.total, 5)
        XCTAssertEqual(model.newestID, 100)
        XCTAssertEqual(model.stats.throughID, 100)
        _ = update(&model, .arrived(arrivals, now: now))
        XCTAssertEqual(model.stats.total, 5, "arrivals counted already are not counted twice")
    }

    /// With a filter, new requests that do not match leave the page alone: reading a filtered
    /// page again can walk every request. A match, or any request without a filter, reads it.
    func testAFilteredPageIsReadAgainOnlyForAMatch() {
        var model = Model(width: 80, height: 24, listening: nil, databasePath: "")
        model.stats.total = 10
        model.filter = .body("needle")
        var arrivals = Arrivals(lastID: 11)
        arrivals.count = 1
        arrivals.matching = 0
        XCTAssertEqual(update(&model, .arrived(arrivals, now: Timestamp(seconds: 1_000))), [])
        XCTAssertEqual(model.stats.total, 11)
        arrivals = Arrivals(lastID: 12)
        arrivals.count = 1
        arrivals.matching = 1
        XCTAssertEqual(update(&model, .arrived(arrivals, now: Timestamp(seconds: 1_000))), [.loadPage(.newest, select: 0)])
        model.filter = nil
        arrivals = Arrivals(lastID: 13)
        arrivals.count = 1
        XCTAssertEqual(update(&model, .arrived(arrivals, now: Timestamp(seconds: 1_000))), [.loadPage(.newest, select: 0)])
    }

    func testNoticesCarryTheirKind() {
        var model = Model(width: 80, height: 24, listening: nil, databasePath: "")
        model.mode = .detail
        model.detail = Fixtures.request()
        XCTAssertEqual(update(&model, .finished(.error("#1: HTTP 503"))), [], "a failure reloads nothing")
        XCTAssertEqual(model.notice, .error("#1: HTTP 503"))
        XCTAssertEqual(update(&model, .finished(.success("#1: 200 in 1.0 ms"))), [.loadDetail(0)], "a success shows the new attempt")
        XCTAssertEqual(StatusBar.role(.error("x")), .error)
        XCTAssertEqual(StatusBar.role(.success("x")), .statusBar)
    }

    func testTheExportEffectIsTyped() {
        var model = Model(width: 80, height: 24, listening: nil, databasePath: "")
        _ = update(&model, .key(.char("e")))
        for _ in 0..<40 { _ = update(&model, .key(.backspace)) }
        for c in "har:/tmp/x.har" { _ = update(&model, .key(.char(c))) }
        XCTAssertEqual(update(&model, .key(.enter)), [.export(.har, path: "/tmp/x.har")])
        _ = update(&model, .key(.char("e")))
        for _ in 0..<40 { _ = update(&model, .key(.backspace)) }
        for c in "zip:/tmp/x" { _ = update(&model, .key(.char(c))) }
        XCTAssertEqual(update(&model, .key(.enter)), [])
        XCTAssertEqual(model.notice?.kind, .error)
    }

    func testStatusLineWordsComeFromTheKeyTable() {
        let shown = KeyBinding.table.compactMap(\.short)
        XCTAssertEqual(shown, ["open", "back", "tab", "filter", "search", "follow", "replay", "retry", "help", "quit"])
    }
}

/// Callback workflows as the dashboard shows them.
final class CallbackViewTests: XCTestCase {
    func testOverviewAndListSayWhatARequestIs() {
        var oauth = Fixtures.request(target: "/cb?code=4%2F0AbCdEfGhIjKlMnOp&state=st-81", method: "GET")
        oauth.id = 1
        var late = Fixtures.request(target: "/cb/" + String(repeating: "a", count: 32))
        late.id = 2
        late.label = "clip-7"
        late.arrival = .overdue
        let text = { (r: CapturedRequest) in DetailView.overview(r).map { $0.map(\.text).joined() }.joined(separator: "\n") }
        XCTAssertTrue(text(oauth).contains("oauth       redirect: code 4/0AbC…MnOp, state st-81"), text(oauth))
        XCTAssertTrue(text(late).contains("expected    clip-7 (came after its deadline)"), text(late))
        var model = Model(width: 100, height: 10, listening: nil, databasePath: "")
        model.page = [late, oauth]
        let screen = Render.screen(model, cache: DetailCache()).text
        XCTAssertTrue(screen.contains("[clip-7] /cb/aaaa") && screen.contains("[oauth] /cb?code="), screen)
    }
}

extension KeyScriptTests {
    /// `x`: the expected callbacks with their countdowns; Enter lists the callbacks that came to one.
    func testExpectedCallbacksViewCountsDownAndListsTheirCallbacks() throws {
        let now = Timestamp.now()
        let writer = try StoreWriter(StoreConfiguration(path: path))
        let token = String(repeating: "b", count: 32)
        try runAsyncWaiting {
            try await writer.apply(.expect(Expectation(token: String(repeating: "a", count: 32), label: "report-9", createdAt: now,
                                                       deadline: now.adding(microseconds: 600_000_000), url: "http://127.0.0.1:8080/cb/aaa")))
            try await writer.apply(.expect(Expectation(token: token, label: "clip-7", createdAt: now,
                                                       deadline: now.adding(microseconds: -120_000_000), url: "http://127.0.0.1:8080/cb/bbb")))
        }
        let stored = expectation(description: "stored")
        writer.submit(Fixtures.request(target: "/cb/\(token)/done")) { _ in stored.fulfill() }
        wait(for: [stored], timeout: 5)
        writer.close()

        let view = try run([.char("x")]).screen!.text
        XCTAssertTrue(view.contains("EXPECTED"), view)
        XCTAssertTrue(view.range(of: #"clip-7 +overdue +2m \d+s late +#61"#, options: .regularExpression) != nil, view)
        XCTAssertTrue(view.range(of: #"report-9 +waiting +(9m \d+s|10m 0s) left +–"#, options: .regularExpression) != nil, view)
        let list = try run(ScriptedTerminal.keys("x") + [.enter]).screen!.text
        XCTAssertTrue(list.contains("[clip-7] /cb/bbbb"), list)
        XCTAssertTrue(list.contains("filter: ~label \"clip-7\" (1)"), list)
        XCTAssertFalse(list.contains("/hook/"), "only its callbacks are listed: \(list)")
        XCTAssertTrue(try run(ScriptedTerminal.keys("x") + [.escape]).screen!.text.contains("/hook/60"), "Esc goes back to the list")
    }

    private func runAsyncWaiting(_ body: @escaping @Sendable () async throws -> Void) throws {
        let done = expectation(description: "done")
        nonisolated(unsafe) var failure: (any Error)?
        Task {
            do { try await body() } catch { failure = error }
            done.fulfill()
        }
        wait(for: [done], timeout: 5)
        if let failure { throw failure }
    }
}

/// What an idle dashboard does, against a clock the test holds still or moves on.
extension KeyScriptTests {
    final class TestClock: @unchecked Sendable {
        var now: Timestamp
        init(_ now: Timestamp) { self.now = now }
    }

    private func runtime(_ terminal: ScriptedTerminal, path: String, clock: TestClock) throws -> Runtime {
        Runtime(model: Model(width: terminal.size.width, height: terminal.size.height, listening: nil, databasePath: path),
                data: try TUIData(path: path), terminal: terminal, themes: [.monochrome], actions: .none, clock: { clock.now })
    }

    /// Nothing new and the clock within one second: no frame is drawn, on any screen (the
    /// idle cost is a poll every 100 ms; Benchmarks/idle.sh measures it in tmux).
    func testAnIdleDashboardDrawsNoFrames() throws {
        let clock = TestClock(.now())
        for (name, keys) in [("list", [Key?]()), ("detail body", ScriptedTerminal.keys("\r\t\t")), ("help", [.char("?")]),
                             ("filter prompt", [.char("/"), .char("~")])] {
            func frames(idleTicks: Int) throws -> Int {
                let terminal = ScriptedTerminal(width: 100, height: 30, keys: keys + Array(repeating: nil, count: idleTicks))
                try runtime(terminal, path: path, clock: clock).run()
                return terminal.frames
            }
            let few = try frames(idleTicks: 3), many = try frames(idleTicks: 300)
            XCTAssertEqual(few, many, "\(name): 297 more idle ticks drew \(many - few) more frames")
        }
    }

    /// A burst of bad signatures is news for five minutes: the banner goes when they have
    /// passed, though nothing was committed since (before, it stayed until the next commit).
    func testABannerOfRecentNewsGoesWhenItIsNoLongerRecent() throws {
        let at = Timestamp(microseconds: 1_800_000_000_000_000)
        let writer = try StoreWriter(StoreConfiguration(path: path))
        let done = DispatchSemaphore(value: 0)
        writer.apply(.alert(kind: "invalid_signatures", requestID: 10, source: "stripe", message: "5 invalid signatures in 60 s", at: at)) { _ in
            done.signal()
        }
        done.wait()
        writer.close()
        let clock = TestClock(at.adding(microseconds: 60_000_000))
        let terminal = ScriptedTerminal(width: 100, height: 20, keys: [nil, nil, nil])
        var banners: [Bool] = []
        terminal.beforeKey = { n in
            banners.append(terminal.screen?.text.contains("5 invalid signatures in 60 s") ?? false)
            if n == 1 { clock.now = at.adding(microseconds: 5 * 60_000_000 + 1) }
        }
        try runtime(terminal, path: path, clock: clock).run()
        XCTAssertEqual(banners, [true, true, false, false], "shown from the first frame while recent, gone after five minutes")
    }

    /// `~t <1m` on a database nobody writes to: a request leaves the list and the count when it
    /// turns a minute old, by the clock alone (before, only a commit refreshed a filtered list).
    func testAnAgeFilterFollowsTheClockWithNoCommit() throws {
        let path = dir.file("age.sqlite")
        let t = Timestamp(microseconds: 1_800_000_000_000_000)
        let importer = try StoreImporter(StoreConfiguration(path: path))
        try importer.add(Fixtures.request(target: "/older", receivedAt: t))
        try importer.add(Fixtures.request(target: "/newer", receivedAt: t.adding(microseconds: 30_000_000)))
        try importer.finish()
        let clock = TestClock(t.adding(microseconds: 40_000_000))
        let filter = [.char("/")] + ScriptedTerminal.keys("~t <1m\r")
        let terminal = ScriptedTerminal(width: 100, height: 20, keys: filter + [nil, nil, nil])
        var screens: [String] = []
        terminal.beforeKey = { n in
            guard n >= filter.count else { return }
            screens.append(terminal.screen?.text ?? "")
            if n == filter.count { clock.now = t.adding(microseconds: 61_000_000) }
            if n == filter.count + 1 { clock.now = t.adding(microseconds: 91_000_000) }
        }
        try runtime(terminal, path: path, clock: clock).run()
        XCTAssertEqual(screens.count, 4)
        XCTAssertTrue(screens[0].contains("/older") && screens[0].contains("/newer") && screens[0].contains("~t <1m (2)"), screens[0])
        XCTAssertTrue(!screens[1].contains("/older") && screens[1].contains("/newer") && screens[1].contains("~t <1m (1)"), screens[1])
        XCTAssertTrue(!screens[2].contains("/newer") && screens[2].contains("No request matches the filter"), screens[2])
    }

    /// Counting every request is a pass over an index: while commits come, the header adds the
    /// new rows at once and reads its counters again at most once a second (a prune shows then).
    func testTheHeaderAddsNewRowsAtOnceAndRecountsAtMostOnceASecond() throws {
        let clock = TestClock(.now())
        let terminal = ScriptedTerminal(width: 100, height: 20, keys: [nil, nil, nil, nil, nil])
        var headers: [String] = []
        let path = self.path
        terminal.beforeKey = { n in
            headers.append(terminal.screen.map { s in (0..<s.width).map { s[$0, 0].text }.joined() } ?? "")
            if n == 1 {
                let writer = try! StoreWriter(StoreConfiguration(path: path))
                let done = DispatchSemaphore(value: 0)
                writer.submit(Fixtures.request(target: "/one-more")) { _ in done.signal() }
                done.wait()
                writer.close()
            }
            if n == 2 { _ = try? StorePruner.prune(path: path, keep: 10) }
            if n == 3 { clock.now = clock.now.adding(microseconds: 1_000_000) }
        }
        try runtime(terminal, path: path, clock: clock).run()
        XCTAssertTrue(headers[1].contains(" 60 req "), headers[1])
        XCTAssertTrue(headers[2].contains(" 61 req "), "a new row counts at once: \(headers[2])")
        XCTAssertTrue(headers[3].contains(" 61 req "), "no second count within the second: \(headers[3])")
        XCTAssertTrue(headers[4].contains(" 10 req "), "the prune, a second later: \(headers[4])")
    }

    /// A burst of 5,000 requests committed between two polls: the rate counts every one of them
    /// (it used to read at most 2,000 new rows a poll and skip the rest).
    func testTheRateCountsABurstLargerThanAPoll() throws {
        let path = dir.file("burst.sqlite")
        let second = Timestamp(microseconds: 1_800_000_000_000_000)
        try StoreImporter(StoreConfiguration(path: path)).finish()
        let clock = TestClock(second.adding(microseconds: 500_000))
        let terminal = ScriptedTerminal(width: 100, height: 20, keys: [nil, nil, nil])
        var headers: [String] = []
        terminal.beforeKey = { n in
            headers.append(terminal.screen.map { s in (0..<s.width).map { s[$0, 0].text }.joined() } ?? "")
            if n == 0 {
                let importer = try! StoreImporter(StoreConfiguration(path: path))
                for i in 0..<5_000 { try! importer.add(Fixtures.request(target: "/b/\(i)", receivedAt: second.adding(microseconds: Int64(i)))) }
                try! importer.finish()
            }
            if n == 1 { clock.now = second.adding(microseconds: 1_200_000) }  // the burst's second is over; no full count since
        }
        try runtime(terminal, path: path, clock: clock).run()
        XCTAssertTrue(headers[1].contains(" 5,000 req "), headers[1])
        XCTAssertTrue(headers[2].contains(" 5000/s"), headers[2])
    }

    /// The header's rate counts whole seconds, and falls to 0/s once they pass without a request.
    func testTheRateCountsWholeSecondsAndFallsToZeroWhenTheTrafficStops() throws {
        let path = dir.file("rate.sqlite")
        let second = Timestamp(microseconds: 1_800_000_000_000_000)
        let importer = try StoreImporter(StoreConfiguration(path: path))
        for i in 1...5 { try importer.add(Fixtures.request(target: "/r/\(i)", receivedAt: second.adding(microseconds: Int64(i) * 1_000))) }
        try importer.finish()
        let clock = TestClock(second.adding(microseconds: 500_000))  // half way through the second they came in
        let terminal = ScriptedTerminal(width: 100, height: 20, keys: [nil, nil, nil, nil])
        var headers: [String] = []
        terminal.beforeKey = { n in
            headers.append(terminal.screen.map { s in (0..<s.width).map { s[$0, 0].text }.joined() } ?? "")
            if n == 1 { clock.now = second.adding(microseconds: 1_200_000) }
            if n == 2 { clock.now = second.adding(microseconds: 2_200_000) }
        }
        try runtime(terminal, path: path, clock: clock).run()
        XCTAssertEqual(headers.count, 5)
        XCTAssertTrue(headers[1].contains("5 req") && headers[1].contains(" 0/s "), "the second under way is not a rate yet: \(headers[1])")
        XCTAssertTrue(headers[2].contains(" 5/s "), "the second that ended: \(headers[2])")
        XCTAssertTrue(headers[3].contains(" 0/s "), "a second with no request: \(headers[3])")
    }
}
