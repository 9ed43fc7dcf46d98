import Foundation
import HooktopTesting
import Synchronization
import XCTest

/// hooktop run as a daemon on a server: the access token.
final class OperationsTests: XCTestCase {
    private var dir: TempDirectory!
    private var db: String { dir.file("h.sqlite") }

    override func setUp() { dir = TempDirectory("ops") }

    private func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    func testTheAccessTokenIsRequiredComparedAndNeverStoredOrForwarded() throws {
        let token = "tok-3f9a2c71d4e8"
        let target = try TestTarget { _, _ in .respond(status: 200) }
        defer { target.stop() }
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0", "--require-token",
                                        "--forward-to", "http://127.0.0.1:\(target.port)/app"],
                                       environment: ["HOOKTOP_TOKEN": token])
        let base = "http://127.0.0.1:\(daemon.port)"
        func status(_ args: [String]) throws -> String { try curl(["-o", "/dev/null", "-w", "%{http_code}"] + args) }
        XCTAssertEqual(try status(["-d", "no token", "\(base)/hook"]), "401")
        XCTAssertEqual(try status(["-H", "X-Hooktop-Token: tok-3f9a2c71d4e9", "-d", "wrong", "\(base)/hook"]), "401")
        XCTAssertEqual(try status(["-d", "wrong path", "\(base)/t/nope/hook"]), "401")
        XCTAssertEqual(try status(["-H", "X-Hooktop-Token: \(token)", "-d", "by header", "\(base)/hook?a=1"]), "200")
        XCTAssertEqual(try status(["-d", "by path", "\(base)/t/\(token)/stripe/events?b=2"]), "200")
        XCTAssertTrue(target.waitFor(2))

        let stored = try lines(try HooktopBinary.run(["list", "--db", db, "--json", "--full"]).stdout)
        XCTAssertEqual(stored.count, 2, "refused requests are not stored")
        XCTAssertEqual(stored.map { $0["target"] as? String }, ["/stripe/events?b=2", "/hook?a=1"])
        let everything = try HooktopBinary.run(["export", "--db", db, "--format", "ndjson"]).stdout
        XCTAssertFalse(everything.contains(token), "the token is in no stored request")
        XCTAssertEqual(target.received.map(\.uri).sorted(), ["/app/hook?a=1", "/app/stripe/events?b=2"])
        XCTAssertFalse(target.received.contains { r in r.uri.contains(token) || r.headers.contains { $0.1 == token } },
                       "the target never sees the token")
        XCTAssertEqual(daemon.stop(signal: SIGINT), 0)
        XCTAssertTrue(daemon.stderr.contains("refused_without_token=3") || daemon.stderr.contains("refused_without_token: 3"), daemon.stderr)

        let missing = try HooktopBinary.run(["serve", "--db", db, "--listen", "127.0.0.1:0", "--require-token"], environment: ["HOOKTOP_TOKEN": ""])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("--require-token: set the token in the environment variable HOOKTOP_TOKEN"), missing.stderr)
    }

    /// SIGHUP takes a new config without dropping a connection; a broken one is refused and the old stays.
    func testSIGHUPReloadsTheConfigAndKeepsTheOldOneWhenTheNewIsBroken() throws {
        let config = dir.file("config.toml")
        func write(_ text: String) throws { try text.write(toFile: config, atomically: true, encoding: .utf8) }
        try write("[[respond]]\nmatch = \"/flaky/*\"\nstatus = 503\n")
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0", "--config", config])
        // A keep-alive connection open across the reloads.
        let client = try RawHTTPClient(port: daemon.port)
        func ask(_ client: RawHTTPClient) throws -> Int {
            try client.send("POST /flaky/x HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx")
            return try client.readResponse().status
        }
        XCTAssertEqual(try ask(client), 503)

        func hangUp(until line: String) {
            daemon.signal(SIGHUP)
            for _ in 0..<100 where !daemon.stderr.contains(line) { usleep(50_000) }
        }
        try write("[[respond]]\nmatch = \"/flaky/*\"\nstatus = 202\n")
        hangUp(until: "msg=\"config reloaded\"")
        XCTAssertEqual(try ask(client), 202, "the same connection gets the new rule")

        try write("[[respond]]\nmatch = \"/flaky/*\"\nstatus = \"soon\"\n")
        hangUp(until: "msg=\"config not reloaded; the one in force stays\"")
        XCTAssertTrue(daemon.stderr.contains("config.toml:3"), daemon.stderr)
        XCTAssertEqual(try ask(client), 202, "a broken file changes nothing")
        XCTAssertEqual(daemon.stop(), 0)
    }

    /// The unit file shipped in contrib/ is what systemd accepts.
    func testTheSystemdUnitVerifies() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else { throw XCTSkip("systemd-analyze is not installed") }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../contrib/hooktop.service")
        let unit = try String(contentsOf: source, encoding: .utf8)
        XCTAssertTrue(unit.contains("ProtectSystem=strict") && unit.contains("NoNewPrivileges=yes") && unit.contains("StateDirectory=hooktop"))
        let copy = dir.file("hooktop.service")
        try unit.replacingOccurrences(of: "/usr/local/bin/hooktop", with: HooktopBinary.path).write(toFile: copy, atomically: true, encoding: .utf8)
        let verify = try HooktopBinary.spawn("/usr/bin/systemd-analyze", ["verify", copy])
        XCTAssertEqual(verify.status, 0, verify.stdout + verify.stderr)
        XCTAssertEqual(verify.stderr, "", "systemd has nothing to say about it")
    }

    /// [store] retention, max_requests and max_size are applied while the daemon runs; pending deliveries stay.
    func testRetentionPrunesWhileRunningAndKeepsPendingDeliveries() throws {
        let day: Int64 = 86_400_000_000
        let now = Int64(Date().timeIntervalSince1970 * 1_000_000)
        func iso(_ micros: Int64) -> String {
            let f = ISO8601DateFormatter()
            f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return f.string(from: Date(timeIntervalSince1970: Double(micros) / 1_000_000))
        }
        var rows: [String] = []
        for i in 0..<30 {  // a month old
            let state = i == 3 ? "pending" : "none"
            rows.append(#"{"method":"POST","target":"/old/\#(i)","received_at":"\#(iso(now - 30 * day + Int64(i)))","delivery_state":"\#(state)","body_base64":"\#(Data(repeating: 0x61, count: 1024).base64EncodedString())"}"#)
        }
        for i in 0..<6 { rows.append(#"{"method":"POST","target":"/new/\#(i)","received_at":"\#(iso(now - 60_000_000 + Int64(i)))"}"#) }
        let file = dir.file("in.ndjson")
        try rows.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try HooktopBinary.run(["import", "--db", db, file]).status, 0)

        let config = dir.file("config.toml")
        try "[store]\nretention = \"7d\"\nmax_requests = 4\n".write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0", "--config", config])
        for _ in 0..<100 where !daemon.stderr.contains("msg=retention") { usleep(50_000) }
        XCTAssertTrue(daemon.stderr.contains("msg=retention removed=31"), daemon.stderr)
        XCTAssertEqual(daemon.stop(), 0)
        let kept = try lines(try HooktopBinary.run(["list", "--db", db, "--json", "--limit", "0"]).stdout).map { $0["target"] as? String ?? "" }
        XCTAssertEqual(kept, ["/new/5", "/new/4", "/new/3", "/new/2", "/old/3"], "the newest four, and the pending delivery")

        // max_size: the oldest go until the file's live pages fit.
        let big = dir.file("big.ndjson")
        // Bytes that do not compress (PostgreSQL would store 2 KiB of one letter in a few bytes).
        var seed: UInt64 = 42
        let payload = Data((0..<2048).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: seed >> 56)
        }).base64EncodedString()
        var bigRows: [String] = []
        for i in 0..<300 {
            let at = iso(now - 1000 + Int64(i))
            bigRows.append(#"{"method":"POST","target":"/b/\#(i)","received_at":"\#(at)","body_base64":"\#(payload)"}"#)
        }
        try bigRows.joined(separator: "\n").write(toFile: big, atomically: true, encoding: .utf8)
        let sized = dir.file("sized.sqlite")
        XCTAssertEqual(try HooktopBinary.run(["import", "--db", sized, big]).status, 0)
        let before = StoreUnderTest.isPostgres ? 0 : try FileManager.default.attributesOfItem(atPath: sized)[.size] as? Int ?? 0
        try "[store]\nmax_size = \"200KiB\"\n".write(toFile: config, atomically: true, encoding: .utf8)
        let second = try RunningDaemon(["serve", "--db", sized, "--listen", "127.0.0.1:0", "--config", config])
        for _ in 0..<100 where !second.stderr.contains("msg=retention") { usleep(50_000) }
        XCTAssertEqual(second.stop(), 0)
        let left = try lines(try HooktopBinary.run(["list", "--db", sized, "--json", "--limit", "0"]).stdout)
        XCTAssertLessThan(left.count, 300)
        XCTAssertGreaterThan(left.count, 0)
        XCTAssertEqual(left.first?["target"] as? String, "/b/299", "the newest stay")
        if !StoreUnderTest.isPostgres {  // PostgreSQL's autovacuum reuses the space instead
            let after = try FileManager.default.attributesOfItem(atPath: sized)[.size] as? Int ?? 0
            XCTAssertLessThan(after, before / 2, "space is given back to the file system: \(before) -> \(after) bytes")
        }
    }

    /// `hooktop prune` beside a running daemon, as a cron job runs it: the
    /// daemon keeps answering at once (one transaction for every old request
    /// held its commits for the whole prune, and after 5 s its senders got
    /// 503), what it stored meanwhile stays, and the file gets its space back.
    func testPruneBesideARunningDaemonNeverHoldsItsCapturesUp() throws {
        try XCTSkipIf(StoreUnderTest.isPostgres, "PostgreSQL: a DELETE does not lock inserts out")
        let first = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        let seed = try RawHTTPClient(port: first.port)
        try seed.send("POST /seed HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\n\r\n" + String(repeating: "s", count: 1024))
        XCTAssertEqual(try seed.readResponse().status, 200)
        seed.close()
        XCTAssertEqual(first.stop(), 0)
        // 120,000 old requests: the daemon's one row, copied by SQLite itself.
        let copy = try HooktopBinary.spawn("/usr/bin/sqlite3", [db, """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120000)
            INSERT INTO requests (received_at, remote, method, target, version, headers, body, body_size, body_truncated,
                                  sig_status, response_status, response_headers, response_body, response_duration_us, delivery_state)
            SELECT received_at - i, remote, method, target, version, headers, body, body_size, body_truncated,
                   sig_status, response_status, response_headers, response_body, response_duration_us, delivery_state FROM requests, n;
            """])
        XCTAssertEqual(copy.status, 0, copy.stderr)
        let before = try FileManager.default.attributesOfItem(atPath: db)[.size] as? Int ?? 0

        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        defer { _ = daemon.stop() }
        nonisolated(unsafe) let client = try RawHTTPClient(port: daemon.port, timeoutSeconds: 30)  // used by the sender alone until it finished
        let pruning = Mutex(true)
        nonisolated(unsafe) var statuses: [Int] = [], worst = 0.0
        let finished = DispatchSemaphore(value: 0)
        let sender = Thread {
            defer { finished.signal() }
            while pruning.withLock({ $0 }) {
                let started = Date()
                do {
                    try client.send("POST /during HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
                    statuses.append(try client.readResponse().status)
                } catch {
                    statuses.append(0)
                    return
                }
                worst = max(worst, Date().timeIntervalSince(started))
            }
        }
        sender.start()
        let pruned = try HooktopBinary.run(["prune", "--db", db, "--keep", "0"], timeoutSeconds: 120)
        pruning.withLock { $0 = false }
        XCTAssertEqual(finished.wait(timeout: .now() + 30), .success)
        client.close()
        XCTAssertEqual(pruned.status, 0, pruned.stderr)
        XCTAssertEqual(pruned.stdout, "removed 120001 requests\n")
        XCTAssertGreaterThan(statuses.count, 3, "requests were sent while it pruned")
        XCTAssertEqual(Set(statuses), [200], "every request sent during the prune was stored and answered")
        XCTAssertLessThan(worst, 1.0, "the daemon's captures waited \(worst) s behind the prune")
        let kept = try HooktopBinary.run(["list", "--db", db, "--json", "--limit", "0"]).stdout.split(separator: "\n")
        XCTAssertEqual(kept.count, statuses.count, "what the daemon stored during the prune stays")
        // The file is cut by a checkpoint that copies the whole WAL back: the pruner's last one,
        // unless the daemon committed meanwhile; then the daemon's own, at the latest when it stops.
        XCTAssertEqual(daemon.stop(), 0)
        let after = try FileManager.default.attributesOfItem(atPath: db)[.size] as? Int ?? 0
        XCTAssertLessThan(after, before / 10, "space is given back to the file system: \(before) -> \(after) bytes")
    }

    /// Shell completions from swift-argument-parser, with the theme and scheme names.
    func testShellCompletionsOfferThemesAndSchemes() throws {
        for shell in ["bash", "zsh", "fish"] {
            let script = try HooktopBinary.run(["--generate-completion-script", shell])
            XCTAssertEqual(script.status, 0, script.stderr)
            XCTAssertTrue(script.stdout.contains("solarized-dark") && script.stdout.contains("high-contrast"), "\(shell): themes")
            XCTAssertTrue(script.stdout.contains("paypal-ipn") && script.stdout.contains("standard"), "\(shell): schemes")
            XCTAssertTrue(script.stdout.contains("require-token") && script.stdout.contains("expect"), "\(shell): flags and commands")
        }
    }

    /// --metrics-listen: Prometheus text from swift-prometheus, with what the daemon counts.
    func testMetricsAreServedInPrometheusText() throws {
        let target = try TestTarget { n, _ in .respond(status: n == 0 ? 500 : 200) }
        defer { target.stop() }
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0",
                                        "--require-token", "--forward-to", "http://127.0.0.1:\(target.port)"],
                                       environment: ["HOOKTOP_TOKEN": "t0k"])
        let line = daemon.stderr
        let port = try XCTUnwrap(line.range(of: #"metrics http://127\.0\.0\.1:(\d+)/metrics"#, options: .regularExpression)
            .map { String(line[$0]).split(separator: ":").last!.split(separator: "/").first! }, line)
        let base = "http://127.0.0.1:\(daemon.port)"
        _ = try curl(["-H", "X-Hooktop-Token: t0k", "-H", "Stripe-Signature: t=1,v1=00", "-d", #"{"id":"evt_1"}"#, "\(base)/stripe"])
        _ = try curl(["-H", "X-Hooktop-Token: t0k", "-d", "x", "\(base)/plain"])
        _ = try curl(["-d", "no token", "\(base)/plain"])
        XCTAssertTrue(target.waitFor(2))
        var text = ""
        for _ in 0..<100 {
            text = try curl(["http://127.0.0.1:\(port)/metrics"])
            if text.contains("hooktop_delivery_attempts_total") && text.contains("hooktop_requests_stored_total 2") { break }
            usleep(50_000)
        }
        for expected in ["hooktop_requests_stored_total 2", #"hooktop_responses_total{status="200"} 2"#,
                         #"hooktop_signatures_total{source="",scheme="stripe",status="no_secret"} 1"#,
                         "hooktop_requests_refused_without_token_total 1", "hooktop_store_queue_depth 0",
                         "hooktop_requests_captured_total 3", #"hooktop_responses_total{status="401"} 1"#,
                         "# TYPE hooktop_batch_size histogram", "# TYPE hooktop_commit_duration histogram",
                         "hooktop_delivery_attempts_total{target=\"http://127.0.0.1:\(target.port)\",kind=\"forward\""] {
            XCTAssertTrue(text.contains(expected), "\(expected) in:\n\(text)")
        }
        XCTAssertEqual(try curl(["-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/other"]), "404")
        XCTAssertFalse(text.contains("t0k"), "no secret in the metrics")
        XCTAssertEqual(daemon.stop(), 0)
    }

    /// SIGTERM drains: the attempt under way to a slow target finishes and is recorded, then exit 0.
    func testSIGTERMLetsTheAttemptUnderWayFinishAndBeRecorded() throws {
        let target = try TestTarget { _, _ in .respond(status: 200, delaySeconds: 1.5) }
        defer { target.stop() }
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0", "--forward-to", "http://127.0.0.1:\(target.port)"])
        XCTAssertEqual(try curl(["-d", "x", "http://127.0.0.1:\(daemon.port)/job"]), #"{"ok":true}"#)
        XCTAssertTrue(target.waitFor(1))
        XCTAssertEqual(daemon.stop(signal: SIGTERM), 0)
        let shown = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try HooktopBinary.run(["show", "1", "--db", db, "--json"]).stdout.utf8))
                                  as? [String: Any])
        XCTAssertEqual(shown["delivery_state"] as? String, "delivered")
        XCTAssertEqual((shown["deliveries"] as? [[String: Any]])?.first?["status"] as? Int, 200)
    }

    /// A signal sent the moment the listening line is read is not lost: a
    /// SIGHUP then a SIGTERM, or a SIGINT, stop the daemon cleanly (exit 0)
    /// every time. The handlers used to be registered after the line, by
    /// dispatch sources that register later still; a SIGTERM in between was
    /// ignored and the daemon ran on (CI: killed after 30 s, exit 137).
    func testSignalsSentAsSoonAsItListensAreNotLost() throws {
        for round in 0..<30 {
            let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
            if round.isMultiple(of: 2) { daemon.signal(SIGHUP) }
            XCTAssertEqual(daemon.stop(signal: round.isMultiple(of: 3) ? SIGINT : SIGTERM, timeoutSeconds: 10), 0, "round \(round)")
        }
    }
}
