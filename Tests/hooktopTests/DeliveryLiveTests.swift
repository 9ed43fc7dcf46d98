import Foundation
import HooktopTesting
import XCTest

/// `hooktop serve --forward-to` with real local targets, and the replay and
/// retry commands.
final class DeliveryLiveTests: XCTestCase {
    private var dir: TempDirectory!
    private var db: String { dir.file("d.sqlite") }

    override func setUp() { dir = TempDirectory("delivery-live") }

    private func config(_ schedule: [String], extra: String = "") throws -> String {
        let path = dir.file("config.toml")
        try """
        [delivery]
        schedule = [\(schedule.map { "\"\($0)\"" }.joined(separator: ", "))]
        timeout = "2s"
        \(extra)
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func serve(forwardTo: String?, config: String, extra: [String] = []) throws -> RunningDaemon {
        try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0", "--config", config]
                          + (forwardTo.map { ["--forward-to", $0] } ?? []) + extra)
    }

    private func show(_ id: Int) throws -> [String: Any] {
        let out = try HooktopBinary.run(["show", String(id), "--db", db, "--json"])
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any], out.stderr)
    }

    private func waitForState(_ id: Int, _ state: String, timeout: TimeInterval = 10) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = try show(id)
            if last["delivery_state"] as? String == state { return last }
            usleep(100_000)
        }
        XCTFail("request \(id) never reached \(state): \(last["delivery_state"] ?? "?") \(last["deliveries"] ?? "")")
        return last
    }

    private func attempts(_ object: [String: Any]) -> [[String: Any]] { object["deliveries"] as? [[String: Any]] ?? [] }

    func testFlakyTargetGetsEveryCallbackOnTheSchedule() throws {
        let target = try TestTarget { n, _ in .respond(status: n < 2 ? 500 : 200) }
        defer { target.stop() }
        let daemon = try serve(forwardTo: target.url + "/app", config: try config(["0s", "300ms", "300ms", "300ms"]))
        XCTAssertEqual(try curl(["--data-binary", #"{"evt":1}"#, "-H", "X-Sig: abc", "http://127.0.0.1:\(daemon.port)/hooks/a?x=1"]), #"{"ok":true}"#)
        let done = try waitForState(1, "delivered")
        XCTAssertEqual(attempts(done).map { $0["kind"] as? String }, ["forward", "retry", "retry"])
        XCTAssertEqual(attempts(done).map { $0["status"] as? Int }, [500, 500, 200])
        XCTAssertEqual(attempts(done).map { $0["attempt"] as? Int }, [1, 2, 3])
        XCTAssertEqual(target.received.count, 3)
        for got in target.received {
            XCTAssertEqual(got.uri, "/app/hooks/a?x=1")
            XCTAssertEqual(got.body, Array(#"{"evt":1}"#.utf8))
            XCTAssertEqual(got.header("X-Sig"), "abc")
        }
        XCTAssertEqual(daemon.stop(), 0)
    }

    /// What came is what goes: a Latin-1 header value and raw UTF-8 in the
    /// target reach the target as the bytes the sender sent.
    func testForwardedHeadIsTheCapturedBytes() throws {
        let target = try ScriptedTarget { _, _ in .init("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") }
        defer { target.stop() }
        let daemon = try serve(forwardTo: target.url + "/app", config: try config(["0s"]))
        let client = try RawHTTPClient(port: daemon.port)
        let body = Array("a=1".utf8)
        let head: [UInt8] = Array("POST /in/✓?n=caf".utf8) + [0xE9] + Array(" HTTP/1.1\r\nHost: x\r\nX-Name: Jos".utf8) + [0xE9]
            + Array("\r\nX-Two: 1\r\nx-two: 2\r\nContent-Length: 3\r\n\r\n".utf8)
        try client.send(head + body)
        XCTAssertEqual(try client.readResponse().status, 200)
        _ = try waitForState(1, "delivered")
        let sent = try XCTUnwrap(target.rawRequests.first)
        let expected: [UInt8] = Array("POST /app/in/✓?n=caf".utf8) + [0xE9] + Array(" HTTP/1.1\r\nX-Name: Jos".utf8) + [0xE9]
            + Array("\r\nX-Two: 1\r\nx-two: 2\r\nHost: 127.0.0.1:\(target.port)\r\nContent-Length: 3".utf8)
        XCTAssertEqual(sent, expected, String(decoding: sent, as: UTF8.self))
        XCTAssertEqual(daemon.stop(), 0)
    }

    func testKilledDaemonResumesTheScheduleAndDeliversExactlyOnce() throws {
        let probe = try TestTarget { _, _ in .respond(status: 200) }
        let port = probe.port
        probe.stop()  // nothing listens there now: attempts are refused
        let cfg = try config(["0s", "2s", "2s", "2s"])
        var daemon: RunningDaemon? = try serve(forwardTo: "http://127.0.0.1:\(port)", config: cfg)
        _ = try curl(["--data-binary", "once", "http://127.0.0.1:\(daemon!.port)/job"])
        let retrying = try waitForState(1, "retrying")
        XCTAssertEqual(attempts(retrying).first?["error"] as? String, "connection refused")
        daemon!.stop(signal: SIGKILL)
        daemon = nil

        let target = try TestTarget(port: port) { _, _ in .respond(status: 200) }
        defer { target.stop() }
        daemon = try serve(forwardTo: "http://127.0.0.1:\(port)", config: cfg)
        let delivered = try waitForState(1, "delivered")
        XCTAssertEqual(attempts(delivered).count, 2)
        XCTAssertEqual(target.received.count, 1)
        daemon!.stop()

        // A third start has nothing left to do: nothing is sent twice.
        daemon = try serve(forwardTo: "http://127.0.0.1:\(port)", config: cfg)
        Thread.sleep(forTimeInterval: 1.5)
        daemon!.stop()
        XCTAssertEqual(target.received.count, 1)
        XCTAssertEqual(attempts(try show(1)).count, 2)
    }

    func testKilledMidAttemptTheLeaseIsReleasedOnRestart() throws {
        let target = try TestTarget { n, _ in .respond(status: 200, delaySeconds: n == 0 ? 5 : 0) }
        defer { target.stop() }
        let cfg = try config(["0s", "1h"])
        var daemon: RunningDaemon? = try serve(forwardTo: target.url, config: cfg)
        _ = try curl(["--data-binary", "slow", "http://127.0.0.1:\(daemon!.port)/slow"])
        XCTAssertTrue(target.waitFor(1))
        daemon!.stop(signal: SIGKILL)  // while the first attempt is under way
        daemon = try serve(forwardTo: target.url, config: cfg)
        _ = try waitForState(1, "delivered")
        daemon!.stop()
        XCTAssertEqual(target.received.count, 2, "at least once: the interrupted attempt is made again")
    }

    func test410StopsTheSchedule() throws {
        let target = try TestTarget { _, _ in .respond(status: 410) }
        defer { target.stop() }
        let daemon = try serve(forwardTo: target.url, config: try config(["0s", "100ms", "100ms"]))
        _ = try curl(["--data-binary", "x", "http://127.0.0.1:\(daemon.port)/gone"])
        let failed = try waitForState(1, "failed")
        XCTAssertEqual(attempts(failed).count, 1)
        let text = try HooktopBinary.run(["show", "1", "--db", db]).stdout
        XCTAssertTrue(text.contains("410 Gone: schedule stopped"), text)
    }

    func testReplayAndRetryCommands() throws {
        let target = try TestTarget { n, received in
            received.uri.hasPrefix("/fail") ? .respond(status: 503) : .respond(status: 200, body: "fine \(n)")
        }
        defer { target.stop() }
        let cfg = try config(["0s"])
        let daemon = try serve(forwardTo: target.url + "/fail", config: cfg)
        _ = try curl(["--data-binary", "payload", "http://127.0.0.1:\(daemon.port)/r"])
        _ = try waitForState(1, "failed")

        let failedReplay = try HooktopBinary.run(["replay", "1", "--db", db])
        XCTAssertEqual(failedReplay.status, 1)
        XCTAssertTrue(failedReplay.stdout.hasPrefix("503 from \(target.url)/fail/r"), failedReplay.stdout)
        let replay = try HooktopBinary.run(["replay", "1", "--db", db, "--to", target.url + "/ok"])
        XCTAssertEqual(replay.status, 0, replay.stderr)
        XCTAssertTrue(replay.stdout.hasPrefix("200 from \(target.url)/ok in "), replay.stdout)
        XCTAssertEqual(target.received.last?.body, Array("payload".utf8))

        let retry = try HooktopBinary.run(["retry", "1", "--db", db, "--config", cfg])
        XCTAssertEqual(retry.status, 1, "the target still answers 503")
        let state = try show(1)
        XCTAssertEqual(state["delivery_state"] as? String, "failed")
        XCTAssertEqual(attempts(state).map { $0["kind"] as? String }, ["forward", "replay", "replay", "retry"])

        let edited = try HooktopBinary.run(["replay", "1", "--db", db, "--to", target.url + "/ok", "--edit"],
                                           environment: ["EDITOR": "sed -i s/payload/changed/", "VISUAL": ""])
        XCTAssertEqual(edited.status, 0, edited.stderr)
        XCTAssertEqual(target.received.last?.body, Array("changed".utf8))
        XCTAssertEqual(try HooktopBinary.run(["show", "1", "--db", db, "--json"]).stdout.contains(Data("payload".utf8).base64EncodedString()), true,
                       "the stored request is untouched")

        _ = try curl(["http://127.0.0.1:\(daemon.port)/x"])
        daemon.stop()
        let plainDB = dir.file("plain.sqlite")
        let plain = try RunningDaemon(["serve", "--db", plainDB, "--listen", "127.0.0.1:0"])
        _ = try curl(["http://127.0.0.1:\(plain.port)/none"])
        let noTarget = try HooktopBinary.run(["retry", "1", "--db", plainDB])
        XCTAssertEqual(noTarget.stderr, "hooktop: request #1 has no target configured (--forward-to or a source's forward_to)\n")
        XCTAssertTrue(try HooktopBinary.run(["replay", "1", "--db", plainDB]).stderr.contains("give one with --to URL"))
    }

    func testResignedReplayCarriesAFreshValidSignature() throws {
        let target = try TestTarget { _, _ in .respond(status: 200) }
        defer { target.stop() }
        let cfg = try config(["0s"], extra: """
        [[source]]
        name = "stripe"
        match = "/stripe/*"
        scheme = "stripe"
        secret = "whsec_resign_test"
        """)
        let daemon = try serve(forwardTo: nil, config: cfg)
        let old = "t=1600000000,v1=" + String(repeating: "0", count: 64)
        _ = try curl(["-H", "Stripe-Signature: \(old)", "--data-binary", #"{"id":"evt_1"}"#, "http://127.0.0.1:\(daemon.port)/stripe/e"])
        let replay = try HooktopBinary.run(["replay", "1", "--db", db, "--config", cfg, "--to", target.url, "--resign"])
        XCTAssertEqual(replay.status, 0, replay.stderr + replay.stdout)
        let header = try XCTUnwrap(target.received.last?.header("Stripe-Signature"))
        XCTAssertNotEqual(header, old)
        let body = dir.file("b")
        try #"{"id":"evt_1"}"#.write(toFile: body, atomically: true, encoding: .utf8)
        let check = try HooktopBinary.run(["verify", "--scheme", "stripe", "--secret", "whsec_resign_test",
                                           "--header", "Stripe-Signature: \(header)", "--body-file", body])
        XCTAssertEqual(check.status, 0, check.stdout)
    }

    func testProxyModeReturnsTheTargetsAnswer() throws {
        let target = try TestTarget { _, _ in .respond(status: 202, body: "from-target") }
        defer { target.stop() }
        let daemon = try serve(forwardTo: target.url, config: try config(["0s"]), extra: ["--mode", "proxy"])
        let client = try RawHTTPClient(port: daemon.port)
        try client.send("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
        let answer = try client.readResponse()
        XCTAssertEqual(answer.status, 202)
        XCTAssertEqual(answer.bodyText, "from-target")
        let stored = try waitForState(1, "delivered")
        XCTAssertEqual((stored["response"] as? [String: Any])?["status"] as? Int, 202)
    }

    /// Waits until the alert command has written its file: the shell creates
    /// it (the redirection) before `printf` fills it, so existing is not enough.
    private func waitForContent(_ path: String) {
        let deadline = Date().addingTimeInterval(5)
        while ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").isEmpty, Date() < deadline { usleep(50_000) }
    }

    /// A daemon with a GitHub source (secret "s3cret") whose alert command writes the alert's kind into `flag`.
    private func serveGitHubSource(alertingInto flag: String) throws -> RunningDaemon {
        let cfg = try config(["0s"], extra: """
        [server]
        alert_command = ["/bin/sh", "-c", "printf '%s' \\"$HOOKTOP_ALERT\\" > \(flag)"]

        [[source]]
        name = "gh"
        match = "/gh/*"
        scheme = "github"
        secret = "s3cret"
        """)
        return try serve(forwardTo: nil, config: cfg)
    }

    func testFiveInvalidSignaturesInARowRaiseAnAlert() throws {
        let flag = dir.file("streak")
        let daemon = try serveGitHubSource(alertingInto: flag)
        for i in 0..<5 {
            XCTAssertFalse(FileManager.default.fileExists(atPath: flag), "alerted after only \(i)")
            _ = try curl(["-H", "X-Hub-Signature-256: sha256=00", "--data-binary", "{}", "http://127.0.0.1:\(daemon.port)/gh/push"])
        }
        waitForContent(flag)
        XCTAssertEqual(try? String(contentsOfFile: flag, encoding: .utf8), "invalid_signatures")
    }

    /// A valid signature ends the streak: the batch that carries it must
    /// reach the alerts even though nothing else in it needs a consumer.
    func testAValidSignatureEndsTheStreak() throws {
        let flag = dir.file("streak")
        let daemon = try serveGitHubSource(alertingInto: flag)
        // HMAC-SHA256 of "{}" with "s3cret", as GitHub signs it.
        let valid = "sha256=adbde1ce40c89c14215687d5d762a47df6dfaefcfad61e2e86718ffc8498571b"
        for signature in Array(repeating: "sha256=00", count: 4) + [valid] + Array(repeating: "sha256=00", count: 4) {
            _ = try curl(["-H", "X-Hub-Signature-256: \(signature)", "--data-binary", "{}", "http://127.0.0.1:\(daemon.port)/gh/push"])
        }
        XCTAssertEqual((try show(5)["signature"] as? [String: Any])?["status"] as? String, "valid")
        usleep(300_000)
        XCTAssertFalse(FileManager.default.fileExists(atPath: flag), "four and four invalid around a valid one are no streak of five")
        _ = try curl(["-H", "X-Hub-Signature-256: sha256=00", "--data-binary", "{}", "http://127.0.0.1:\(daemon.port)/gh/push"])
        waitForContent(flag)
        XCTAssertEqual(try? String(contentsOfFile: flag, encoding: .utf8), "invalid_signatures")
    }

    func testAlertCommandRunsWhenADeliveryFailsForGood() throws {
        let flag = dir.file("alerted")
        let cfg = try config(["0s"], extra: """
        [server]
        alert_command = ["/bin/sh", "-c", "printf '%s %s' \\"$HOOKTOP_ALERT\\" \\"$HOOKTOP_REQUEST_ID\\" > \(flag)"]
        """)
        let daemon = try serve(forwardTo: "http://127.0.0.1:1", config: cfg)
        _ = try curl(["--data-binary", "x", "http://127.0.0.1:\(daemon.port)/a"])
        _ = try waitForState(1, "failed")
        waitForContent(flag)
        XCTAssertEqual(try? String(contentsOfFile: flag, encoding: .utf8), "delivery_failed 1")
    }
}
