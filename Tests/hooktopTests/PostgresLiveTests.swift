import Foundation
import HooktopTesting
import XCTest

/// Two `hooktop serve --store postgres://…` daemons on one database, driven
/// with curl and read back with the CLI: the issue's "done when".
final class PostgresLiveTests: XCTestCase {
    private var dir: TempDirectory!
    private var url = ""

    override func setUpWithError() throws {
        try XCTSkipIf(StoreUnderTest.isPostgres, "runs on PostgreSQL in the main pass (it uses SQLite files on purpose too)")
        dir = TempDirectory("pg-live")
        url = try makePostgresDatabase(for: self)
    }

    private func config(_ schedule: [String]) throws -> String {
        let path = dir.file("config.toml")
        try "[delivery]\nschedule = [\(schedule.map { "\"\($0)\"" }.joined(separator: ", "))]\ntimeout = \"2s\"\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func serve(node: String, config: String, extra: [String] = []) throws -> RunningDaemon {
        try RunningDaemon(["serve", "--store", url, "--node", node, "--listen", "127.0.0.1:0", "--config", config] + extra)
    }

    private func list(_ filter: String? = nil) throws -> [[String: Any]] {
        let out = try HooktopBinary.run(["list", "--store", url, "--json", "--limit", "0"] + (filter.map { ["--filter", $0] } ?? []))
        XCTAssertEqual(out.status, 0, out.stderr)
        return try out.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    private func show(_ id: Int) throws -> [String: Any] {
        let out = try HooktopBinary.run(["show", String(id), "--store", url, "--json"])
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], out.stderr)
    }

    func testTwoDaemonsOneDatabaseRetriesMadeOnceEvenWhenOneIsKilled() throws {
        let target = try TestTarget { n, _ in .respond(status: n < 3 ? 500 : 200) }
        defer { target.stop() }
        let cfg = try config(["0s", "1s", "1s", "1s", "1s"])
        let alpha = try serve(node: "alpha", config: cfg, extra: ["--forward-to", target.url + "/app"])
        let beta = try serve(node: "beta", config: cfg)
        defer { beta.stop() }

        // Both take traffic at once; the same provider delivery sent to each is one duplicate.
        for i in 0..<20 {
            let port = i % 2 == 0 ? alpha.port : beta.port
            XCTAssertEqual(try curl(["--data-binary", "n=\(i)", "-H", "X-GitHub-Delivery: d-\(i % 10)", "http://127.0.0.1:\(port)/in/\(i)"]),
                           #"{"ok":true}"#)
        }
        let all = try list()
        XCTAssertEqual(all.count, 20)
        XCTAssertEqual(Set(all.compactMap { $0["node"] as? String }), ["alpha", "beta"])
        XCTAssertEqual(try list("~dup").count, 10, "a retry caught by the other daemon is still a duplicate")

        // alpha forwards its ten; the first three attempts fail. Once every first
        // attempt is recorded (none under way), alpha dies.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, try !list("~d pending").isEmpty { usleep(50_000) }
        XCTAssertEqual(try list("~d retrying").count, 3)
        alpha.stop(signal: SIGKILL)

        // beta makes the remaining retries from the shared schedule, each once.
        var state: [String: Any] = [:]
        let until = Date().addingTimeInterval(30)
        while Date() < until {
            let pending = try list("~d retrying | ~d pending")
            if pending.isEmpty { break }
            usleep(200_000)
        }
        for row in try list("~p /in/*") where (row["node"] as? String) == "alpha" {
            state = try show(try XCTUnwrap(row["id"] as? Int))
            XCTAssertEqual(state["delivery_state"] as? String, "delivered", "\(state)")
            let attempts = try XCTUnwrap(state["deliveries"] as? [[String: Any]])
            XCTAssertEqual(attempts.map { $0["attempt"] as? Int }, Array(1...attempts.count), "numbered once each: \(attempts)")
        }
        let recorded = try list("~p /in/*").reduce(0) { n, row in
            n + ((try? show(row["id"] as? Int ?? 0)["deliveries"] as? [Any])??.count ?? 0)
        }
        XCTAssertEqual(target.received.count, recorded, "every attempt the target saw is recorded once, none made twice")
        XCTAssertGreaterThan(recorded, 10, "retries were made (by beta, after alpha died)")
    }

    /// The database becomes unreachable (here: the proxy in front of it goes
    /// away, dropping the daemon's connection and refusing new ones): senders
    /// get 503, never a 2xx for what was not stored; when it is back the
    /// daemon reconnects by itself.
    func testDaemonAnswers503WhileTheDatabaseIsUnreachableAndReconnects() throws {
        let server = try XCTUnwrap(URL(string: url.replacingOccurrences(of: "postgres://", with: "http://")))
        let proxyPort = try freePort()
        var proxy = try startProxy(listen: proxyPort, to: try XCTUnwrap(server.port))
        let viaProxy = "postgres://postgres@127.0.0.1:\(proxyPort)" + server.path
        let daemon = try RunningDaemon(["serve", "--store", viaProxy, "--node", "solo", "--listen", "127.0.0.1:0"])
        func post(_ i: Int) throws -> String {
            try curl(["-o", "/dev/null", "-w", "%{http_code}", "--data-binary", "b", "http://127.0.0.1:\(daemon.port)/ok/\(i)"])
        }
        XCTAssertEqual(try post(0), "200")
        proxy.signal(SIGTERM)
        _ = try proxy.wait()
        var codes: [Int: String] = [:]
        for i in 1...5 { codes[i] = try post(i) }
        XCTAssertEqual(codes.values.sorted(), Array(repeating: "503", count: 5), "unreachable: \(codes)")
        proxy = try startProxy(listen: proxyPort, to: try XCTUnwrap(server.port))
        for i in 6...30 {
            codes[i] = try post(i)
            if codes[i] == "200" { break }
            usleep(50_000)
        }
        XCTAssertTrue(codes.values.contains("200"), "never reconnected: \(codes)")
        for i in 31...35 { codes[i] = try post(i) }
        XCTAssertEqual((31...35).map { codes[$0] }, Array(repeating: "200", count: 5))
        let stored = Set(try list().compactMap { $0["target"] as? String })
        let acknowledged = Set(["/ok/0"] + codes.filter { $0.value == "200" }.map { "/ok/\($0.key)" })
        XCTAssertEqual(stored, acknowledged, "every 2xx is stored, nothing answered 503 is")
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertTrue(daemon.stderr.contains("cannot store requests") && daemon.stderr.contains("storing requests again"), daemon.stderr)
    }

    private func freePort() throws -> Int {
        let out = try HooktopBinary.spawn("/usr/bin/python3", ["-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        return try XCTUnwrap(Int(out.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// The proxy runs until the test lets go of it (a `Child` is killed when released).
    private func startProxy(listen: Int, to target: Int) throws -> Child {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Interop/tcp_proxy.py").path
        let p = try Child("/usr/bin/python3", ["-u", script, String(listen), String(target)])
        XCTAssertTrue(p.waitForOutput("ready", stderr: false), "the proxy did not start: \(p.stderr)")
        return p
    }

    /// Metrics read the shared store off the event loops (a PostgreSQL query
    /// waited for on a loop would stop the daemon).
    func testMetricsOnAPostgresStore() throws {
        let daemon = try RunningDaemon(["serve", "--store", url, "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"])
        let line = daemon.stderr
        let port = try XCTUnwrap(line.range(of: #"metrics http://127\.0\.0\.1:(\d+)/metrics"#, options: .regularExpression)
            .map { String(line[$0]).split(separator: ":").last!.split(separator: "/").first! }, line)
        _ = try curl(["-d", "x", "http://127.0.0.1:\(daemon.port)/m"])
        var text = ""
        for _ in 0..<50 {
            text = try curl(["http://127.0.0.1:\(port)/metrics"])
            if text.contains("hooktop_requests_stored_total 1") { break }
            usleep(50_000)
        }
        XCTAssertTrue(text.contains("hooktop_requests_stored_total 1"), text)
        XCTAssertTrue(text.contains("hooktop_deliveries_failing 0"), text)
        XCTAssertEqual(daemon.stop(), 0)
    }

    func testUnreachableDatabaseIsOneLineAndImportExportMoveACapture() throws {
        // A server that is not there: one line naming it, no password anywhere.
        let refused = try HooktopBinary.run(["list", "--store", "postgres://hook@127.0.0.1:1/none"], environment: ["PGPASSWORD": "s3cret"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("postgres://hook@127.0.0.1:1/none"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("s3cret"))
        let inURL = try HooktopBinary.run(["list", "--store", "postgres://hook:s3cret@127.0.0.1:1/none"])
        XCTAssertNotEqual(inURL.status, 0)
        XCTAssertFalse(inURL.stderr.contains("s3cret"), inURL.stderr)
        let both = try HooktopBinary.run(["list", "--store", url, "--db", dir.file("x.sqlite")])
        XCTAssertEqual(both.status, 64)
        XCTAssertTrue(both.stderr.contains("--db and --store name two different stores"), both.stderr)

        // A SQLite capture moved into PostgreSQL through NDJSON comes out the same.
        let db = dir.file("local.sqlite")
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        let body = dir.file("body.bin")
        try Data((0...255).map(UInt8.init)).write(to: URL(fileURLWithPath: body))
        for i in 0..<5 { _ = try curl(["--data-binary", "@\(body)", "-H", "X-N: \(i)", "http://127.0.0.1:\(daemon.port)/move/\(i)?q=1"]) }
        XCTAssertEqual(daemon.stop(), 0)
        let local = try HooktopBinary.run(["export", "--db", db, "--format", "ndjson", "--oldest-first", "-o", dir.file("out.ndjson")])
        XCTAssertEqual(local.status, 0, local.stderr)
        let imported = try HooktopBinary.run(["import", "--store", url, dir.file("out.ndjson")])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        XCTAssertTrue(imported.stdout.hasPrefix("imported 5 requests"), imported.stdout)
        let again = try HooktopBinary.run(["import", "--store", url, dir.file("out.ndjson")])
        XCTAssertTrue(again.stdout.contains("5 already in the database"), again.stdout)
        let fromPG = try HooktopBinary.run(["export", "--store", url, "--format", "ndjson", "--oldest-first"]).stdout
        let fromSQLite = try String(contentsOfFile: dir.file("out.ndjson"), encoding: .utf8)
        XCTAssertEqual(fromPG, fromSQLite, "the same requests, byte for byte, ids included")

        // Piped, as the issue writes it, into a second database.
        let second = try makePostgresDatabase(for: self)
        let piped = try HooktopBinary.spawn("/bin/sh", ["-c", "'\(HooktopBinary.path)' export --db '\(db)' --format ndjson --oldest-first"
            + " | '\(HooktopBinary.path)' import --store '\(second)' -"])
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertTrue(piped.stdout.hasPrefix("imported 5 requests"), piped.stdout)
        XCTAssertEqual(try HooktopBinary.run(["export", "--store", second, "--format", "ndjson", "--oldest-first"]).stdout, fromSQLite)

        // Replay and retry on the shared store: the attempt is recorded there.
        let target = try TestTarget { _, _ in .respond(status: 200) }
        defer { target.stop() }
        let replay = try HooktopBinary.run(["replay", "2", "--store", url, "--to", target.url + "/again"])
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertEqual(target.received.last?.body, (0...255).map(UInt8.init))
        XCTAssertEqual((try show(2)["deliveries"] as? [[String: Any]])?.map { $0["kind"] as? String }, ["replay"])
        let pruned = try HooktopBinary.run(["prune", "--keep", "3", "--store", url])
        XCTAssertEqual(pruned.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "removed 2 requests", pruned.stderr)
    }
}

/// A new database on the `HOOKTOP_TEST_POSTGRES` server (made with psql),
/// dropped when the test ends; its `postgres://` URL.
func makePostgresDatabase(for test: XCTestCase) throws -> String {
    guard let admin = ProcessInfo.processInfo.environment["HOOKTOP_TEST_POSTGRES"], !admin.isEmpty else {
        if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("CI must provide a PostgreSQL server (HOOKTOP_TEST_POSTGRES)") }
        throw XCTSkip("set HOOKTOP_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres (.ci/run starts a server and sets it)")
    }
    let name = "hooktop_live_" + UUID().uuidString.prefix(8).lowercased()
    let made = try HooktopBinary.spawn("/usr/bin/psql", [admin, "-v", "ON_ERROR_STOP=1", "-qc", "CREATE DATABASE \(name)"])
    guard made.status == 0 else { throw XCTSkip("cannot create a test database: \(made.stderr)") }
    test.addTeardownBlock {
        _ = try? HooktopBinary.spawn("/usr/bin/psql", [admin, "-qc", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
    }
    return String(admin[..<admin.lastIndex(of: "/")!]) + "/" + name
}
