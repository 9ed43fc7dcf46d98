import Foundation
import HooktopTesting
import XCTest

/// The built binary, run as a user runs it.
final class CLITests: XCTestCase {
    private var dir: TempDirectory!
    private var db: String { dir.file("state/hooktop.sqlite") }

    override func setUp() { dir = TempDirectory("cli") }

    private func serve(_ extra: [String] = []) throws -> RunningDaemon {
        try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"] + extra)
    }

    private func jsonLines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    func testCurlThenListAndShowWhileTheDaemonRuns() throws {
        let daemon = try serve()
        XCTAssertEqual(try curl(["-H", "X-Case: A", "-H", "x-case: b", "--data-binary", #"{"id":"evt_1"}"#,
                                 "http://127.0.0.1:\(daemon.port)/stripe/events?x=1"]), #"{"ok":true}"#)
        XCTAssertEqual(try curl(["http://127.0.0.1:\(daemon.port)/second"]), #"{"ok":true}"#)

        let list = try HooktopBinary.run(["list", "--db", db, "--json"])
        XCTAssertEqual(list.status, 0, list.stderr)
        let rows = try jsonLines(list.stdout)
        XCTAssertEqual(rows.map { $0["target"] as? String }, ["/second", "/stripe/events?x=1"])
        XCTAssertNil(rows[0]["body_base64"], "list leaves bodies out unless --full")

        let table = try HooktopBinary.run(["list", "--db", db, "--limit", "1"])
        XCTAssertEqual(table.stdout.split(separator: "\n").count, 2)
        XCTAssertTrue(table.stdout.contains("/second"))

        let id = try XCTUnwrap(rows[1]["id"] as? Int)
        let show = try HooktopBinary.run(["show", String(id), "--db", db, "--json"])
        XCTAssertEqual(show.status, 0, show.stderr)
        let object = try XCTUnwrap(try jsonLines(show.stdout).first)
        XCTAssertEqual(object["body_base64"] as? String, Data(#"{"id":"evt_1"}"#.utf8).base64EncodedString())
        XCTAssertEqual(object["path"] as? String, "/stripe/events")
        XCTAssertEqual(object["query"] as? String, "x=1")
        let headers = try XCTUnwrap(object["headers"] as? [[String]])
        XCTAssertEqual(headers.filter { $0[0].lowercased() == "x-case" }, [["X-Case", "A"], ["x-case", "b"]])
        XCTAssertEqual((object["signature"] as? [String: Any])?["status"] as? String, "none")
        XCTAssertEqual(object["deliveries"] as? [String], [])
        XCTAssertEqual(object["delivery_state"] as? String, "none")

        let readable = try HooktopBinary.run(["show", String(id), "--db", db])
        XCTAssertTrue(readable.stdout.contains("POST /stripe/events?x=1"))
        XCTAssertTrue(readable.stdout.contains(#"{"id":"evt_1"}"#))

        XCTAssertEqual(daemon.stop(), 0, "SIGTERM is a clean exit")
        XCTAssertTrue(daemon.stderr.contains("stored=2"), daemon.stderr)
    }

    func testEveryAcknowledgedRequestSurvivesKill9() throws {
        let daemon = try serve()
        for i in 0..<100 {
            let client = try RawHTTPClient(port: daemon.port)
            try client.send("POST /k/\(i) HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
            XCTAssertEqual(try client.readResponse().status, 200)
        }
        daemon.stop(signal: SIGKILL)
        let list = try HooktopBinary.run(["list", "--db", db, "--limit", "0", "--json"])
        XCTAssertEqual(list.status, 0, list.stderr)
        XCTAssertEqual(Set(try jsonLines(list.stdout).compactMap { $0["target"] as? String }),
                       Set((0..<100).map { "/k/\($0)" }))
    }

    func testHostilePayloadCannotReachTheTerminal() throws {
        let daemon = try serve()
        let client = try RawHTTPClient(port: daemon.port)
        let body = "\u{1b}]0;pwned\u{07}\u{1b}[2Jhi"
        try client.send("POST /evil HTTP/1.1\r\nHost: x\r\nX-Evil: red\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        XCTAssertEqual(try client.readResponse().status, 200)
        for args in [["list"], ["show", "1"]] {
            let out = try HooktopBinary.run(args + ["--db", db]).stdout
            XCTAssertFalse(out.contains("\u{1b}"), "raw ESC reached stdout for \(args)")
        }
        XCTAssertTrue(try HooktopBinary.run(["show", "1", "--db", db]).stdout.contains("\\x1b]0;pwned\\x07"))
    }

    func testPruneKeepAndOlderThan() throws {
        let daemon = try serve()
        for i in 0..<5 { _ = try curl(["http://127.0.0.1:\(daemon.port)/p/\(i)"]) }
        let kept = try HooktopBinary.run(["prune", "--db", db, "--keep", "2"])
        XCTAssertEqual(kept.stdout, "removed 3 requests\n")
        let aged = try HooktopBinary.run(["prune", "--db", db, "--older-than", "1h"])
        XCTAssertEqual(aged.stdout, "removed 0 requests\n")
        XCTAssertEqual(try HooktopBinary.run(["list", "--db", db, "--json"]).stdout.split(separator: "\n").count, 2)
        let none = try HooktopBinary.run(["prune", "--db", db])
        XCTAssertNotEqual(none.status, 0)
        XCTAssertTrue(none.stderr.contains("--older-than"), none.stderr)
    }

    /// kill -9 while eight clients are sending: every request that got its
    /// 200 is there after a restart, and the database passes integrity_check.
    func testKill9UnderConcurrentLoadLosesNothingAcknowledged() throws {
        let daemon = try serve()
        let port = daemon.port
        final class Acked: @unchecked Sendable {
            let lock = NSLock()
            var targets = Set<String>()
            func add(_ t: String) { lock.withLock { _ = targets.insert(t) } }
            var all: Set<String> { lock.withLock { targets } }
        }
        let acked = Acked()
        let group = DispatchGroup()
        for t in 0..<8 {
            DispatchQueue.global().async(group: group) {
                guard let client = try? RawHTTPClient(port: port, timeoutSeconds: 5) else { return }
                for i in 0..<2_000 {
                    let target = "/load/\(t)/\(i)"
                    guard (try? client.send("POST \(target) HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")) != nil,
                          let response = try? client.readResponse() else { return }
                    if response.status == 200 { acked.add(target) }
                }
            }
        }
        // Kill once a good number are in, with every client still sending.
        for _ in 0..<200 where acked.all.count < 1_000 { usleep(10_000) }
        daemon.stop(signal: SIGKILL)
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success, "the clients finish once the daemon is gone")
        let before = acked.all
        XCTAssertGreaterThan(before.count, 100)

        if !StoreUnderTest.isPostgres {  // the file is whole (PostgreSQL's own recovery is the server's)
            XCTAssertEqual(try HooktopBinary.spawn("/usr/bin/sqlite3", [db, "PRAGMA integrity_check;"]).stdout, "ok\n")
        }

        let restarted = try serve()
        XCTAssertEqual(restarted.stop(), 0)
        let list = try HooktopBinary.run(["list", "--db", db, "--limit", "0", "--json"])
        let stored = Set(try jsonLines(list.stdout).compactMap { $0["target"] as? String })
        XCTAssertTrue(before.isSubset(of: stored), "\(before.subtracting(stored).count) acknowledged requests are missing")
    }

    /// A request the daemon could not read whole is in the list, marked, and `show` says why.
    func testBrokenRequestsAreListedAndExplained() throws {
        let daemon = try serve()
        let client = try RawHTTPClient(port: daemon.port)
        try client.send("POST /broken HTTP/1.1\r\nHost: h\r\nBad Header: x\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 400)
        var list = ""
        for _ in 0..<50 where !list.contains("/broken") {
            list = try HooktopBinary.run(["list", "--db", db]).stdout
            usleep(50_000)
        }
        XCTAssertTrue(list.contains("ERR  /broken"), list)
        let show = try HooktopBinary.run(["show", "1", "--db", db]).stdout
        XCTAssertTrue(show.contains("error      the request head was refused: a header line is not 'Name: value'"), show)
        let json = try HooktopBinary.run(["show", "1", "--db", db, "--json"]).stdout
        XCTAssertTrue(json.contains(#""error":"the request head was refused"#), json)
    }

    /// The everyday paths of the dashboard issue: replay --to checked before
    /// anything is sent, import twice adds nothing, failed commands leave no
    /// empty database, proxy mode refuses [[respond]] rules.
    func testCommandsThatMustNotLeaveTraces() throws {
        try XCTSkipIf(StoreUnderTest.isPostgres, "about files a SQLite store must not leave behind")
        let daemon = try serve()
        _ = try curl(["-d", "x", "http://127.0.0.1:\(daemon.port)/hook?keep=1"])
        for bad in ["localhost:3000", "http://", "ftp://h/x", "http://h:99999/x", "not a url"] {
            let r = try HooktopBinary.run(["replay", "1", "--db", db, "--to", bad])
            XCTAssertNotEqual(r.status, 0, bad)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("--to must be an http:// or https:// URL"), r.stderr)
        }
        let shown = try HooktopBinary.run(["show", "1", "--db", db, "--json"]).stdout
        XCTAssertTrue(shown.contains(#""deliveries":[]"#), "a refused --to records no attempt: \(shown)")

        let nd = dir.file("x.ndjson")
        XCTAssertEqual(try HooktopBinary.run(["export", "--db", db, "--format", "ndjson", "-o", nd]).status, 0)
        let other = dir.file("other.sqlite")
        XCTAssertEqual(try HooktopBinary.run(["import", "--db", other, nd]).stdout, "imported 1 request\n")
        XCTAssertEqual(try HooktopBinary.run(["import", "--db", other, nd]).stdout, "imported 0 requests; 1 already in the database\n")
        XCTAssertEqual(try jsonLines(try HooktopBinary.run(["list", "--db", other, "--json"]).stdout).count, 1)

        let never = dir.file("never/created.sqlite")
        let busy = try HooktopBinary.run(["serve", "--db", never, "--listen", "127.0.0.1:\(daemon.port)"])
        XCTAssertNotEqual(busy.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: never), "a serve on a busy port created a database")
        let garbage = dir.file("garbage.har")
        try Data("{\"log\": 1}".utf8).write(to: URL(fileURLWithPath: garbage))
        XCTAssertNotEqual(try HooktopBinary.run(["import", "--db", never, garbage]).status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: never), "a failed import created a database")
        let nowhere = dir.file("nowhere/tui.sqlite")
        for flags in [[], ["--read-only"]] {
            let tui = try HooktopBinary.run(["tui", "--db", nowhere] + flags)
            XCTAssertNotEqual(tui.status, 0)
            XCTAssertTrue(tui.stderr.contains("no database at \(nowhere)"), tui.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.file("nowhere")), "tui on a path that does not exist created its folder")
        }

        let config = dir.file("proxy.toml")
        try Data("[server]\nmode = \"proxy\"\n[[respond]]\nmatch = \"/flaky/*\"\nstatus = 503\n".utf8).write(to: URL(fileURLWithPath: config))
        let proxy = try HooktopBinary.run(["serve", "--db", never, "--config", config, "--listen", "127.0.0.1:0", "--forward-to", "http://127.0.0.1:9"])
        XCTAssertNotEqual(proxy.status, 0)
        XCTAssertTrue(proxy.stderr.contains("does not apply in proxy mode"), proxy.stderr)
    }

    /// `serve` at the default level: a line per request and per attempt,
    /// with no body and no secret in them.
    func testServeLogsEachRequestAndAttempt() throws {
        let config = dir.file("log.toml")
        try Data("[[source]]\nname = \"gh\"\nmatch = \"/gh/*\"\nscheme = \"github\"\nsecret = \"topsecret-value\"\n".utf8)
            .write(to: URL(fileURLWithPath: config))
        let daemon = try serve(["--config", config, "--forward-to", "http://127.0.0.1:9/app"])
        _ = try curl(["-H", "X-Hub-Signature-256: sha256=00", "-d", "body-that-must-not-be-logged", "http://127.0.0.1:\(daemon.port)/gh/push?x=1"])
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !daemon.stderr.contains("msg=attempt") { usleep(50_000) }
        XCTAssertEqual(daemon.stop(), 0)
        let log = daemon.stderr
        // key=value, one event per line (logfmt), values quoted where they need it.
        XCTAssertTrue(log.contains("level=info msg=request id=1 method=POST sig=invalid source=gh status=200 target=\"/gh/push?x=1\"\n"), log)
        XCTAssertTrue(log.contains("level=info msg=attempt error=\"connection refused\" id=1 kind=forward method=POST ms="), log)
        XCTAssertTrue(log.contains(" state=retrying status=- url=\"http://127.0.0.1:9/app/gh/push?x=1\"\n"), log)
        for line in log.split(separator: "\n") where !line.hasPrefix("hooktop: ") {
            XCTAssertTrue(line.range(of: #"^ts=\d{4}-\d\d-\d\dT[\d:.]+Z level=\w+ msg="#, options: .regularExpression) != nil, String(line))
        }
        XCTAssertFalse(log.contains("body-that-must-not-be-logged"))
        XCTAssertFalse(log.contains("topsecret-value"))
    }

    /// Reading the database needs no secret: a config whose secret_env is not
    /// set in this shell still lets list, show and export run; serve refuses it.
    func testReadOnlyCommandsWorkWithoutTheSecretInTheEnvironment() throws {
        let daemon = try serve()
        _ = try curl(["-d", "x", "http://127.0.0.1:\(daemon.port)/stripe/a"])
        let config = dir.file("env.toml")
        try Data("[[source]]\nname = \"stripe\"\nmatch = \"/stripe/*\"\nsecret_env = \"HOOKTOP_TEST_UNSET_SECRET\"\n".utf8)
            .write(to: URL(fileURLWithPath: config))
        for args in [["list"], ["show", "1"], ["export", "--format", "ndjson"]] {
            let r = try HooktopBinary.run(args + ["--db", db, "--config", config])
            XCTAssertEqual(r.status, 0, "\(args): \(r.stderr)")
        }
        let refused = try HooktopBinary.run(["serve", "--db", dir.file("s.sqlite"), "--config", config, "--listen", "127.0.0.1:0"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("HOOKTOP_TEST_UNSET_SECRET (secret_env) is not set"), refused.stderr)
    }

    /// Numbers at the extremes on the command line: a one-line error or a
    /// normal answer, never a trap.
    func testExtremeNumbersOnTheCommandLine() throws {
        let daemon = try serve()
        _ = try curl(["http://127.0.0.1:\(daemon.port)/"])
        let refused: [[String]] = [
            ["list", "--db", db, "--limit", "99999999999999999999"],
            ["list", "--db", db, "--limit", "-9223372036854775808"],
            ["list", "--db", db, "--filter", "~t >8000000w8000000w"],
            ["list", "--db", db, "--filter", "~c 99999999999999999999"],
            ["prune", "--db", db, "--older-than", "8000000w8000000w"],
            ["prune", "--db", db, "--older-than", "1e308s"],
            ["prune", "--db", db, "--keep", "99999999999999999999"],
            ["serve", "--db", db, "--listen", "127.0.0.1:0", "--max-body", "99999999999GiB"],
            ["serve", "--db", db, "--listen", "127.0.0.1:0", "--event-loops", "9223372036854775807"],
            ["serve", "--db", db, "--listen", "127.0.0.1:99999999999999999999"],
            ["show", "--db", db, "9223372036854775807"],
            ["verify", "--scheme", "stripe", "--secret", "s", "--header", "Stripe-Signature: t=1,v1=00", "--now", "-9223372036854775808"],
            ["verify", "--scheme", "stripe", "--secret", "s", "--header", "Stripe-Signature: t=-9223372036854775808,v1=00", "--now", "9223372036854775807"],
            ["verify", "--scheme", "stripe", "--secret", "s", "--header", "Stripe-Signature: t=1,v1=00", "--tolerance", "8000000w8000000w"],
        ]
        for args in refused {
            let result = try HooktopBinary.run(args)
            XCTAssertNotEqual(result.status, 0, "\(args)")
            XCTAssertFalse(result.stderr.contains("Fatal error") || result.stderr.contains("Crash"), "\(args): \(result.stderr)")
            XCTAssertLessThanOrEqual(result.stderr.split(separator: "\n").count, 2, "\(args): \(result.stderr)")
        }
        for args in [["list", "--db", db, "--limit", "9223372036854775807"], ["prune", "--db", db, "--keep", "9223372036854775807"],
                     ["prune", "--db", db, "--older-than", "36500d"]] {
            let result = try HooktopBinary.run(args)
            XCTAssertEqual(result.status, 0, "\(args): \(result.stderr)")
        }
    }

    func testErrorsAreOneLineAndNonZero() throws {
        let daemon = try serve()
        _ = try curl(["http://127.0.0.1:\(daemon.port)/"])
        var cases: [([String], String)] = [
            (["show", "999", "--db", db], "hooktop: no request with id 999"),
            (["list", "--bogus"], "hooktop: Unknown option '--bogus'"),
            (["show", "abc", "--db", db], "hooktop: 'abc' is not a request id"),
            (["show", "-1", "--db", db], "hooktop: '-1' is not a request id: ids are whole numbers from 1"),
            (["replay", "-5", "--db", db], "hooktop: '-5' is not a request id"),
            (["serve", "--listen", "nonsense", "--db", db], "hooktop:"),
            (["serve", "--listen", "127.0.0.1:\(daemon.port)", "--db", db], "already in use"),
            (["serve", "--listen", "127.0.0.1:0", "--db", db, "--forward-to", "localhost:3000"], "--forward-to must be an http:// or https:// URL"),
        ]
        // A file that is not there (a PostgreSQL store is the server: it is there when it answers).
        if !StoreUnderTest.isPostgres {
            cases.append((["list", "--db", dir.file("absent.sqlite")], "hooktop: no database at \(dir.file("absent.sqlite"))"))
        }
        for (args, expected) in cases {
            let result = try HooktopBinary.run(args)
            XCTAssertNotEqual(result.status, 0, "\(args)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "\(args): \(result.stderr)")
            XCTAssertTrue(result.stderr.contains(expected), "\(args): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains("Fatal error"), "\(args)")
        }
    }

    func testDefaultDatabasePathFollowsXDGAndHOOKTOP_DB() throws {
        let state = dir.file("xdg")
        let viaXDG = try HooktopBinary.run(["list"], environment: ["XDG_STATE_HOME": state, "HOOKTOP_DB": ""])
        XCTAssertTrue(viaXDG.stderr.contains("no database at \(state)/hooktop/hooktop.sqlite"), viaXDG.stderr)
        let viaEnv = try HooktopBinary.run(["list"], environment: ["HOOKTOP_DB": dir.file("env.sqlite")])
        XCTAssertTrue(viaEnv.stderr.contains("no database at \(dir.file("env.sqlite"))"), viaEnv.stderr)
        let viaHome = try HooktopBinary.run(["list"], environment: ["HOME": dir.path, "XDG_STATE_HOME": "", "HOOKTOP_DB": ""])
        XCTAssertTrue(viaHome.stderr.contains("\(dir.path)/.local/state/hooktop/hooktop.sqlite"), viaHome.stderr)
    }

    func testNoArgumentsRunsTheDaemonWithLiveLines() throws {
        let daemon = try RunningDaemon(["--listen", "127.0.0.1:0"], environment: ["HOOKTOP_DB": db])
        _ = try curl(["-X", "DELETE", "http://127.0.0.1:\(daemon.port)/live/one"])
        let deadline = Date().addingTimeInterval(5)
        while !daemon.stdout.contains("/live/one"), Date() < deadline { usleep(20_000) }
        XCTAssertTrue(daemon.stdout.contains("#1  DELETE /live/one  200"), daemon.stdout)
        XCTAssertEqual(daemon.stop(signal: SIGINT), 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: db))
    }
}
